"""What the `internscout` command modules share: the consoles, user errors, the app state.

Imported by `internscout.cli` and the `internscout.cli_*` command modules; as light as
`internscout.cli` itself (typer, rich's console, the config).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from internscout.app import AppState
from internscout.config import ConfigError

console = Console(soft_wrap=True)
err = Console(stderr=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a user's mistake into one clear line and exit status 2, never a traceback."""
    try:
        yield
    except (ConfigError, ValueError) as exc:
        _user_error(exc)
    except Exception as exc:
        # Imported only on an error: the store loads SQLAlchemy, the importer the normaliser.
        from internscout.importer import ImportFileError
        from store import StoreError

        if not isinstance(exc, (StoreError, ImportFileError)):
            raise
        _user_error(exc)


def _user_error(exc: Exception) -> None:
    err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
    raise typer.Exit(2) from None


def get_state(ctx: typer.Context) -> AppState:
    return ctx.ensure_object(AppState)
