"""What the operator commands that open the store directly share: the state options, opening
the deployment's store, and the account a command means when none is named."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=Path(".sagegate"), help="state folder")
    p.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: SQLite)")


def open_state(args: argparse.Namespace) -> Any:
    """The deployment's store, migrated and seeded, as `serve` opens it."""
    from sagegate.server.settings import Settings
    from sagegate.server.state import open_store

    return open_store(Settings(data_dir=args.data_dir, database_url=args.database_url))


def account_of(store: Any, given: str | None) -> str | None:
    """`given`, else the deployment's only account; None when there are several."""
    if given is not None:
        return given
    accounts = store.list_accounts()
    return str(accounts[0].account_id) if len(accounts) == 1 else None
