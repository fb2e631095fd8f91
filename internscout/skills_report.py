"""`internscout skills`: the skills to learn next, from a profile's top-ranked postings.

Builds :func:`matcher.gaps.skill_gaps` over the profile's ranking (the same rows as `rank`:
open internships, best first) and renders it as a rich table or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from internscout.app import AppState, RankOptions, rank_rows
from internscout.service import GUIDE_PROFILE, profile_spec, to_analysis
from matcher import MatchResult, ProfileSpec, guide_profile
from matcher.gaps import GapGroup, SkillGap, skill_gaps
from matcher.scoring import COVERAGE_THRESHOLD

TABLE_SKILLS_PER_GROUP = 5  # the table shows this many per area; JSON has them all


@dataclass
class SkillsReport:
    profile: str  # the profile's name, or GUIDE_PROFILE
    postings: list[dict[str, Any]]  # id, title, company, score of the postings considered
    groups: list[GapGroup]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: posting indices in the groups become posting ids."""
        ids = [p["id"] for p in self.postings]
        groups = []
        for g in self.groups:
            d = g.to_dict()
            for skill in d["skills"]:
                skill["asked_by"] = [ids[i] for i in skill["asked_by"]]
                skill["unlocked"] = [ids[i] for i in skill["unlocked"]]
            groups.append(d)
        return {
            "profile": self.profile,
            "postings_considered": len(self.postings),
            "coverage_threshold": COVERAGE_THRESHOLD,
            "postings": self.postings,
            "top_skills": [s.skill for s in top_skills(self, 10)],
            "groups": groups,
        }


def build_skills_report(state: AppState, profile: str | None, top: int = 50) -> SkillsReport:
    """Skill gaps across the ``top`` best-ranked open internships for a profile (or the guide)."""
    if top < 1:
        raise ValueError("--top must be at least 1")
    spec: ProfileSpec
    if profile is None:
        spec = guide_profile(state.service().taxonomy)
    else:
        spec = profile_spec(state.config().profile(profile))  # unknown name: ConfigError
    rows = rank_rows(state, RankOptions(profile=profile, limit=top))
    matches = [
        (
            to_analysis(r.analysis),
            MatchResult(
                score=float(r.score.score),
                parts=dict(r.score.parts or {}),
                matched_skills=list(r.score.matched_skills or []),
                missing_skills=list(r.score.missing_skills or []),
                reasons=list(r.score.reasons or []),
            ),
        )
        for r in rows
    ]
    groups = skill_gaps(
        spec, matches, state.service().taxonomy, top_n=top, weights=state.config().weights
    )
    postings = [
        {
            "id": r.posting.id,
            "title": r.posting.title,
            "company": r.posting.company,
            "score": round(float(r.score.score), 4),
        }
        for r in rows
    ]
    return SkillsReport(profile or GUIDE_PROFILE, postings, groups)


def top_skills(report: SkillsReport, n: int) -> list[SkillGap]:
    """The ``n`` missing skills that unlock the most postings (then most asked), any area."""
    every = [s for g in report.groups for s in g.skills if s.unlocks > 0]
    return sorted(every, key=lambda s: (-s.unlocks, -s.asked, s.skill.casefold(), s.skill))[:n]


def print_skills_table(console: Console, report: SkillsReport, who: str) -> None:
    n = len(report.postings)
    if not report.groups:
        if n:
            console.print(
                f"No skill gaps: you have every skill asked for by your top {n} matches ({who})."
            )
        else:
            console.print(
                f"No ranked postings for {who}. Try `internscout crawl` or `internscout import`."
            )
        return
    best = top_skills(report, 5)
    if best:
        console.print(
            "Learn next: "
            + ", ".join(f"{s.skill} (unlocks {s.unlocks}, asked by {s.asked})" for s in best),
            highlight=False,
        )
    table = Table(
        title=f"Skills to learn next — {who}, top {n} matches",
        title_justify="left",
        caption=(
            "asked: postings asking for it · unlocks: postings where it is the only required "
            f"skill you lack, or lifts your skill coverage to {COVERAGE_THRESHOLD:.0%} · "
            "`internscout show ID` explains a posting"
        ),
        caption_justify="left",
    )
    table.add_column("area", overflow="fold")
    table.add_column("skill", overflow="fold")
    table.add_column("asked", justify="right", no_wrap=True)
    table.add_column("unlocks", justify="right", no_wrap=True)
    table.add_column("mostly", no_wrap=True)
    table.add_column("unlocked ids", overflow="fold")
    for g in report.groups:
        for k, skill in enumerate(g.skills[:TABLE_SKILLS_PER_GROUP]):
            ids = [str(report.postings[i]["id"]) for i in skill.unlocked]
            table.add_row(
                g.label if k == 0 else "",
                skill.skill,
                str(skill.asked),
                str(skill.unlocks),
                skill.mostly,
                ", ".join(ids[:6]) + (f" +{len(ids) - 6}" if len(ids) > 6 else ""),
            )
        hidden = len(g.skills) - TABLE_SKILLS_PER_GROUP
        if hidden > 0:
            table.add_row("", f"[dim]… {hidden} more[/dim]", "", "", "", "")
        table.add_section()
    console.print(table)
