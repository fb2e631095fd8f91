"""Sample data for the offline `internscout demo`.

The payloads in `internscout/demo_data/` are invented employers and postings written by
hand in the shapes the real job-board APIs return. `demo_routes()` serves them from a
`ReplayServer` at the paths the real APIs use, so the real spiders can crawl them by
pointing each source's `base_url` at the local server (see `demo_sources`).

`labels.json` next to the payloads is the answer key (is it an internship, which sector)
for every posting, keyed "<kind>/<board>/<id>"; nothing in the crawl path reads it.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from internscout.replay import ALLOW_ALL_ROBOTS, Handler, Reply

SIMPLIFY_PATH = "/simplify/listings.json"
SECTORS = ("tech", "healthcare", "finance", "nonprofit", "research")

DEMO_PROFILE: dict[str, Any] = {
    "name": "demo-student",
    "email": "student@example.edu",
    "skills": [
        "python",
        "sql",
        "pandas",
        "numpy",
        "scikit-learn",
        "pytorch",
        "nlp",
        "hugging face",
        "git",
        "tableau",
    ],
    "interests": (
        "Junior in computer science and statistics looking for a summer 2027 machine learning or "
        "data science internship. I want to apply NLP and predictive modeling to healthcare data "
        "or join a university research lab; I have built a clinical-notes classifier in PyTorch "
        "and a hospital readmission model with scikit-learn."
    ),
    "sectors": ["healthcare", "research", "tech"],
    "locations": ["Boston, MA", "New York, NY"],
    "remote_ok": True,
}


def load_file(name: str) -> Any:
    """Parse one JSON file from the packaged demo data."""
    resource = files("internscout").joinpath("demo_data", name)
    return json.loads(resource.read_text(encoding="utf-8"))


def demo_manifest() -> list[dict[str, str]]:
    """The demo boards: {name, kind, board, sector, file} from sources.json."""
    manifest: list[dict[str, str]] = load_file("sources.json")
    return manifest


def demo_labels() -> dict[str, dict[str, Any]]:
    """Answer key: "<kind>/<board>/<id>" -> {title, internship, sector, note?}."""
    labels: dict[str, dict[str, Any]] = load_file("labels.json")
    return labels


def _lever_handler(postings: list[dict[str, Any]]) -> Handler:
    """Serve a Lever site like api.lever.co: `skip` and `limit` page a JSON array."""

    def handle(path: str, query: dict[str, list[str]]) -> Reply:
        try:
            skip = int(query.get("skip", ["0"])[0])
            limit = int(query.get("limit", [str(len(postings))])[0])
        except ValueError:
            return Reply.json({"ok": False, "error": "Invalid skip or limit"}, status=400)
        if skip < 0 or limit < 0:
            return Reply.json({"ok": False, "error": "Invalid skip or limit"}, status=400)
        return Reply.json(postings[skip : skip + limit])

    return handle


def demo_routes() -> dict[str, Reply | Handler]:
    """Routes for a `ReplayServer` serving every demo board at its real API path."""
    routes: dict[str, Reply | Handler] = {"/robots.txt": ALLOW_ALL_ROBOTS}
    for source in demo_manifest():
        kind, board = source["kind"], source["board"]
        data = load_file(source["file"])
        if kind == "greenhouse":
            routes[f"/v1/boards/{board}/jobs"] = Reply.json(data)
            for job in data["jobs"]:
                routes[f"/v1/boards/{board}/jobs/{job['id']}"] = Reply.json(job)
        elif kind == "lever":
            routes[f"/v0/postings/{board}"] = _lever_handler(data)
            for posting in data:
                routes[f"/v0/postings/{board}/{posting['id']}"] = Reply.json(posting)
        elif kind == "ashby":
            routes[f"/posting-api/job-board/{board}"] = Reply.json(data)
        elif kind == "simplify":
            routes[SIMPLIFY_PATH] = Reply.json(data)
        else:
            raise ValueError(f"unknown demo source kind: {kind!r}")
    return routes


def demo_sources(base_url: str) -> list[dict[str, str]]:
    """Source dicts for the crawler, every one pointed at the replay server at `base_url`.

    Keys: name, kind, board, sector, base_url, and `company` (board sources) or `url`
    (the Simplify listings file).
    """
    base = base_url.rstrip("/")
    sources: list[dict[str, str]] = []
    for entry in demo_manifest():
        source = {
            "name": entry["name"],
            "kind": entry["kind"],
            "board": entry["board"],
            "sector": entry["sector"],
            "base_url": base,
        }
        if entry["kind"] == "simplify":
            source["url"] = f"{base}{SIMPLIFY_PATH}"
        else:
            source["company"] = entry["name"]  # Lever and Ashby records carry no company name
        sources.append(source)
    return sources
