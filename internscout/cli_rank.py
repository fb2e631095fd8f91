"""`internscout` commands that read the ranking: rank, skills, show, evaluate.

Registered on the one Typer app in `internscout.cli`.
"""

from __future__ import annotations

import csv
import gc
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from internscout.app import RankOptions, rank_rows, rows_to_dicts
from internscout.cli_common import console, get_state, user_errors
from internscout.config import SECTORS

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")]


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
    all_: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every posting, not only internships (and entry-level jobs for a profile "
            "with entry_level = true).",
        ),
    ] = False,
    limit: Annotated[int, typer.Option(help="How many rows (0: no limit).")] = 20,
    fmt: FormatOpt = "table",
) -> None:
    """Rank open internships for a profile (or by relevance to the guide's AI/ML categories)."""
    # A short command: objects that exist now (modules, config) live until exit, so the
    # collector need not walk them again each time the query's rows trigger a collection.
    gc.freeze()
    state = get_state(ctx)
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

    state = get_state(ctx)
    with user_errors():
        if fmt not in ("table", "json"):
            raise ValueError(f"--format {fmt!r}: use table or json")
        report = build_skills_report(state, profile, top=top)
    if fmt == "json":
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    who = f"profile {profile!r}" if profile else "the guide's AI/ML internship profile"
    print_skills_table(console, report, who)


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

    state = get_state(ctx)
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
        if analysis.entry_level_evidence:
            console.print(f"  entry level: {analysis.entry_level_evidence}", highlight=False)
        top = sorted(analysis.sector_scores.items(), key=lambda kv: -kv[1])[:3]
        console.print(f"  sector: {analysis.sector} ({', '.join(f'{k} {v:.2f}' for k, v in top)})")
        console.print(f"  role: {analysis.role}")
        _print_skills_asked(analysis, state.taxonomy())
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


def _print_skills_asked(analysis: Any, tax: Any) -> None:
    """The skills a posting asks for as the score counts them: the technical ones, split
    into required and preferred when the posting draws that line (skills it names outside
    its requirements count as preferred), then the workplace skills, which the score leaves
    out."""
    from matcher import skill_ask

    ask = skill_ask(analysis, tax)
    console.print(f"  skills asked: {', '.join(ask.asked) or '—'}", highlight=False)
    if ask.marked:
        required, preferred = (", ".join(names) or "—" for names in (ask.required, ask.preferred))
        console.print(f"    required: {required} · preferred: {preferred}", highlight=False)
    soft = [s for s in analysis.skills if s in tax.workplace_skills]
    if soft:
        console.print(f"  workplace skills: {', '.join(soft)}", highlight=False)


def evaluate(
    sector_file: Annotated[
        Path | None,
        typer.Option("--sector", help="JSONL with title/company/description and a `sector` label."),
    ] = None,
    interns: Annotated[
        Path | None,
        typer.Option(
            "--interns",
            help="Titles that are internships: .txt (one a line), .json (a list of titles or "
            "of listings with a `title`, as Simplify's listings.json) or .jsonl.",
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
