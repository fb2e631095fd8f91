"""Where in a long text a scanned pattern can match, found by Hyperscan in one pass.

Python's ``re`` tries a big alternation (hundreds of sector cues, requirement and boilerplate
phrases) at every word of a posting, a large part of the time spent classifying real postings.
Hyperscan finds all the candidate spots at once, in C. It only narrows the search:
:class:`text.BoundaryScan` still runs its own ``re`` pattern inside the returned windows, so
results are identical with or without it, and without the (optional) ``hyperscan`` package
nothing changes but speed.

Why the windows can be trusted. The Hyperscan expressions match a superset of what the ``re``
pattern matches: lookarounds are dropped, except the boundary before a match and a one-class
lookahead after it, which become consumed characters. Hyperscan reports every match end with
its leftmost start, so every ``re`` match lies inside one reported span; overlapping spans are
merged, so a match starting in a window also ends in it. :class:`text.BoundaryScan` checks the
one thing this argument leaves open (a match running past its window) and falls back to the
plain scan if it ever happens.

Texts are handed over as ASCII bytes so that offsets stay the same: each non-ASCII character is
replaced by an ASCII one of the same class for ``\\w``, ``\\d`` and ``\\s`` (``re``'s Unicode
classes), and the separators \\x1c-\\x1f (white space to ``re``) by spaces.
"""

from __future__ import annotations

import codecs
import re
import threading
from typing import Any

from .regex_syntax import (
    LOOKAROUNDS,
    group_end,
    last_group,
    split_alternatives,
    strip_lookarounds,
    units,
    unwrap,
)

try:  # optional: wheels for Linux x86-64 (see pyproject.toml)
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None

_LIMIT = 1000  # characters per Hyperscan expression (it refuses very long ones)


def _fold(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for ch in error.object[error.start : error.end]:
        if ch.isdecimal():
            out.append("0")
        elif ch.isalnum():
            out.append("a")
        elif ch.isspace():
            out.append(" ")
        else:
            out.append("\x7f")
    return "".join(out), error.end


codecs.register_error("internscout-classes", _fold)


# re's \s also matches the ASCII separators \x1c-\x1f; Hyperscan's does not.
_SEPARATORS = bytes(range(256)).replace(b"\x1c\x1d\x1e\x1f", b"    ")


def ascii_bytes(text: str) -> bytes:
    """``text`` as one byte per character, non-ASCII characters folded by class."""
    return text.encode("ascii", "internscout-classes").translate(_SEPARATORS)


def _pieces(pattern: str) -> list[str]:
    alternatives = split_alternatives(unwrap(pattern))
    if len(alternatives) == 1:
        return alternatives
    out: list[str] = []
    for a in alternatives:
        a = unwrap(a)
        out.extend(_pieces(a) if len(a) > _LIMIT else [a])
    return out


def _lookarounds(pattern: str) -> list[str]:
    """The source of each lookaround group in ``pattern``."""
    return [
        pattern[i : group_end(pattern, i)]
        for i, end in units(pattern)
        if end - i == 1 and pattern.startswith(LOOKAROUNDS, i)
    ]


def _bounded(pattern: str) -> bool:
    """No quantifier but "?" outside escapes and classes."""
    return not any(end - i == 1 and pattern[i] in "*+{" for i, end in units(pattern))


def _one_class(pattern: str) -> bool:
    """Is ``pattern`` a single, not negated, character class?"""
    return pattern[:1] == "[" and pattern[:2] != "[^" and next(units(pattern))[1] == len(pattern)


def expressions(body: str, not_before: str) -> tuple[list[str], int] | None:
    """Hyperscan expressions matching (a superset of) ``(?<![not_before])body``, each
    starting with the character before the match (or the text's start), and how far past a
    match its lookaheads read; None if ``body`` uses syntax that Python and Hyperscan read
    differently, or a lookaround of unbounded width."""
    if not body.isascii() or any(s in body for s in ("{,", "[:", "(?P=", "(?(", "(?>", "(?#")):
        return None
    try:
        looks = _lookarounds(body)
        if not all(map(_bounded, looks)):
            return None
        reach = max(map(len, looks), default=1)
        # Trailing lookaheads are dropped; one of a single class ("(?![\\w&])") is kept as
        # a consumed character (or the text's end).
        after = ""
        core = body
        while (start := last_group(core)) >= 0 and core.startswith(("(?!", "(?="), start):
            inside = core[start + 3 : -1]
            if not after and core.startswith("(?!", start) and _one_class(inside):
                after = inside
            core = core[:start]
        core = re.sub(r"\(\?P<\w+>", "(?:", strip_lookarounds(core))
        pieces = _pieces(core)
    except (ValueError, IndexError):
        return None
    tail = f"(?:[^{after[1:-1]}]|$)" if after else ""
    exprs = [f"(?:^|[^{not_before}])(?:{p}){tail}" for p in pieces]
    return (exprs, reach) if all(pieces) else None


class Windows:
    """The merged spans of a text where a :class:`text.BoundaryScan` may find its matches.

    Compiled on request (:meth:`compile`) and not pickled: a copy starts uncompiled (a forked
    worker shares its parent's database). ``None`` from :meth:`spans` means "no prefilter":
    not compiled, Hyperscan missing, or the pattern unsupported.
    """

    def __init__(self, body: str, not_before: str, flags: int) -> None:
        self._pattern = (body, not_before)
        self.flags = flags
        self._db: Any = None
        self.reach = 1  # characters a lookahead reads past a match
        self._state = "new"  # "new" | "ready" | "off"
        self._local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        return {"pattern": self._pattern, "flags": self.flags}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(*state["pattern"], state["flags"])  # type: ignore[misc]

    def compile(self) -> bool:
        """Build the database (once); False when no prefilter can be used."""
        if self._state == "new":
            self._state = "off"
            found = None if hyperscan is None or self.flags else expressions(*self._pattern)
            if found is not None:
                exprs, reach = found
                db = hyperscan.Database()
                try:
                    db.compile(
                        expressions=[e.encode() for e in exprs],
                        ids=[0] * len(exprs),
                        elements=len(exprs),
                        flags=hyperscan.HS_FLAG_SOM_LEFTMOST,
                    )
                except hyperscan.error:
                    pass
                else:
                    self._db, self.reach, self._state = db, reach, "ready"
        return self._state == "ready"

    def spans(self, text: str) -> list[tuple[int, int]] | None:
        """Sorted, non-overlapping (start, end) spans covering every match; None when the
        prefilter is not compiled (see :meth:`compile`) or cannot be used."""
        if self._state != "ready":
            return None
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._db)
        found: list[tuple[int, int]] = []
        add = found.append
        self._db.scan(
            ascii_bytes(text),
            match_event_handler=lambda _id, a, b, _f, _c: add((a, b)),
            scratch=scratch,
        )
        if not found:
            return found
        found.sort()
        merged = [found[0]]
        for a, b in found[1:]:
            last_a, last_b = merged[-1]
            if a <= last_b:
                if b > last_b:
                    merged[-1] = (last_a, b)
            else:
                merged.append((a, b))
        return merged
