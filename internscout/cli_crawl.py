"""`internscout` commands that set up and fill the store: init, crawl, import, sources.

Registered on the one Typer app in `internscout.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from internscout.cli_common import console, err, get_state, user_errors
from internscout.config import write_default_config


def init(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Where to write the config.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented default configuration file."""
    from internscout.config import resolve_config_path

    with user_errors():
        target = path or resolve_config_path(get_state(ctx).config_path)[0]
        written = write_default_config(target, force=force)
    console.print(
        f"Wrote {written}. Edit its [[profiles]] and [[sources]], then run `internscout crawl`."
    )


def crawl(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Crawl only this source (repeatable)."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(help="Seconds before the crawl is stopped (default from config)."),
    ] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help="Crawler log level on stderr (DEBUG, INFO, WARNING).")
    ] = "WARNING",
) -> None:
    """Crawl the configured sources (in a subprocess) and print per-source counts."""
    from rich.table import Table

    from crawlers.client import CrawlSubprocessError
    from internscout.output import CrawlProgress

    state = get_state(ctx)
    with user_errors():
        names = [s.name for s in state.config().select_sources(source)]
        try:
            with CrawlProgress(err, names) as progress:
                results = state.crawl(
                    source,
                    timeout=timeout,
                    log_level=log_level.upper(),
                    on_progress=progress.update,
                )
        except CrawlSubprocessError as exc:
            err.print(f"[red]crawl failed:[/red] {exc}", highlight=False)
            if exc.stderr:
                err.print(exc.stderr, highlight=False, markup=False)
            raise typer.Exit(1) from None
        analysed = state.service().analyse_pending()
    counts = ("new", "updated", "unchanged", "closed", "rejected", "errors", "failed_pages")
    table = Table(title="Crawl results")
    for col in ("source", "kind", "status", *counts):
        label = col.replace("_", " ")
        table.add_column(label, justify="left" if col in ("source", "kind", "status") else "right")
    for r in results:
        status = "[green]ok[/green]" if r["status"] == "ok" else "[red]failed[/red]"
        table.add_row(r["name"], r["kind"], status, *(str(r.get(k, 0)) for k in counts))
    console.print(table)
    for r in results:
        if r.get("error"):
            err.print(f"{r['name']}: {r['error']}", highlight=False, markup=False)
    console.print(f"Classified {analysed} new or changed postings.")
    if results and all(r["status"] != "ok" for r in results):
        raise typer.Exit(1)


def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .jsonl or .csv file of postings.")],
) -> None:
    """Load postings from JSON Lines or CSV (title required; bad lines are reported and skipped)."""
    import store
    from internscout.importer import read_import_file

    state = get_state(ctx)
    with user_errors():
        parsed = read_import_file(file)
        engine = state.engine()
        result = store.upsert_postings(engine, [r for _, r in parsed.records], state.clock())
        state.service().analyse_pending()
    for e in parsed.errors:
        err.print(f"{file}:{e.line}: {e.message}", highlight=False, markup=False)
    console.print(
        f"Imported {len(parsed.records)} postings from {file}: {result.new} new, "
        f"{result.updated} updated, {result.unchanged} unchanged; {len(parsed.errors)} bad lines skipped."
    )


def sources(ctx: typer.Context) -> None:
    """List configured sources with their last crawl time, status and counts."""
    from rich.table import Table

    import store

    state = get_state(ctx)
    with user_errors():
        config = state.config()
        engine = state.engine()
        runs = store.last_crawl_runs(engine)
        failed: dict[str, int] = {}
        for page in store.unresolved_failed_pages(engine):
            failed[page.source_name] = failed.get(page.source_name, 0) + 1
    table = Table(title="Sources")
    cols = ("name", "kind", "board", "sector", "last crawl", "status", "new", "updated", "closed")
    for col in (*cols, "failed pages", "error"):
        table.add_column(col, overflow="fold")
    for s in config.sources:
        run = runs.get(s.name)
        cells = [s.name, s.kind, s.board, s.sector or ""]
        if run is None:
            cells += ["never", "", "", "", ""]
        else:
            when = run.finished_at or run.started_at
            cells += [f"{when:%Y-%m-%d %H:%M}", run.status, str(run.new), str(run.updated)]
            cells.append(str(run.closed))
        cells += [str(failed.get(s.name, 0)) if run else "", (run.error or "") if run else ""]
        table.add_row(*cells)
    console.print(table)
