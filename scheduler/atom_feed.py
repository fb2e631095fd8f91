"""The feed channel: a profile's digests as an Atom 1.0 feed, one entry per posting."""

from __future__ import annotations

import contextlib
import html
import logging
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from scheduler.delivery_settings import DEFAULT_FEED_MAX_ENTRIES, as_utc
from scheduler.digest import SECTOR_TITLES, Digest, file_slug
from scheduler.digest_files import atomic_write

# The logger of the module this code came from (`scheduler.delivery`): log records unchanged.
log = logging.getLogger("scheduler.delivery")

ATOM_NS = "http://www.w3.org/2005/Atom"
_A = f"{{{ATOM_NS}}}"
# uuid5 namespace for feed and entry ids: the same profile and posting give the same id forever.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/internscout/internscout/feeds")


# -- Atom feed --------------------------------------------------------------------------------


def feed_path(feed_dir: Path, profile_name: str) -> Path:
    return feed_dir / f"{file_slug(profile_name)}.atom"


def feed_id(profile_name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, 'feed/' + profile_name)}"


def entry_id(profile_name: str, posting_key: str) -> str:
    """Stable per (profile, posting): a retried or repeated write replaces, never duplicates."""
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'entry/{profile_name}/{posting_key}')}"


def _rfc3339(when: datetime) -> str:
    return as_utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    # Unqualified tags, the Atom namespace declared once on <feed> as the default: plain
    # `<entry>` markup with no ns0: prefixes and no global namespace registration.
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise read-modify-write of one feed between processes (POSIX; elsewhere a no-op)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _entry(digest: Digest, item: Any, stamp: str, published: str | None) -> ET.Element:
    entry = ET.Element("entry")
    _sub(entry, "id", entry_id(digest.profile_name, item.source_key or f"id:{item.posting_id}"))
    _sub(entry, "title", f"{item.title} — {item.company}")
    _sub(entry, "updated", stamp)
    _sub(entry, "published", published or stamp)
    if item.url:
        _sub(entry, "link", rel="alternate", type="text/html", href=item.url)
    _sub(entry, "category", term=item.sector, label=SECTOR_TITLES.get(item.sector, item.sector))
    facts = [item.company, item.location, f"score {item.score:.2f}"]
    if item.deadline:
        facts.append(f"apply by {item.deadline}")
    _sub(entry, "summary", " · ".join(facts))
    parts = [f"<p>{html.escape(' · '.join(facts))}</p>"]
    if item.matched_skills:
        parts.append(f"<p>You have: {html.escape(', '.join(item.matched_skills))}</p>")
    if item.missing_skills:
        parts.append(f"<p>To learn: {html.escape(', '.join(item.missing_skills))}</p>")
    if item.reasons:
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in item.reasons)
        parts.append(f"<ul>{reasons}</ul>")
    _sub(entry, "content", "".join(parts), type="html")
    return entry


def _unqualified(el: ET.Element) -> ET.Element:
    for node in el.iter():
        if isinstance(node.tag, str) and node.tag.startswith(_A):
            node.tag = node.tag[len(_A) :]
    return el


def update_feed(
    feed_dir: Path,
    digest: Digest,
    now: datetime,
    max_entries: int = DEFAULT_FEED_MAX_ENTRIES,
    feed_url: str | None = None,
) -> Path:
    """Add the digest's postings to `{feed_dir}/{profile}.atom` (Atom 1.0), newest first.

    One entry per delivered posting, its id stable per (profile, posting): an entry already in
    the feed (a retried delivery) is replaced in place of a duplicate. At most `max_entries`
    are kept. Written to a temporary file and renamed, so readers never see half a feed.
    """
    feed_dir.mkdir(parents=True, exist_ok=True)
    path = feed_path(feed_dir, digest.profile_name)
    stamp = _rfc3339(now)
    with _locked(path):
        old_entries: list[ET.Element] = []
        if path.exists():
            try:
                old_entries = ET.parse(path).getroot().findall(_A + "entry")
            except ET.ParseError as exc:
                log.warning("feed %s is not valid XML (%s): starting it again", path, exc)
        published: dict[str, str] = {}
        for el in old_entries:
            eid, pub = el.findtext(_A + "id"), el.findtext(_A + "published")
            if eid and pub:
                published[eid] = pub
        new_entries = []
        for item in digest.items:
            eid = entry_id(digest.profile_name, item.source_key or f"id:{item.posting_id}")
            new_entries.append(_entry(digest, item, stamp, published.get(eid)))
        new_ids = {e.findtext("id") for e in new_entries}
        kept = [_unqualified(e) for e in old_entries if e.findtext(_A + "id") not in new_ids]
        entries = (new_entries + kept)[:max_entries]

        feed = ET.Element("feed", {"xmlns": ATOM_NS})
        _sub(feed, "id", feed_id(digest.profile_name))
        _sub(feed, "title", f"InternScout: internships for {digest.profile_name}")
        _sub(feed, "subtitle", "New internship postings ranked for this profile")
        _sub(feed, "updated", stamp)
        self_href = f"{feed_url}/{path.name}" if feed_url else path.resolve().as_uri()
        _sub(feed, "link", rel="self", type="application/atom+xml", href=self_href)
        author = _sub(feed, "author")
        _sub(author, "name", "InternScout")
        _sub(feed, "generator", "InternScout")
        feed.extend(entries)
        ET.indent(feed)
        body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
        atomic_write(path, body + b"\n")
    return path


__all__ = ["ATOM_NS", "entry_id", "feed_id", "feed_path", "update_feed"]
