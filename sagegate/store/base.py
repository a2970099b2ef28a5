"""What every part of `Store` shares: sessions, the authorization epoch, markers, row lookups.

Transactions: each public write method runs in exactly one transaction (`_write`), so an error
anywhere leaves nothing half-written. On PostgreSQL a write transaction begins by bumping
`data_epoch`, which also makes it the first lock taken: that row serialises writers (no deadlocks,
no check-then-insert races); on SQLite `BEGIN IMMEDIATE` already does. IAM writes are rare; the
request path only reads.

Two epochs, read together on every request (`epoch()`):

* the data epoch moves with every write. When it moved in a way this process did not see itself
  (another process or connection wrote), the read cache (`@cached_read`, see `read_cache`) is
  dropped; a write of this process drops what it names. On PostgreSQL it is `data_epoch` in
  `meta`. On SQLite it is this process's own count of the commits it did not make itself, which
  SQLite reveals without a statement of ours (the wal-index header, `PRAGMA data_version`): a
  write there moves no row of `meta` unless it moves the authorization epoch (one page and one
  statement less per write). Bookkeeping writes (`bump=False`) are commits too: on SQLite other
  processes then drop their read cache, which is only ever early, never late.
* `authz_epoch` moves with the writes that may change an authentication or authorization fact
  (keys, policies, attachments, memberships, boundaries, principal tags, trust policies...).
  When it moves, the authorizer's and the authenticator's caches are dropped too (`EpochGuard`).
  A write opts out with `_write(authz=False)` only when nothing those caches hold can depend on
  it: creating a principal (new ids, no keys yet), deleting one that `DeleteConflict` has
  already stripped of keys, policies and memberships, naming things, instance profiles.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session

from sagegate.store.driver import Driver, Prepared, Rows, Transactions, WalIndex
from sagegate.store.engine import write_engine
from sagegate.store.errors import InvalidMarker, NotFound
from sagegate.store.keyring import Keyring
from sagegate.store.passwords import Passwords
from sagegate.store.read_cache import Answer, ReadCache, Scope
from sagegate.store.records import Tags, User
from sagegate.store.schema import AccountRow, ManagedPolicyRow, MetaRow, TagRow, UserRow

EPOCH_KEY = "authz_epoch"
DATA_EPOCH_KEY = "data_epoch"
# Constants, no input. Both counters in one round trip.
_EPOCH_SQL = f"SELECT key, value FROM meta WHERE key IN ('{EPOCH_KEY}', '{DATA_EPOCH_KEY}')"


# Core statements on the table, built once: no ORM session synchronisation on every write.
_META = MetaRow.__table__
_BUMP_DATA = Prepared(
    _META.update()
    .where(_META.c.key == DATA_EPOCH_KEY)
    .values(value=_META.c.value + 1)
    .returning(_META.c.value)
)
_BUMP_AUTHZ = Prepared(
    _META.update()
    .where(_META.c.key == EPOCH_KEY)
    .values(value=_META.c.value + 1)
    .returning(_META.c.value)
)
# SQLite: changes when another connection (this process's pool, another process) commits.
_DATA_VERSION = "PRAGMA data_version"

# What a write moved the epochs to: (authorization epoch or None if it did not move it, data
# epoch or None on SQLite, where the data epoch is no row, see the module's docstring).
Moved = tuple[int | None, int | None]


# The shared lookups, built once (statement construction costs more than SQLite's execution).
_ACCOUNT = select(AccountRow).where(AccountRow.account_id == bindparam("a"))
_ACCOUNT_FOR_UPDATE = _ACCOUNT.with_for_update()
_ACCOUNT_EXISTS = Prepared(
    select(AccountRow.__table__.c.account_id).where(
        AccountRow.__table__.c.account_id == bindparam("a")
    )
)
_USER = select(UserRow).where(
    UserRow.account_id == bindparam("a"), UserRow.name_lower == bindparam("n")
)
_USER_FOR_UPDATE = _USER.with_for_update()
_U = UserRow.__table__
_USER_COLUMNS = select(
    _U.c.user_id,
    _U.c.account_id,
    _U.c.name,
    _U.c.path,
    _U.c.created_at,
    _U.c.permissions_boundary_arn,
).where(_U.c.account_id == bindparam("a"), _U.c.name_lower == bindparam("n"))
_USER_CORE = Prepared(_USER_COLUMNS)
_POLICY_OWNER = Prepared(
    select(ManagedPolicyRow.__table__.c.account_id).where(
        ManagedPolicyRow.__table__.c.arn == bindparam("arn")
    )
)
_T = TagRow.__table__
_TAGS_OF = Prepared(
    select(_T.c.entity_id, _T.c.key, _T.c.value)
    .where(_T.c.entity_type == bindparam("t"), _T.c.entity_id.in_(bindparam("ids", expanding=True)))
    .order_by(_T.c.entity_id, _T.c.position, _T.c.key)
)


def _select_epochs(cur: Any) -> tuple[int, int]:
    """(authorization epoch, data epoch), read with a DB-API cursor in autocommit mode."""
    cur.execute(_EPOCH_SQL)
    rows = dict(cur.fetchall())
    return int(rows[EPOCH_KEY]), int(rows[DATA_EPOCH_KEY])


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


class _NothingWritten(Exception):
    """A one-statement write whose RETURNING came back empty: roll its transaction back."""


class StoreBase:
    """Engine, keyring and password hasher, plus the helpers the feature mixins share."""

    def __init__(self, engine: Engine, keyring: Keyring, passwords: Passwords) -> None:
        self._engine = engine
        self._write_engine = write_engine(engine)
        self._transaction = Transactions(engine)
        self._keyring = keyring
        self._passwords = passwords
        self._epoch_lock = threading.Lock()
        self._epoch_conn: Any = None
        self._sqlite = self.dialect == "sqlite"
        # SQLite: the epochs as of the kept connection's `data_version` (see `epochs`), and the
        # data epoch: the commits not this process's own seen so far.
        self._kept_version: tuple[int, int] | None = None  # (connection, its data_version)
        self._epoch_version: int | None = None  # the epoch connection's `data_version`
        self._foreign_commits = 0
        self._kept_epochs: tuple[int, int] | None = None
        self._kept_header: bytes | None = None  # the wal-index header they were read under
        self._read_cache = ReadCache()
        self._cache_epoch: tuple[int, int] | None = None

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
    def _write(
        self, *, bump: bool = True, authz: bool = True, scopes: Sequence[Scope] | None = None
    ) -> Iterator[Session]:
        """One transaction; commits on success, rolls back on any exception.

        `bump=False`: bookkeeping that no read shows as current state and no decision uses
        (last-used dates, a password rehash): no epoch moves (but see the module's docstring
        for SQLite). `authz=False`: only the data epoch moves (see the module's docstring for
        when that is allowed). `scopes`, with `authz=False` only: the read-cache scopes the write
        may change (see `read_cache`); without them, the whole read cache is dropped."""
        moved = None
        try:
            with Session(self._write_engine, expire_on_commit=False) as s, s.begin():
                db = Driver.of(s.connection())  # BEGIN (IMMEDIATE on SQLite: the write lock)
                locked = self._transaction.wal_header()
                moved = self._bump(db, bump, authz)
                yield s
        except BaseException:
            self._read_cache.drop_all()
            raise
        self._written(moved, authz, scopes, wal=(locked, self._transaction.wal_header()))

    @contextmanager
    def _write_core(
        self,
        *,
        authz: bool = True,
        scopes: Sequence[Scope] | None = None,
        answers: Sequence[Answer] = (),
    ) -> Iterator[Driver]:
        """`_write` for the hot write paths, written with `Prepared` statements only: the same
        one transaction and epochs, run on the driver's cursor (see `driver`). `answers`: reads
        whose answer the write knows (`cached_read`'s `answer`), kept in the read cache after the
        commit when nobody else wrote meanwhile (a user just created is about to be used)."""
        try:
            with self._transaction(write=True) as db:
                moved = self._bump(db, True, authz)
                yield db
        except BaseException:
            self._read_cache.drop_all()
            raise
        self._written(moved, authz, scopes, answers, wal=db.wal)

    def _write_alone(
        self, prepared: Prepared, params: Mapping[str, Any], *, scopes: Sequence[Scope],
        answers: Sequence[Answer] = (),
    ) -> Rows:  # fmt: skip
        """`_write_core(authz=False, scopes=scopes, answers=answers)` around one statement: its
        rows. A statement with RETURNING that returns nothing wrote nothing: `answers` are not
        kept (nor, in a transaction, the epoch moved). On SQLite the statement runs on its own
        (`Transactions.alone`), sparing a BEGIN and a COMMIT; otherwise (PostgreSQL, whose data
        epoch moves in the same transaction, or the kept connection taken) in that transaction."""
        try:
            ran = self._transaction.alone(prepared, params)
        except BaseException:
            self._read_cache.drop_all()
            raise
        if ran is None:
            returning = prepared.plan(self._engine.dialect).row is not None
            with (
                contextlib.suppress(_NothingWritten),
                self._write_core(authz=False, scopes=scopes, answers=answers) as db,
            ):
                rows = db.execute(prepared, params)
                if returning and not rows:
                    raise _NothingWritten  # roll back: the answers are not what is stored
            return rows
        rows, wal = ran
        self._written((None, None), False, scopes, answers, wal=wal)  # as `_bump` on SQLite
        return rows

    def _read_core(self) -> AbstractContextManager[Driver]:
        """A read of the hot paths: one snapshot, `Prepared` statements (see `driver`)."""
        return self._transaction(write=False)

    def _bump(self, db: Driver, bump: bool, authz: bool) -> Moved | None:
        """Move the epochs a write moves, first thing in its transaction (on PostgreSQL the data
        epoch's row lock serialises writers); where they moved to, or None. On SQLite the data
        epoch is no row (see the module's docstring)."""
        if not bump:
            return None
        data_epoch: int | None = None if self._sqlite else db.execute(_BUMP_DATA).scalar_one()
        authz_epoch: int | None = db.execute(_BUMP_AUTHZ).scalar_one() if authz else None
        return authz_epoch, data_epoch

    def _written(
        self,
        moved: Moved | None,
        authz: bool,
        scopes: Sequence[Scope] | None,
        answers: Sequence[Answer] = (),
        *,
        wal: tuple[bytes | None, bytes | None] = (None, None),
    ) -> None:
        """After a commit: drop what the write may have changed from the read cache.

        SQLite (`wal`: the wal-index header once the write held the lock, and after its commit):
        when nobody else had committed since `epochs` last looked, and nobody has since this
        commit, this process knows everything that changed: only what the write names is
        dropped, and the epochs stay known under the new header, with the authorization epoch
        the write moved (the next request reads nothing). Otherwise everything is dropped, and
        the next `epochs` finds the commits it did not see."""
        if moved is not None and moved[1] is None:  # SQLite
            with self._epoch_lock:
                if self._kept_epochs is not None and moved[0] is not None:
                    # Forward only: `epochs` may have read a newer one meanwhile.
                    authz_epoch, data_epoch = self._kept_epochs
                    self._kept_epochs = (max(authz_epoch, moved[0]), data_epoch)
                locked, committed = wal
                if (
                    self._kept_epochs is not None
                    and locked is not None
                    and committed is not None
                    and locked == self._kept_header
                    and WalIndex.only_commit_between(locked, committed)
                ):
                    self._kept_header = committed
                    if not authz and scopes is not None:
                        self._read_cache.drop(scopes, answers)
                        return
            self._read_cache.drop_all()
            return
        if scopes is None or authz or moved is None:
            self._read_cache.drop_all()
            return
        data_epoch = moved[1]
        with self._epoch_lock:
            seen = self._cache_epoch
            if seen is not None and seen[1] == data_epoch - 1:
                # Nobody else wrote since this process last looked: what changed is known.
                self._cache_epoch = (seen[0], data_epoch)
                self._read_cache.drop(scopes, answers)
            else:
                # Forget the epoch too: a write that committed before this one and reaches
                # here after it must not take this one's epoch for "nobody else wrote".
                self._cache_epoch = None
                self._read_cache.drop_all()

    def _drop_read_cache(self) -> None:
        self._read_cache.drop_all()

    def epoch(self) -> int:
        """The authorization epoch: it grows with every write that may change a decision. Also
        drops the read cache when the data epoch has moved (another process wrote)."""
        return self.epochs()[0]

    def epochs(self) -> tuple[int, int]:
        """(authorization epoch, data epoch), as `epoch()` reads them.

        Read on every request, so it bypasses the ORM and the pool. On SQLite, when the kept
        connection (see `driver.Transactions`) is free: its `PRAGMA data_version` tells whether
        any other connection committed since it last read the epochs; if none did, the only
        writes since are its own, whose epochs `_written` recorded, and nothing is read; if some
        did, the data epoch (this process's count of such commits) moves. Otherwise one
        dedicated driver-level connection in autocommit mode (each read sees the latest commit;
        no transaction is left open), shared under a lock, reopened once if it breaks; on SQLite
        every commit its `data_version` reveals, this process's own included, moves the data
        epoch there."""
        with self._epoch_lock:
            value = self._epochs_via_kept()
            if value is None:
                value = self._read_epochs()
            if value != self._cache_epoch:  # another process wrote: drop what we read
                self._drop_read_cache()
                self._cache_epoch = value
            return value

    def _epochs_via_kept(self) -> tuple[int, int] | None:
        """The epochs through the kept connection, or None when it is taken or not SQLite's.
        Nothing at all is read while the wal-index header is as it was when they were last
        read (`driver.WalIndex`): nobody has committed since."""
        header = self._transaction.wal_header()  # before the epochs, so never newer than them
        if header is not None and header == self._kept_header and self._kept_epochs is not None:
            return self._kept_epochs
        with self._transaction.kept() as conn:
            if conn is None:
                return None
            if header is None:  # the kept connection (and its wal-index view) just opened
                header = self._transaction.wal_header()
            cur = conn.cursor()
            try:
                # Versions of one connection only compare with that connection's.
                version = (self._transaction.kept_opened, cur.execute(_DATA_VERSION).fetchone()[0])
                if version == self._kept_version and self._kept_epochs is not None:
                    self._kept_header = header
                    return self._kept_epochs
                authz_epoch = _select_epochs(cur)[0]
            finally:
                cur.close()
        self._foreign_commits += 1  # someone else committed (or this is the first look)
        value = (authz_epoch, self._foreign_commits)
        self._kept_version, self._kept_epochs, self._kept_header = version, value, header
        return value

    def _read_epochs(self) -> tuple[int, int]:
        for attempt in (1, 2):
            try:
                if self._epoch_conn is None:
                    self._epoch_conn = self._open_epoch_connection()
                cur = self._epoch_conn.cursor()
                try:
                    if not self._sqlite:
                        return _select_epochs(cur)
                    version = cur.execute(_DATA_VERSION).fetchone()[0]
                    authz_epoch = _select_epochs(cur)[0]
                finally:
                    cur.close()
                if version != self._epoch_version:  # a commit, maybe this process's own
                    self._foreign_commits += 1
                    self._epoch_version = version
                return authz_epoch, self._foreign_commits
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
        self._epoch_version = None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken
                conn.close()

    # -- shared lookups -----------------------------------------------------------------------

    @staticmethod
    def _account_row(s: Session, account_id: str, *, lock: bool = False) -> AccountRow:
        stmt = _ACCOUNT_FOR_UPDATE if lock else _ACCOUNT
        row = s.execute(stmt, {"a": account_id}).scalar_one_or_none()
        if row is None:
            raise NotFound("account", account_id)
        return row

    @staticmethod
    def _require_account(db: Driver, account_id: str) -> None:
        if db.execute(_ACCOUNT_EXISTS, {"a": account_id}).first() is None:
            raise NotFound("account", account_id)

    @staticmethod
    def _user_row(s: Session, account_id: str, name: str, *, lock: bool = False) -> UserRow:
        stmt = _USER_FOR_UPDATE if lock else _USER
        row = s.execute(stmt, {"a": account_id, "n": name.lower()}).scalar_one_or_none()
        if row is None:
            raise NotFound("user", name)
        return row

    @staticmethod
    def _user_core(db: Driver, account_id: str, name: str) -> Any:
        """The user's row as a named tuple (the same attribute names as `UserRow`): for the hot
        paths, which need no ORM object."""
        row = db.execute(_USER_CORE, {"a": account_id, "n": name.lower()}).first()
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
    def _require_policy(db: Driver, account_id: str, arn: str) -> None:
        """`_policy_row` for Core paths: NotFound unless a managed policy visible to the
        account has this ARN."""
        found = db.execute(_POLICY_OWNER, {"arn": arn}).first()
        if found is None or found[0] not in ("aws", account_id):
            raise NotFound("policy", arn)

    @staticmethod
    def _tags_of(s: Session, entity_type: str, entity_ids: Sequence[str]) -> dict[str, Tags]:
        return StoreBase._tags_core_of(Driver.of(s.connection()), entity_type, entity_ids)

    @staticmethod
    def _tags_core_of(db: Driver, entity_type: str, entity_ids: Sequence[str]) -> dict[str, Tags]:
        if not entity_ids:
            return {}
        out: dict[str, list[tuple[str, str]]] = {}
        for entity_id, key, value in db.execute(
            _TAGS_OF, {"t": entity_type, "ids": list(entity_ids)}
        ):
            out.setdefault(entity_id, []).append((key, value))
        return {k: tuple(v) for k, v in out.items()}

    @staticmethod
    def _tags_core(db: Driver, entity_type: str, entity_id: str) -> Tags:
        return StoreBase._tags_core_of(db, entity_type, [entity_id]).get(entity_id, ())

    @staticmethod
    def _to_user(row: Any, tags: Tags = ()) -> User:
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
