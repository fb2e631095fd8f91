"""Plain text of a profile's resume file (.txt, .md, .pdf, .docx)."""

from __future__ import annotations

from pathlib import Path

from internscout.config import ConfigError


def read_resume(path: Path) -> str:
    if not path.exists():
        raise ConfigError(f"resume file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix in (".txt", ".md"):
            return path.read_text(encoding="utf-8", errors="replace")
        if suffix == ".pdf":
            from pypdf import PdfReader

            return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        if suffix == ".docx":
            import docx

            return "\n".join(par.text for par in docx.Document(str(path)).paragraphs)
    except ConfigError:
        raise
    except Exception as exc:  # a broken file is the user's to fix, not a traceback
        raise ConfigError(f"resume file {path}: cannot read it as {suffix}: {exc}") from exc
    raise ConfigError(f"resume file {path}: unsupported type {suffix} (.txt, .md, .pdf, .docx)")
