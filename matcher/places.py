"""Matching a profile's wanted places against a posting's locations."""

from __future__ import annotations

import re
from collections.abc import Sequence

_US_STATES = {
    "al": "alabama", "ak": "alaska", "az": "arizona", "ar": "arkansas", "ca": "california",
    "co": "colorado", "ct": "connecticut", "de": "delaware", "fl": "florida", "ga": "georgia",
    "hi": "hawaii", "id": "idaho", "il": "illinois", "in": "indiana", "ia": "iowa",
    "ks": "kansas", "ky": "kentucky", "la": "louisiana", "me": "maine", "md": "maryland",
    "ma": "massachusetts", "mi": "michigan", "mn": "minnesota", "ms": "mississippi",
    "mo": "missouri", "mt": "montana", "ne": "nebraska", "nv": "nevada", "nh": "new hampshire",
    "nj": "new jersey", "nm": "new mexico", "ny": "new york", "nc": "north carolina",
    "nd": "north dakota", "oh": "ohio", "ok": "oklahoma", "or": "oregon", "pa": "pennsylvania",
    "ri": "rhode island", "sc": "south carolina", "sd": "south dakota", "tn": "tennessee",
    "tx": "texas", "ut": "utah", "vt": "vermont", "va": "virginia", "wa": "washington",
    "wv": "west virginia", "wi": "wisconsin", "wy": "wyoming", "dc": "district of columbia",
}  # fmt: skip
_STATE_NAMES = frozenset(_US_STATES.values())
_PLACE_ALIASES = {
    # Not "la"/"dc": they are also state codes (Louisiana; DC would expand to "washington").
    "nyc": "new york", "sf": "san francisco", "usa": "united states", "us": "united states",
    "u.s.": "united states", "u.s.a.": "united states", "uk": "united kingdom",
}  # fmt: skip


def _place_parts(text: str) -> list[str]:
    """Lower-case parts of a location string, most specific first ("boston", "ma")."""
    parts = (" ".join(p.split()) for p in re.split(r"[,;/|()]|\s+-\s+", text.lower()))
    return [_PLACE_ALIASES.get(p, p) for p in parts if p]


def _state_name(part: str) -> str | None:
    if part in _US_STATES:
        return _US_STATES[part]
    return part if part in _STATE_NAMES else None


def location_match(wanted: Sequence[str], locations: Sequence[str]) -> str | None:
    """The first posting location matching a wanted place.

    A wanted "Boston, MA" is matched by its most specific part (Boston); a wanted state ("MA"
    or "Massachusetts") by the posting's state in either spelling.
    """
    postings = [(loc, _place_parts(loc)) for loc in locations]
    for w in wanted:
        parts = _place_parts(w)
        if not parts:
            continue
        key = parts[0]
        # "Washington" alone is the state; in "Washington, DC" it is the city.
        state = _state_name(key) if len(parts) == 1 or parts[1] == "united states" else None
        for loc, pparts in postings:
            if state is not None and any(_state_name(p) == state for p in pparts):
                return loc
            if len(key) >= 2 and (
                key in pparts or re.search(rf"(?<!\w){re.escape(key)}(?!\w)", loc.lower())
            ):
                return loc
    return None
