"""The files channel: a digest as HTML, Markdown and a PNG chart in a folder, each written
atomically (also used for the Atom feed)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from scheduler.digest import Digest, render_html, render_markdown

# -- files ------------------------------------------------------------------------------------


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half.

    The file gets the mode of the one it replaces, else 0644 (readable by a web server
    publishing the feed; mkstemp alone would leave 0600)."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_files(digest: Digest, out_dir: Path, stem: str, chart: bytes | None) -> list[Path]:
    """`{stem}.html`, `{stem}.md` and, with a chart, `{stem}-skills.png`: html and md first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png_path = out_dir / f"{stem}-skills.png"
    chart_src = png_path.name if chart else None
    html_path = out_dir / f"{stem}.html"
    md_path = out_dir / f"{stem}.md"
    atomic_write(html_path, render_html(digest, chart_src).encode("utf-8"))
    atomic_write(md_path, render_markdown(digest, chart_src).encode("utf-8"))
    paths = [html_path, md_path]
    if chart:
        atomic_write(png_path, chart)
        paths.append(png_path)
    return paths


__all__ = ["atomic_write", "write_files"]
