"""The `internscout` command line.

Only what building the commands needs is imported here (typer, rich's console, the config);
each command imports the store, crawler client, service and renderers it uses, so `--help`
and a `rank` with nothing to (re)score stay fast and never load Scrapy or scikit-learn.

This module holds the one Typer `app` (the `internscout` console script and
`python -m internscout`) and registers the commands, in `--help` order, from
`internscout.cli_crawl`, `internscout.cli_rank` and `internscout.cli_digest`;
`internscout.cli_common` holds what they share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from internscout.app import AppState
from internscout.cli_crawl import crawl, import_, init, sources
from internscout.cli_digest import demo, digest, rescore, schedule
from internscout.cli_rank import evaluate, rank, show, skills

app = typer.Typer(
    help="Find internships that fit you: crawl public job boards, classify, rank, digest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts name config tables ("[schedule]", "[delivery]"): plain text, not markup.
    rich_markup_mode=None,
)


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (default: INTERNSCOUT_CONFIG or the user config dir).",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Database URL (overrides the config and INTERNSCOUT_DATABASE_URL)."
        ),
    ] = None,
) -> None:
    state = ctx.ensure_object(AppState)
    state.config_path = config
    state.db_url = db


app.command()(init)
app.command()(crawl)
app.command("import")(import_)
app.command()(rank)
app.command()(skills)
app.command()(show)
app.command()(digest)
app.command()(schedule)
app.command()(rescore)
app.command()(sources)
app.command()(evaluate)
app.command()(demo)


if __name__ == "__main__":  # pragma: no cover
    app()
