"""The offline demo's hand-written payloads and the routes that serve them."""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from internscout.demo import (
    DEMO_PROFILE,
    SECTORS,
    SIMPLIFY_PATH,
    demo_labels,
    demo_manifest,
    demo_routes,
    demo_sources,
    load_file,
)
from internscout.replay import ReplayServer

KINDS = {"greenhouse", "lever", "ashby", "simplify"}
MANIFEST = demo_manifest()
BY_KIND = {kind: [s for s in MANIFEST if s["kind"] == kind] for kind in KINDS}

REQUIRED = {
    "greenhouse": {"id", "title", "absolute_url", "location", "updated_at", "content"},
    "lever": {"id", "text", "hostedUrl", "categories", "createdAt"},
    "ashby": {"id", "title", "jobUrl", "employmentType", "isListed"},
    "simplify": {
        "id",
        "title",
        "company_name",
        "url",
        "locations",
        "active",
        "is_visible",
        "date_posted",
    },
}


def postings(source: dict[str, str]) -> list[dict[str, Any]]:
    data = load_file(source["file"])
    if source["kind"] in ("greenhouse", "ashby"):
        return data["jobs"]
    return data


def title_of(kind: str, posting: dict[str, Any]) -> str:
    return posting["text"] if kind == "lever" else posting["title"]


def in_2026(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.astimezone(UTC).year == 2026


def description_text(kind: str, posting: dict[str, Any]) -> str:
    if kind == "greenhouse":
        markup = html.unescape(posting["content"])
    elif kind == "lever":
        parts = [posting["descriptionPlain"], posting["additionalPlain"]]
        parts += [item["text"] + " " + item["content"] for item in posting["lists"]]
        markup = "\n".join(parts)
    else:
        markup = posting["descriptionPlain"]
    return re.sub(r"<[^>]+>", " ", markup)


# ------------------------------------------------------------------ manifest


def test_manifest_lists_every_kind_with_a_sector_hint() -> None:
    assert {s["kind"] for s in MANIFEST} == KINDS
    for source in MANIFEST:
        assert set(source) >= {"name", "kind", "board", "sector", "file"}
        assert source["sector"] in SECTORS, source
        assert source["file"].startswith(source["kind"] + "_") and source["file"].endswith(".json")
    boards = [(s["kind"], s["board"]) for s in MANIFEST]
    assert len(boards) == len(set(boards))
    assert {s["sector"] for s in MANIFEST} == set(SECTORS)


def test_total_size_is_demo_sized() -> None:
    counts = {s["board"]: len(postings(s)) for s in MANIFEST}
    assert 40 <= sum(counts.values()) <= 55, counts
    assert all(n >= 5 for n in counts.values()), counts


# ------------------------------------------------------------------ shapes


@pytest.mark.parametrize("source", MANIFEST, ids=lambda s: s["file"])
def test_payload_has_the_real_api_shape(source: dict[str, str]) -> None:
    kind = source["kind"]
    data = load_file(source["file"])
    if kind == "greenhouse":
        assert set(data) == {"jobs", "meta"} and data["meta"]["total"] == len(data["jobs"])
    elif kind == "ashby":
        assert data["apiVersion"] == "1" and isinstance(data["jobs"], list)
    else:
        assert isinstance(data, list)
    for posting in postings(source):
        missing = REQUIRED[kind] - set(posting)
        assert not missing, (title_of(kind, posting), missing)
        assert title_of(kind, posting).strip()


@pytest.mark.parametrize("source", BY_KIND["greenhouse"], ids=lambda s: s["board"])
def test_greenhouse_fields(source: dict[str, str]) -> None:
    for job in postings(source):
        assert isinstance(job["id"], int)
        assert isinstance(job["location"]["name"], str) and job["location"]["name"]
        assert in_2026(datetime.fromisoformat(job["updated_at"]))
        assert in_2026(datetime.fromisoformat(job["first_published"]))
        # Like the real API, content is HTML that has itself been HTML-escaped.
        assert "&lt;p&gt;" in job["content"] and "<" not in job["content"]
        assert "<li>" in html.unescape(job["content"])
        deadline = job["application_deadline"]
        assert deadline is None or datetime.fromisoformat(deadline).tzinfo is not None


def test_one_greenhouse_internship_deadline_has_passed_and_one_is_far_off() -> None:
    labels = demo_labels()
    now = datetime.now(UTC)
    passed, future = [], []
    for source in BY_KIND["greenhouse"]:
        for job in postings(source):
            if job["application_deadline"] is None:
                continue
            deadline = datetime.fromisoformat(job["application_deadline"])
            is_intern = labels[f"greenhouse/{source['board']}/{job['id']}"]["internship"]
            (passed if deadline < now else future).append((deadline, is_intern))
    assert len(passed) == 1 and passed[0][1], passed
    assert future and all(deadline.year >= 2030 for deadline, _ in future)


@pytest.mark.parametrize("source", BY_KIND["lever"], ids=lambda s: s["board"])
def test_lever_fields(source: dict[str, str]) -> None:
    for posting in postings(source):
        created = datetime.fromtimestamp(posting["createdAt"] / 1000, UTC)
        assert created.year == 2026
        categories = posting["categories"]
        assert categories["commitment"] and categories["location"]
        assert categories["allLocations"] == [categories["location"]]
        assert posting["hostedUrl"].endswith(posting["id"])
        assert posting["descriptionPlain"] and posting["description"].startswith("<div>")
        for item in posting["lists"]:
            assert set(item) == {"text", "content"} and item["content"].startswith("<li>")
        salary = posting.get("salaryRange")
        if salary is not None:
            assert set(salary) == {"min", "max", "currency", "interval"}
            assert salary["min"] <= salary["max"]


@pytest.mark.parametrize("source", BY_KIND["ashby"], ids=lambda s: s["board"])
def test_ashby_fields(source: dict[str, str]) -> None:
    jobs = postings(source)
    for job in jobs:
        assert job["employmentType"] in {"FullTime", "PartTime", "Intern", "Contract", "Temporary"}
        assert job["workplaceType"] in {"OnSite", "Hybrid", "Remote"}
        assert in_2026(datetime.fromisoformat(job["publishedAt"]))
        assert job["jobUrl"].endswith(job["id"]) and job["descriptionHtml"].startswith("<h1>")
        comp = job["compensation"]
        assert set(comp) >= {"compensationTierSummary", "compensationTiers", "summaryComponents"}
        if job["shouldDisplayCompensationOnJobPostings"]:
            salary = [c for c in comp["summaryComponents"] if c["compensationType"] == "Salary"]
            assert salary and salary[0]["minValue"] <= salary[0]["maxValue"]
    assert any(not job["isListed"] for job in jobs)
    assert {"Intern", "FullTime"} <= {job["employmentType"] for job in jobs}


@pytest.mark.parametrize("source", BY_KIND["simplify"], ids=lambda s: s["board"])
def test_simplify_fields(source: dict[str, str]) -> None:
    listings = postings(source)
    for listing in listings:
        assert isinstance(listing["date_posted"], int)
        assert datetime.fromtimestamp(listing["date_posted"], UTC).year == 2026
        assert listing["date_updated"] >= listing["date_posted"]
        assert listing["terms"] and all(isinstance(t, str) for t in listing["terms"])
        assert listing["locations"] and listing["is_visible"] is True
        assert re.search(r"intern", listing["title"], re.I)
    assert sum(not listing["active"] for listing in listings) == 1
    # Some listings repeat a posting from a company board (same company and title).
    on_boards = {
        (s["name"], title_of(s["kind"], p))
        for s in MANIFEST
        if s["kind"] != "simplify"
        for p in postings(s)
    }
    dupes = [x for x in listings if (x["company_name"], x["title"]) in on_boards]
    assert 2 <= len(dupes) < len(listings)


@pytest.mark.parametrize("source", MANIFEST, ids=lambda s: s["board"])
def test_ids_unique_per_board(source: dict[str, str]) -> None:
    ids = [p["id"] for p in postings(source)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "source", [s for s in MANIFEST if s["kind"] != "simplify"], ids=lambda s: s["board"]
)
def test_descriptions_are_realistic_length(source: dict[str, str]) -> None:
    for posting in postings(source):
        words = len(re.findall(r"\w+", description_text(source["kind"], posting)))
        assert 80 <= words <= 250, (title_of(source["kind"], posting), words)


# ------------------------------------------------------------------ labels / sector coverage


def all_keys() -> Iterator[tuple[str, dict[str, str], dict[str, Any]]]:
    for source in MANIFEST:
        for posting in postings(source):
            yield f"{source['kind']}/{source['board']}/{posting['id']}", source, posting


def test_labels_cover_every_posting_and_agree_with_sector_hints() -> None:
    labels = demo_labels()
    keys = {key for key, _, _ in all_keys()}
    assert keys == set(labels)
    for key, source, posting in all_keys():
        label = labels[key]
        assert label["sector"] == source["sector"]
        assert label["title"] == title_of(source["kind"], posting)
        assert isinstance(label["internship"], bool)


def test_every_sector_has_an_internship_and_a_mix_overall() -> None:
    labels = demo_labels().values()
    intern_sectors = {label["sector"] for label in labels if label["internship"]}
    assert intern_sectors == set(SECTORS)
    kinds = Counter(label["internship"] for label in labels)
    assert kinds[True] >= 15 and kinds[False] >= 15, kinds


def test_labels_agree_with_structured_employment_fields() -> None:
    labels = demo_labels()
    for key, source, posting in all_keys():
        if source["kind"] == "lever" and posting["categories"]["commitment"] in ("Intern",):
            assert labels[key]["internship"], key
        if source["kind"] == "ashby":
            assert labels[key]["internship"] == (posting["employmentType"] == "Intern"), key


@pytest.mark.parametrize(
    ("title", "internship"),
    [
        ("Internal Audit Analyst", False),
        ("International Programs Coordinator", False),
        ("Senior Machine Learning Engineer, Ranking", False),
        ("Senior Machine Learning Engineer", False),
        ("Software Engineer, New Grad (2027 Start)", False),
        ("Data Engineering Co-op (Spring 2027)", True),
        ("2027 Summer Analyst – Investment Banking", True),
        ("Undergraduate Research Assistant – Clinical NLP Lab", True),
        ("Data Science Intern – Clinical Operations", True),
        ("AI Policy Intern (City Partnerships)", True),
        ("Machine Learning Intern", True),
    ],
)
def test_tricky_titles_are_present_and_labelled(title: str, internship: bool) -> None:
    matches = [label for label in demo_labels().values() if label["title"] == title]
    assert matches and all(label["internship"] is internship for label in matches)


# ------------------------------------------------------------------ routes


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    srv = ReplayServer(demo_routes()).start()
    yield srv
    srv.stop()


def fetch(server: ReplayServer, path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(server.base_url + path, timeout=5) as resp:
            body = resp.read()
            ctype = resp.headers.get("Content-Type", "")
            return resp.status, json.loads(body) if "json" in ctype else body.decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.mark.parametrize("source", BY_KIND["lever"], ids=lambda s: s["board"])
def test_lever_handler_pages_with_skip_and_limit(
    server: ReplayServer, source: dict[str, str]
) -> None:
    expected = postings(source)
    path = f"/v0/postings/{source['board']}"
    pages: list[dict[str, Any]] = []
    skip = 0
    while True:
        status, page = fetch(server, f"{path}?mode=json&skip={skip}&limit=3")
        assert status == 200 and isinstance(page, list)
        assert page == expected[skip : skip + 3]
        if not page:
            break
        pages += page
        skip += 3
    assert pages == expected
    assert fetch(server, f"{path}?mode=json") == (200, expected)
    assert fetch(server, f"{path}?mode=json&skip=1&limit=2") == (200, expected[1:3])
    assert fetch(server, f"{path}?mode=json&skip=99&limit=3") == (200, [])
    assert fetch(server, f"{path}?mode=json&skip=x")[0] == 400


def test_routes_serve_each_payload_at_its_real_path(server: ReplayServer) -> None:
    paths = {
        "greenhouse": "/v1/boards/{board}/jobs?content=true",
        "ashby": "/posting-api/job-board/{board}?includeCompensation=true",
        "simplify": SIMPLIFY_PATH,
    }
    for source in MANIFEST:
        if source["kind"] == "lever":
            continue
        status, body = fetch(server, paths[source["kind"]].format(board=source["board"]))
        assert status == 200 and body == load_file(source["file"]), source["file"]
    gh = BY_KIND["greenhouse"][0]
    job = postings(gh)[0]
    assert fetch(server, f"/v1/boards/{gh['board']}/jobs/{job['id']}") == (200, job)
    status, robots = fetch(server, "/robots.txt")
    assert status == 200 and "Allow: /" in robots and "Disallow" not in robots
    assert fetch(server, "/v1/boards/no-such-board/jobs")[0] == 404


def test_demo_sources_point_at_the_server() -> None:
    sources = demo_sources("http://127.0.0.1:8765/")
    assert [(s["kind"], s["board"]) for s in sources] == [(m["kind"], m["board"]) for m in MANIFEST]
    for source in sources:
        assert source["base_url"] == "http://127.0.0.1:8765"
        assert source["sector"] in SECTORS and source["name"]
        if source["kind"] == "simplify":
            assert source["url"] == "http://127.0.0.1:8765/simplify/listings.json"
            assert "company" not in source  # each listing names its own company
        else:
            assert "url" not in source and source["company"] == source["name"]


def test_demo_profile_shape() -> None:
    assert DEMO_PROFILE["name"] == "demo-student"
    assert DEMO_PROFILE["email"].endswith(".edu")
    assert {"python", "sql", "pandas", "scikit-learn", "pytorch", "nlp"} <= set(
        DEMO_PROFILE["skills"]
    )
    assert set(DEMO_PROFILE["sectors"]) <= set(SECTORS)
    assert DEMO_PROFILE["locations"] and DEMO_PROFILE["remote_ok"] is True
    assert len(DEMO_PROFILE["interests"].split()) >= 10
