"""Server settings: command-line flags, with environment variables for worker processes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 4747
DEFAULT_MAX_BODY = 8 * 1024 * 1024  # bytes; larger requests get 413 RequestEntityTooLarge


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = Path(".sagegate")
    database_url: str | None = None
    workers: int = 1
    max_body: int = DEFAULT_MAX_BODY

    def to_env(self) -> dict[str, str]:
        env = {"SAGEGATE_DATA_DIR": str(self.data_dir), "SAGEGATE_MAX_BODY": str(self.max_body)}
        if self.database_url:
            env["SAGEGATE_DATABASE_URL"] = self.database_url
        return env

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            data_dir=Path(os.environ.get("SAGEGATE_DATA_DIR", ".sagegate")),
            database_url=os.environ.get("SAGEGATE_DATABASE_URL") or None,
            max_body=int(os.environ.get("SAGEGATE_MAX_BODY", DEFAULT_MAX_BODY)),
        )
