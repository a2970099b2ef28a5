"""What every part of `Store` shares: sessions, the authorization epoch, markers, row lookups.

Transactions: each public write method runs in exactly one transaction (`_write`), so an error
anywhere leaves nothing half-written. A write transaction begins by bumping `authz_epoch`, which
also makes it the first lock taken: on PostgreSQL the epoch row serialises IAM writers (no
deadlocks, no check-then-insert races), on SQLite `BEGIN IMMEDIATE` already does. IAM writes
are rare; the request path only reads.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from sagegate.store.engine import write_engine
from sagegate.store.errors import InvalidMarker, NotFound
from sagegate.store.keyring import Keyring
from sagegate.store.passwords import Passwords
from sagegate.store.records import Tags, User
from sagegate.store.schema import AccountRow, ManagedPolicyRow, MetaRow, TagRow, UserRow

EPOCH_KEY = "authz_epoch"
_EPOCH_SQL = f"SELECT value FROM meta WHERE key = '{EPOCH_KEY}'"  # a constant, no input


def utcnow() -> datetime:
    return datetime.now(UTC)


def encode_marker(*keys: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(keys)).encode()).decode().rstrip("=")


def decode_marker(marker: str, n: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(marker + "=" * (-len(marker) % 4))
        keys = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidMarker() from None
    if not isinstance(keys, list) or len(keys) != n or not all(isinstance(k, str) for k in keys):
        raise InvalidMarker()
    return keys


def check_max_items(max_items: int) -> None:
    if max_items < 1:
        raise ValueError("max_items must be at least 1")


def user_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


F = TypeVar("F", bound=Callable[..., Any])


def cached_read(method: F) -> F:
    """Keep a read method's answers until the authorization epoch moves.

    Every write that bumps the epoch drops the cache when it commits, and `epoch()` (read first
    on every request) drops it when another process has written; so a cached answer is never
    older than what the epoch check of the current request would allow. Answers must be
    immutable (frozen records, tuples, strings). Errors are not cached."""

    @functools.wraps(method)
    def wrapper(self: StoreBase, *args: Any, **kwargs: Any) -> Any:
        key = (method.__name__, args, tuple(sorted(kwargs.items())))
        try:
            return self._read_cache[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable argument: not cacheable
            return method(self, *args, **kwargs)
        generation = self._cache_generation
        value = method(self, *args, **kwargs)
        if generation == self._cache_generation:  # no write or epoch change in between
            if len(self._read_cache) >= 50_000:
                self._read_cache.clear()
            self._read_cache[key] = value
        return value

    return wrapper  # type: ignore[return-value]


class StoreBase:
    """Engine, keyring and password hasher, plus the helpers the feature mixins share."""

    def __init__(self, engine: Engine, keyring: Keyring, passwords: Passwords) -> None:
        self._engine = engine
        self._write_engine = write_engine(engine)
        self._keyring = keyring
        self._passwords = passwords
        self._epoch_lock = threading.Lock()
        self._epoch_conn: Any = None
        self._read_cache: dict[Any, Any] = {}
        self._cache_generation = 0
        self._cache_epoch: int | None = None

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self._engine, expire_on_commit=False) as s:
            yield s

    @contextmanager
    def _write(self, *, bump: bool = True) -> Iterator[Session]:
        """One transaction; commits on success, rolls back on any exception."""
        try:
            with Session(self._write_engine, expire_on_commit=False) as s, s.begin():
                if bump:
                    s.execute(
                        update(MetaRow)
                        .where(MetaRow.key == EPOCH_KEY)
                        .values(value=MetaRow.value + 1)
                    )
                yield s
        finally:
            self._drop_read_cache()

    def _drop_read_cache(self) -> None:
        self._cache_generation += 1
        self._read_cache.clear()

    def epoch(self) -> int:
        """The authorization epoch: it grows with every write that may change a decision.

        Read on every request, so it bypasses the ORM and the pool: one dedicated driver-level
        connection in autocommit mode (each read sees the latest commit; no transaction is left
        open), shared under a lock, reopened once if it breaks."""
        with self._epoch_lock:
            for attempt in (1, 2):
                try:
                    if self._epoch_conn is None:
                        self._epoch_conn = self._open_epoch_connection()
                    cur = self._epoch_conn.cursor()
                    try:
                        cur.execute(_EPOCH_SQL)
                        row = cur.fetchone()
                    finally:
                        cur.close()
                    value = int(row[0])
                    if value != self._cache_epoch:  # another process wrote: drop what we read
                        self._drop_read_cache()
                        self._cache_epoch = value
                    return value
                except Exception:
                    self._close_epoch_connection()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def _open_epoch_connection(self) -> Any:
        dialect = self._engine.dialect
        cargs, cparams = dialect.create_connect_args(self._engine.url)
        conn = dialect.connect(*cargs, **cparams)
        if self.dialect == "sqlite":
            conn.isolation_level = None  # autocommit: every SELECT reads the latest commit
        else:
            conn.autocommit = True
        return conn

    def _close_epoch_connection(self) -> None:
        conn, self._epoch_conn = self._epoch_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken
                conn.close()

    # -- shared lookups -----------------------------------------------------------------------

    @staticmethod
    def _account_row(s: Session, account_id: str, *, lock: bool = False) -> AccountRow:
        stmt = select(AccountRow).where(AccountRow.account_id == account_id)
        if lock:
            stmt = stmt.with_for_update()
        row = s.execute(stmt).scalar_one_or_none()
        if row is None:
            raise NotFound("account", account_id)
        return row

    @staticmethod
    def _user_row(s: Session, account_id: str, name: str, *, lock: bool = False) -> UserRow:
        stmt = select(UserRow).where(
            UserRow.account_id == account_id, UserRow.name_lower == name.lower()
        )
        if lock:
            stmt = stmt.with_for_update()
        row = s.execute(stmt).scalar_one_or_none()
        if row is None:
            raise NotFound("user", name)
        return row

    @staticmethod
    def _policy_row(
        s: Session, account_id: str, arn: str, *, attachable: bool = False
    ) -> ManagedPolicyRow:
        """A managed policy visible to `account_id`: its own, or an AWS managed one."""
        row = s.get(ManagedPolicyRow, arn)
        if row is None or row.account_id not in ("aws", account_id):
            raise NotFound("policy", arn)
        if attachable and not row.is_attachable:
            raise NotFound("policy", arn)
        return row

    @staticmethod
    def _tags_of(s: Session, entity_type: str, entity_ids: Sequence[str]) -> dict[str, Tags]:
        if not entity_ids:
            return {}
        rows = s.execute(
            select(TagRow.entity_id, TagRow.key, TagRow.value)
            .where(TagRow.entity_type == entity_type, TagRow.entity_id.in_(entity_ids))
            .order_by(TagRow.entity_id, TagRow.position, TagRow.key)
        ).all()
        out: dict[str, list[tuple[str, str]]] = {}
        for entity_id, key, value in rows:
            out.setdefault(entity_id, []).append((key, value))
        return {k: tuple(v) for k, v in out.items()}

    @staticmethod
    def _to_user(row: UserRow, tags: Tags = ()) -> User:
        return User(
            account_id=row.account_id,
            user_id=row.user_id,
            name=row.name,
            path=row.path,
            arn=user_arn(row.account_id, row.path, row.name),
            created_at=row.created_at,
            permissions_boundary_arn=row.permissions_boundary_arn,
            tags=tags,
        )
