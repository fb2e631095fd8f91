"""The structure of a regex's source (alternatives, groups, lookarounds), read without a full
parse: escapes ("\\w") and character classes ("[^]a]") are skipped as single units."""

from __future__ import annotations

from collections.abc import Iterator

LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")


def units(pattern: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """(start, end) of each unit of ``pattern`` from ``start``: an escape, a character class
    (whose first "]", also after "^", is a member), or one other character."""
    i, n = start, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            end = i + 2
        elif ch == "[":
            j = i + 1
            j += pattern[j : j + 1] == "^"
            j += pattern[j : j + 1] == "]"
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            end = j + 1
        else:
            end = i + 1
        yield i, min(end, n)
        i = end


def split_alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regex ("a|b(c|d)" -> ["a", "b(c|d)"])."""
    parts: list[str] = []
    depth = start = 0
    for i, end in units(pattern):
        if end - i != 1:
            continue
        ch = pattern[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def group_end(pattern: str, start: int) -> int:
    """Index just after the group opened at ``pattern[start]`` ("(")."""
    depth = 0
    for i, end in units(pattern, start):
        if end - i == 1 and pattern[i] in "()":
            depth += 1 if pattern[i] == "(" else -1
            if depth == 0:
                return end
    raise ValueError(f"unbalanced parenthesis in {pattern!r}")


def last_group(pattern: str) -> int:
    """Start of the top-level group that ends ``pattern``, or -1."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "(":
            end = group_end(pattern, i)
            if end == len(pattern):
                return i
            i = end
        else:
            i = next(units(pattern, i))[1]
    return -1


def strip_lookarounds(pattern: str) -> str:
    """``pattern`` without its lookahead and lookbehind groups."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith(LOOKAROUNDS, i):
            i = group_end(pattern, i)
            continue
        end = next(units(pattern, i))[1]
        out.append(pattern[i:end])
        i = end
    return "".join(out)


def unwrap(pattern: str) -> str:
    """``pattern`` without non-capturing groups that wrap all of it ("(?:(?:a|b))" -> "a|b")."""
    while pattern.startswith("(?:") and group_end(pattern, 0) == len(pattern):
        pattern = pattern[3:-1]
    return pattern
