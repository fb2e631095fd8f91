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

try:  # optional: wheels for Linux x86-64 (see pyproject.toml)
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None

_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
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
_SEPARATORS = bytes(range(256)).translate(None).replace(b"\x1c\x1d\x1e\x1f", b"    ")


def ascii_bytes(text: str) -> bytes:
    """``text`` as one byte per character, non-ASCII characters folded by class."""
    return text.encode("ascii", "internscout-classes").translate(_SEPARATORS)


def _group_end(pattern: str, start: int) -> int:
    """Index just after the group opened at ``pattern[start]`` ("(")."""
    depth, i, in_class = 0, start, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            i += 1 if pattern[i + 1 : i + 2] == "^" else 0
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced parenthesis")


def _strip_lookarounds(pattern: str) -> str:
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            j = i + (2 if pattern[i + 1 : i + 2] == "^" else 1)
            if pattern[j : j + 1] == "]":
                out.append(pattern[i : j + 1])
                i = j + 1
                continue
        elif pattern.startswith(_LOOKAROUND, i):
            i = _group_end(pattern, i)
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unwrap(pattern: str) -> str:
    while pattern.startswith("(?:") and _group_end(pattern, 0) == len(pattern):
        pattern = pattern[3:-1]
    return pattern


def _pieces(pattern: str) -> list[str]:
    from .text import split_alternatives  # (text imports this module)

    alternatives = split_alternatives(_unwrap(pattern))
    if len(alternatives) == 1:
        return alternatives
    out: list[str] = []
    for a in alternatives:
        a = _unwrap(a)
        out.extend(_pieces(a) if len(a) > _LIMIT else [a])
    return out


_ESCAPE_OR_CLASS = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]")
_CLASS = re.compile(r"\[(?!\^)(?:\\.|[^\[\]\\])+\]")


def _last_group(pattern: str) -> int:
    """Start of the top-level group that ends ``pattern``, or -1."""
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            i += 1 if pattern[i + 1 : i + 2] == "^" else 0
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            end = _group_end(pattern, i)
            if end == len(pattern):
                return i
            i = end
            continue
        i += 1
    return -1


def expressions(body: str, not_before: str) -> tuple[list[str], int] | None:
    """Hyperscan expressions matching (a superset of) ``(?<![not_before])body``, each
    starting with the character before the match (or the text's start), and how far past a
    match its lookaheads read; None if ``body`` uses syntax that Python and Hyperscan read
    differently, or a lookaround of unbounded width."""
    if not body.isascii() or any(s in body for s in ("{,", "[:", "(?P=", "(?(", "(?>", "(?#")):
        return None
    try:
        reach = 1
        for found in re.finditer(r"\(\?<?[=!]", body):
            inside = body[found.start() : _group_end(body, found.start())]
            if any(q in _ESCAPE_OR_CLASS.sub("", inside) for q in "*+{"):
                return None  # (a quantifier outside escapes and classes)
            reach = max(reach, len(inside))
        # Trailing lookaheads are dropped; one of a single class ("(?![\\w&])") is kept as
        # a consumed character (or the text's end).
        after = ""
        core = body
        while (start := _last_group(core)) >= 0 and core.startswith(("(?!", "(?="), start):
            inside = core[start + 3 : -1]
            if not after and core.startswith("(?!", start) and _CLASS.fullmatch(inside):
                after = inside
            core = core[:start]
        core = re.sub(r"\(\?P<\w+>", "(?:", _strip_lookarounds(core))
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
