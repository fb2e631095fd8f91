"""The digest's skills chart: the skills most asked for in its postings, next to the profile's own.

`skill_demand` counts (pure, deterministic); `render_skill_chart` draws horizontal bars with
matplotlib's Agg canvas (no pyplot, no GUI backend, safe in a scheduler thread) and returns
PNG bytes. matplotlib is imported only when a chart is drawn, so importing this module (and
`scheduler.digest`) stays cheap for commands that never draw one.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

HAVE_COLOUR = "#2f855a"  # green: the profile has the skill
MISS_COLOUR = "#dd6b20"  # orange: a skill to learn


class _HasSkills(Protocol):
    matched_skills: list[str]
    missing_skills: list[str]


@dataclass(frozen=True)
class SkillBar:
    skill: str  # the label as the postings show it, e.g. "Python"
    count: int  # how many of the digest's postings ask for it
    have: bool  # the profile has it


def skill_demand(
    items: Iterable[_HasSkills], profile_skills: Iterable[str] = (), top: int = 10
) -> list[SkillBar]:
    """The `top` skills asked for by the most postings, most asked first (ties by name).

    A posting asks for a skill when the matcher listed it as matched or missing. The profile
    has a skill when any posting matched it, or when it is among `profile_skills`
    (compared case-insensitively).
    """
    counts: dict[str, int] = {}
    labels: dict[str, str] = {}
    have: set[str] = {s.strip().casefold() for s in profile_skills if s.strip()}
    for item in items:
        seen: set[str] = set()
        for skill in [*item.matched_skills, *item.missing_skills]:
            key = skill.strip().casefold()
            if not key or key in seen:
                continue
            seen.add(key)
            counts[key] = counts.get(key, 0) + 1
            labels.setdefault(key, skill.strip())
        have.update(s.strip().casefold() for s in item.matched_skills)
    order = sorted(counts, key=lambda k: (-counts[k], labels[k].casefold(), labels[k]))
    return [SkillBar(labels[k], counts[k], k in have) for k in order[: max(0, top)]]


def render_skill_chart(
    bars: Sequence[SkillBar], title: str = "Skills most asked for in this digest"
) -> bytes | None:
    """A PNG of horizontal bars (most asked at the top), or None when there is nothing to draw."""
    if not bars:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    height = 1.3 + 0.34 * len(bars)
    fig = Figure(figsize=(6.4, height), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    names = [b.skill for b in bars]
    counts = [b.count for b in bars]
    colours = [HAVE_COLOUR if b.have else MISS_COLOUR for b in bars]
    positions = list(range(len(bars)))
    ax.barh(positions, counts, color=colours, height=0.7)
    ax.set_yticks(positions, labels=names)
    ax.invert_yaxis()  # most asked at the top
    top = max(counts)
    ax.set_xlim(0, top * 1.15 + 0.5)
    for y, n in zip(positions, counts, strict=True):
        ax.text(n + top * 0.02 + 0.05, y, str(n), va="center", fontsize=9, color="#2d3748")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("postings asking for it")
    ax.set_title(title, fontsize=11, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(
        handles=[
            Patch(color=HAVE_COLOUR, label="you have it"),
            Patch(color=MISS_COLOUR, label="to learn"),
        ],
        loc="lower right",
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout()
    buf = io.BytesIO()
    # No "Software" stamp: the same bars give the same bytes across matplotlib patch releases.
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
