"""`internscout` commands that keep results current and deliver them: digest, schedule,
rescore, and the offline demo.

Registered on the one Typer app in `internscout.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from internscout.cli_common import console, err, get_state, user_errors


def digest(
    ctx: typer.Context,
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Profile name from the config.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the HTML and Markdown files.")
    ] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send", help="Deliver through the channels [delivery] sets up (e-mail, files, feed)."
        ),
    ] = False,
    status: Annotated[
        bool,
        typer.Option("--status", help="List digest runs: sent, failed, or claimed and unfinished."),
    ] = False,
) -> None:
    """Produce a digest of postings new for a profile since its last delivered digest."""
    from rich.table import Table

    import store

    state = get_state(ctx)
    if status:
        with user_errors():
            runs = store.list_digests(state.engine(), profile)
        table = Table(title="Digest runs")
        for col in ("id", "profile", "period", "status", "created", "sent", "items", "error"):
            table.add_column(col, overflow="fold")
        for r in runs:
            table.add_row(
                str(r.id), r.profile_name, r.period_key, r.status,
                f"{r.created_at:%Y-%m-%d %H:%M}", f"{r.sent_at:%Y-%m-%d %H:%M}" if r.sent_at else "",
                str(r.item_count), r.error or "",
            )  # fmt: skip
        console.print(table)
        return
    with user_errors():
        if profile is None:
            raise ValueError("--profile NAME is required (or use --status)")
        if send and out is not None:
            raise ValueError("use either --send (configured channels) or --out DIR (files only)")
        outcome = state.send_digest(profile) if send else state.write_digest(profile, out)
    if outcome.status == "failed":
        err.print(f"Digest for {profile}: delivery failed: {outcome.error}", highlight=False)
        raise typer.Exit(1)
    if outcome.paths or outcome.status == "sent":
        console.print(f"Digest for {profile}: {outcome.message}.")
        for path in outcome.paths:
            console.print(f"  {path}", highlight=False)
    else:
        nothing = "nothing sent" if send else "nothing written"
        console.print(f"Digest for {profile}: {outcome.message}; {nothing}.")


def schedule(
    ctx: typer.Context,
    list_: Annotated[
        bool, typer.Option("--list", help="Show every job and its next run time, then exit.")
    ] = False,
    log_file: Annotated[
        Path | None, typer.Option("--log-file", help="Log to this file instead of stderr.")
    ] = None,
) -> None:
    """Run the scheduler in the foreground: crawls, rescoring and digests from [schedule]."""
    from internscout.schedule_cli import run_schedule

    raise typer.Exit(run_schedule(get_state(ctx), list_only=list_, log_file=log_file))


def rescore(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Refit the matcher and rescore everything.")
    ] = False,
) -> None:
    """Classify new/changed postings and bring every profile's scores up to date."""
    state = get_state(ctx)
    with user_errors():
        reports = state.rescore_all(full=full)
    for name, rep in reports.items():
        refit = " (matcher refitted)" if rep.refitted else ""
        console.print(f"{name}: classified {rep.analysed}, scored {rep.scored}{refit}")


def demo(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the demo database and digest.")
    ] = Path("internscout-demo"),
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 15,
) -> None:
    """Offline demo: serve sample boards on 127.0.0.1, crawl them, rank, write a digest."""
    from internscout.demo_run import run_demo

    with user_errors():
        run_demo(out, console=console, limit=limit, clock=get_state(ctx).clock)
