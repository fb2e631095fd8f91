"""The `internscout` command line.

Only what building the commands needs is imported here (typer, rich's console, the config);
each command imports the store, crawler client, service and renderers it uses, so `--help`
and a `rank` with nothing to (re)score stay fast and never load Scrapy or scikit-learn.
"""

from __future__ import annotations

import csv
import gc
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from internscout.app import AppState, RankOptions, rank_rows, rows_to_dicts
from internscout.config import SECTORS, ConfigError, write_default_config

app = typer.Typer(
    help="Find internships that fit you: crawl public job boards, classify, rank, digest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err = Console(stderr=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a user's mistake into one clear line and exit status 2, never a traceback."""
    try:
        yield
    except (ConfigError, ValueError) as exc:
        _user_error(exc)
    except Exception as exc:
        # Imported only on an error: the store loads SQLAlchemy, the importer the normaliser.
        from internscout.importer import ImportFileError
        from store import StoreError

        if not isinstance(exc, (StoreError, ImportFileError)):
            raise
        _user_error(exc)


def _user_error(exc: Exception) -> None:
    err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
    raise typer.Exit(2) from None


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


def _state(ctx: typer.Context) -> AppState:
    return ctx.ensure_object(AppState)


@app.command()
def init(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Where to write the config.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented default configuration file."""
    from internscout.config import resolve_config_path

    with user_errors():
        target = path or resolve_config_path(_state(ctx).config_path)[0]
        written = write_default_config(target, force=force)
    console.print(
        f"Wrote {written}. Edit its [[profiles]] and [[sources]], then run `internscout crawl`."
    )


@app.command()
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

    state = _state(ctx)
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


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .jsonl or .csv file of postings.")],
) -> None:
    """Load postings from JSON Lines or CSV (title required; bad lines are reported and skipped)."""
    import store
    from internscout.importer import read_import_file

    state = _state(ctx)
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


FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")]


@app.command()
def rank(
    ctx: typer.Context,
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Profile name from the config.")
    ] = None,
    sector: Annotated[
        list[str] | None,
        typer.Option("--sector", help=f"Only these sectors ({', '.join(SECTORS)})."),
    ] = None,
    location: Annotated[
        str | None, typer.Option(help="Only postings whose location contains this text.")
    ] = None,
    remote: Annotated[bool, typer.Option("--remote", help="Only remote postings.")] = False,
    since: Annotated[
        str | None, typer.Option(help="Only postings newer than this, e.g. 7d, 12h, 2w.")
    ] = None,
    min_score: Annotated[
        float | None, typer.Option("--min-score", help="Only scores at least this.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include non-internships.")] = False,
    limit: Annotated[int, typer.Option(help="How many rows (0: no limit).")] = 20,
    fmt: FormatOpt = "table",
) -> None:
    """Rank open internships for a profile (or by relevance to the guide's AI/ML categories)."""
    # A short command: objects that exist now (modules, config) live until exit, so the
    # collector need not walk them again each time the query's rows trigger a collection.
    gc.freeze()
    state = _state(ctx)
    if fmt not in ("table", "json", "csv"):
        with user_errors():
            raise ValueError(f"--format {fmt!r}: use table, json or csv")
    with user_errors():
        opts = RankOptions(
            profile=profile,
            sectors=[s.lower() for s in sector or []],
            location=location,
            remote=remote,
            since=since,
            min_score=min_score,
            include_all=all_,
            limit=limit,
        )
        rows = rank_rows(state, opts)
    data = rows_to_dicts(state, rows)
    if fmt == "json":
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        typer.echo(_to_csv(data), nl=False)
        return
    from internscout.output import print_rank_table

    who = profile or "the guide's AI/ML internship categories"
    if not rows:
        console.print(
            f"No postings match (ranking for {who}). Try `internscout crawl` or fewer filters."
        )
        return
    print_rank_table(console, data, who)
    console.print("`internscout show ID` explains a score.", style="dim")


def _to_csv(data: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    cols = [
        "id",
        "score",
        "title",
        "company",
        "location",
        "sector",
        "is_internship",
        "role",
        "posted_at",
        "url",
        "matched_skills",
        "missing_skills",
        "reasons",
    ]
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    writer.writeheader()
    for d in data:
        row = dict(d)
        for key in ("matched_skills", "missing_skills", "reasons"):
            row[key] = "; ".join(d[key])
        writer.writerow(row)
    return buf.getvalue()


@app.command()
def skills(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option("--profile", "-p", help="Profile name from the config (default: the guide)."),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", help="How many of the best-ranked postings to look at.")
    ] = 50,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Skills to learn next: what your top-ranked postings ask for that you lack.

    Grouped by skill area; "unlocks" counts postings where that one skill is the only required
    skill you lack, or lifts your skill coverage to 50%.
    """
    from internscout.skills_report import build_skills_report, print_skills_table

    state = _state(ctx)
    with user_errors():
        if fmt not in ("table", "json"):
            raise ValueError(f"--format {fmt!r}: use table or json")
        report = build_skills_report(state, profile, top=top)
    if fmt == "json":
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    who = f"profile {profile!r}" if profile else "the guide's AI/ML internship profile"
    print_skills_table(console, report, who)


@app.command()
def show(
    ctx: typer.Context,
    posting_id: Annotated[int, typer.Argument(metavar="ID", help="Posting id (from `rank`).")],
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Explain this profile's score.")
    ] = None,
) -> None:
    """Show one posting with its classification and score breakdown."""
    import store
    from internscout.service import GUIDE_PROFILE

    state = _state(ctx)
    with user_errors():
        state.refresh_scores(profile)
        detail = store.posting_detail(state.engine(), posting_id)
        if detail is None:
            raise ValueError(f"no posting with id {posting_id}")
    posting, analysis, scores = detail
    console.print(f"[bold]{posting.title}[/bold] — {posting.company or '?'}", highlight=False)
    console.print(
        f"  id {posting.id} · {posting.source_kind}/{posting.board} · external id {posting.external_id}"
    )
    console.print(
        f"  location: {', '.join(posting.locations or []) or '—'}  workplace: {posting.workplace_type or '—'}"
    )
    console.print(
        f"  employment type: {posting.employment_type or '—'}  department: {posting.department or '—'}"
    )
    console.print(f"  posted: {posting.posted_at or '—'}  deadline: {posting.deadline or '—'}")
    if posting.salary_text or posting.salary_min:
        console.print(
            f"  salary: {posting.salary_text or ''} {posting.salary_min or ''}–{posting.salary_max or ''} {posting.salary_currency or ''}"
        )
    console.print(f"  url: {posting.url or posting.apply_url or '—'}", highlight=False)
    state_text = f"closed {posting.closed_at:%Y-%m-%d}" if posting.closed_at else "open"
    console.print(
        f"  status: {state_text} · first seen {posting.first_seen:%Y-%m-%d} · last seen {posting.last_seen:%Y-%m-%d}"
    )
    if posting.duplicate_of:
        console.print(
            f"  another listing of posting {posting.duplicate_of} ({posting.duplicate_reason})",
            highlight=False,
        )
    for other in store.duplicate_listings(state.engine(), [posting_id]).get(posting_id, []):
        console.print(
            f"  also listed: {other.source_kind}/{other.board} {other.url or ''} (id {other.id})",
            highlight=False,
        )
    if analysis:
        kind = "internship" if analysis.is_internship else "not an internship"
        console.print(
            f"\n[bold]Classification[/bold]: {kind} ({analysis.internship_evidence or 'no evidence'})"
        )
        top = sorted(analysis.sector_scores.items(), key=lambda kv: -kv[1])[:3]
        console.print(f"  sector: {analysis.sector} ({', '.join(f'{k} {v:.2f}' for k, v in top)})")
        console.print(f"  role: {analysis.role}")
        console.print(f"  skills asked: {', '.join(analysis.skills) or '—'}")
        if analysis.seniority or analysis.years_required:
            console.print(
                f"  seniority: {analysis.seniority or '—'}, years required: {analysis.years_required or '—'}"
            )
    wanted = profile or GUIDE_PROFILE
    for s in scores:
        if s.profile_name != wanted:
            continue
        console.print(f"\n[bold]Score for {s.profile_name}[/bold]: {s.score:.3f}", highlight=False)
        for part, value in s.parts.items():
            console.print(f"  {part:<12} {value:+.3f}")
        for reason in s.reasons:
            console.print(f"  • {reason}", highlight=False)
    if posting.description_text:
        text = posting.description_text.strip()
        console.print(
            f"\n{text[:1500]}{'…' if len(text) > 1500 else ''}", highlight=False, markup=False
        )


@app.command()
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

    state = _state(ctx)
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


@app.command()
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

    raise typer.Exit(run_schedule(_state(ctx), list_only=list_, log_file=log_file))


@app.command()
def rescore(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Refit the matcher and rescore everything.")
    ] = False,
) -> None:
    """Classify new/changed postings and bring every profile's scores up to date."""
    state = _state(ctx)
    with user_errors():
        reports = state.rescore_all(full=full)
    for name, rep in reports.items():
        refit = " (matcher refitted)" if rep.refitted else ""
        console.print(f"{name}: classified {rep.analysed}, scored {rep.scored}{refit}")


@app.command()
def sources(ctx: typer.Context) -> None:
    """List configured sources with their last crawl time, status and counts."""
    from rich.table import Table

    import store

    state = _state(ctx)
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


@app.command()
def evaluate(
    sector_file: Annotated[
        Path | None,
        typer.Option("--sector", help="JSONL with title/company/description and a `sector` label."),
    ] = None,
    interns: Annotated[
        Path | None,
        typer.Option(
            "--interns", help="Titles that are internships (.txt one a line, or Simplify JSON)."
        ),
    ] = None,
    not_interns: Annotated[
        Path | None,
        typer.Option("--not-interns", help="Titles that are not internships (same formats)."),
    ] = None,
) -> None:
    """Measure the matcher: sector P/R/F1 and macro-F1; internship-detection P/R/F1."""
    from internscout.evaluate import run_evaluation

    with user_errors():
        if not (sector_file or interns or not_interns):
            raise ValueError("give --sector FILE and/or --interns FILE --not-interns FILE")
        report = run_evaluation(sector_file, interns, not_interns)
    console.print(report, highlight=False, markup=False)


@app.command()
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
        run_demo(out, console=console, limit=limit, clock=_state(ctx).clock)


if __name__ == "__main__":  # pragma: no cover
    app()
