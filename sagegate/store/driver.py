"""Prebuilt Core statements run on the database driver's own cursor: the store's hot paths.

SQLAlchemy's `Connection.execute` spends 50-80 µs of CPU on each statement (events, the
compiled-statement cache, result metadata, the `begin` hook) where SQLite needs a few to run
an indexed one, so the statements of the request path are written as Core statements once,
wrapped in `Prepared`, compiled once per dialect by SQLAlchemy itself (SQL text, parameter
order, the types' bind and result processors) and executed by `Driver` straight on the DB-API
cursor. Nothing is written twice: the statement is still the Core expression; only its
execution skips the machinery around it.

`Driver` works inside a transaction `Transactions` hands out (`StoreBase._write_core` and
`_read_core`), or on the connection under an ORM session's transaction
(`Driver.of(session.connection())`), so Core-fast and ORM code can share one transaction.
Driver errors are raised as SQLAlchemy's (`IntegrityError`...), as the ORM paths raise them.
"""

from __future__ import annotations

import contextlib
import mmap
import operator
import os
import struct
import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

_POSTCOMPILE = "__[POSTCOMPILE_{}]"

#: Called with the SQL of every statement `Driver` has run (SQLAlchemy's `after_cursor_execute`
#: events do not see them): for tests that count the queries of a hot path or fail one.
listeners: list[Callable[[str], None]] = []


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    order: tuple[str, ...] | None  # positional parameter names; None: the driver takes a dict
    positional: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None  # params -> `order` tuple
    defaults: Mapping[str, Any]  # values bound inside the statement itself (literals)
    binds: Mapping[str, Callable[[Any], Any]]  # parameters whose type converts them
    expanding: tuple[str, ...]  # `bindparam(..., expanding=True)` lists: IN (...)
    row: Any  # a namedtuple class for the result columns, or None
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # columns whose type converts them
    placeholder: str  # one positional marker ("?", "%s") or a named pattern ("%({})s", ":{}")
    simple: bool  # positional, nothing to add or convert: `positional(params)` is all of `_bind`


class Prepared:
    """A Core statement to run through `Driver`: build it once, at import time. `dialects`: the
    statement to run instead on a dialect by name (for dialect-specific clauses, e.g. an
    insert's ON CONFLICT)."""

    __slots__ = ("stmt", "_dialects", "_plans", "_lock", "_last")

    def __init__(self, stmt: Any, dialects: Mapping[str, Any] | None = None) -> None:
        self.stmt = stmt
        self._dialects = dict(dialects or {})
        self._plans: dict[str, _Plan] = {}
        self._lock = threading.Lock()
        self._last: tuple[Dialect, _Plan] | None = None  # a deployment has one dialect

    def plan(self, dialect: Dialect) -> _Plan:
        last = self._last
        if last is not None and last[0] is dialect:
            return last[1]
        plan = self._plans.get(dialect.name)
        if plan is None:
            with self._lock:
                stmt = self._dialects.get(dialect.name, self.stmt)
                plan = self._plans.get(dialect.name) or _compile(stmt, dialect)
                self._plans[dialect.name] = plan
        self._last = (dialect, plan)
        return plan


def _compile(stmt: Any, dialect: Dialect) -> _Plan:
    compiled = stmt.compile(dialect=dialect)
    style = dialect.paramstyle
    if style not in ("qmark", "format", "pyformat", "named"):
        raise NotImplementedError(f"paramstyle {style}")
    positional = style in ("qmark", "format")
    placeholder = {"qmark": "?", "format": "%s", "pyformat": "%({})s", "named": ":{}"}[style]
    binds: dict[str, Callable[[Any], Any]] = {}
    defaults: dict[str, Any] = {}
    expanding: list[str] = []
    for name, bind in compiled.binds.items():
        proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            binds[name] = proc
        if bind.expanding:
            expanding.append(name)
        elif not bind.required:
            defaults[name] = bind.effective_value
    order = tuple(compiled.positiontup or ()) if positional else None
    columns = list(stmt.exported_columns)
    row = None
    results: list[tuple[int, Callable[[Any], Any]]] = []
    if columns:
        row = namedtuple("Row", [c.key or f"c{i}" for i, c in enumerate(columns)], rename=True)  # type: ignore[misc]
        for i, c in enumerate(columns):
            proc = c.type.dialect_impl(dialect).result_processor(dialect, None)
            if proc is not None:
                results.append((i, proc))
    return _Plan(
        sql=compiled.string,
        order=order,
        positional=None if order is None else _getter(order),
        defaults=defaults,
        binds=binds,
        expanding=tuple(expanding),
        row=row,
        results=tuple(results),
        placeholder=placeholder,
        simple=positional and not (defaults or binds or expanding),
    )


class Transactions:
    """Where `Driver` transactions run: committed when the block ends (`write=True`), rolled
    back otherwise and on any exception.

    On SQLite a write takes the write lock up front (`BEGIN IMMEDIATE`, see `engine`) and a read
    is one snapshot (`BEGIN`); a write of one statement may run `alone`, its own transaction. One
    connection is kept out of the pool for these transactions: the request path runs them one
    after another on the event loop, so checking a connection out of the pool and back for each
    would cost more than the statements. Whoever finds the kept connection free uses it; a
    transaction that finds it taken (another thread, or a read inside a write) takes a pooled
    one. On PostgreSQL every transaction takes a pooled connection and the driver begins the
    transaction itself."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._sqlite = engine.dialect.name == "sqlite"
        self._lock = threading.Lock()
        self._kept: Any = None  # a detached pool connection (SQLite), opened on first use
        self._kept_dbapi: Any = None  # its DB-API connection and cursor, while it is open
        self._kept_cursor: Any = None
        self._wal: WalIndex | None = None  # the kept connection's wal-index, while it is open
        self.kept_opened = 0  # how many times a kept connection was opened

    def _hold_kept(self) -> bool:
        """Take the kept connection (SQLite), opened on first use, if it is free: True when the
        caller now holds it and must release `_lock`."""
        if not (self._sqlite and self._lock.acquire(blocking=False)):
            return False
        if self._kept is None:
            try:
                self._kept = self._open_kept()
            except BaseException:
                self._lock.release()
                raise
        return True

    @contextmanager
    def __call__(self, *, write: bool) -> Iterator[Driver]:
        kept = self._hold_kept()
        try:
            if kept:
                raw = self._kept
                # The kept connection's one cursor serves every transaction that holds it.
                db = Driver(self._kept_dbapi, self._dialect, self._kept_cursor)
                ends = self._kept_dbapi  # commit/rollback on the driver's connection itself
            else:
                raw = self._engine.raw_connection()
                db = Driver(raw.dbapi_connection, self._dialect)
                ends = raw
            try:
                if self._sqlite:
                    db.run("BEGIN IMMEDIATE" if write else "BEGIN")
                locked = self.wal_header() if write else None
                try:
                    yield db
                except BaseException:
                    self._rollback(raw, kept)
                    raise
                try:
                    if write:
                        ends.commit()
                    else:
                        ends.rollback()
                except db.error as e:
                    self._rollback(raw, kept)
                    raise DBAPIError.instance("COMMIT", None, e, db.error) from e
                if locked is not None:
                    db.wal = (locked, self.wal_header())
            finally:
                if not kept:
                    raw.close()  # back to the pool
        finally:
            if kept:
                self._lock.release()

    def alone(
        self, prepared: Prepared, params: Mapping[str, Any]
    ) -> tuple[Rows, tuple[bytes | None, bytes | None]] | None:
        """On SQLite, when the kept connection is free: run one write statement on its own,
        without BEGIN and COMMIT (SQLite makes a statement outside a transaction its own, taking
        the write lock as BEGIN IMMEDIATE does and committing when it ends). Its rows, and the
        wal-index headers just before and right after it (as `Driver.wal`: exactly one commit
        between them was then this one) when it changed a row, else (None, None). None when it
        did not run (not SQLite, or the kept connection is taken): the caller runs it in a
        transaction."""
        if not self._hold_kept():
            return None
        try:
            conn = self._kept_dbapi
            db = Driver(conn, self._dialect, self._kept_cursor)
            before, changes = self.wal_header(), conn.total_changes
            try:
                rows = db.execute(prepared, params)
            except BaseException:
                if conn.in_transaction:  # a statement that fails leaves none; never keep one
                    self._rollback(self._kept, True)
                raise
            if conn.total_changes == changes:
                return rows, (None, None)
            return rows, (before, self.wal_header())
        finally:
            self._lock.release()

    @contextmanager
    def kept(self) -> Iterator[Any]:
        """The kept connection's DB-API connection when it is free (SQLite), else None: for a
        statement outside any transaction (autocommit), see `StoreBase.epochs`."""
        if not self._hold_kept():
            yield None
            return
        try:
            yield self._kept_dbapi
        finally:
            self._lock.release()

    def wal_header(self) -> bytes | None:
        """The database's wal-index header as it is now (see `WalIndex`), or None when it cannot
        be read without a statement (not SQLite, not WAL, the kept connection not open yet)."""
        wal = self._wal
        return wal.header() if wal is not None else None

    def _open_kept(self) -> Any:
        raw = self._engine.raw_connection()
        raw.detach()  # ours until `close`: never handed to anyone else
        self.kept_opened += 1
        self._kept_dbapi = raw.dbapi_connection
        self._kept_cursor = self._kept_dbapi.cursor()
        self._wal = WalIndex.open(raw.dbapi_connection)
        return raw

    def _drop_kept(self) -> Any:
        """Forget the kept connection (the caller holds the lock) and return it to be closed:
        its wal-index mapping goes first, as it is only safe while the connection is open."""
        raw, self._kept = self._kept, None
        self._kept_dbapi = self._kept_cursor = None
        wal, self._wal = self._wal, None
        if wal is not None:
            wal.close()
        return raw

    def _rollback(self, raw: Any, kept: bool) -> None:
        try:
            raw.rollback()
        except Exception:  # broken: nobody may use it again
            if kept:
                self._drop_kept()
                with contextlib.suppress(Exception):
                    raw.close()
            else:
                raw.invalidate()

    def close(self) -> None:
        with self._lock:
            raw = self._drop_kept()
        if raw is not None:
            raw.close()


class WalIndex:
    """A read-only view of a WAL-mode SQLite database's wal-index header: whether anyone has
    committed since the last look, without a statement or a system call.

    The wal-index (the ``-shm`` file every connection maps) begins with two copies of a 48-byte
    header that every commit rewrites, its change counter and last frame among them (SQLite,
    *WAL-mode File Format*, "The WAL-Index Header"); a writer updates the second copy, then the
    first, so equal copies are a consistent header. Unchanged since a statement read the
    database means nobody has committed since. The mapping is only read while the connection
    that opened it is open: that connection's shared lock on the file keeps any other from
    truncating it (which would make reading the mapping fault). Anything unexpected (another
    header version, torn copies, a closed mapping) answers None, and the caller asks SQLite."""

    _SIZE = 96  # the two header copies
    _VERSION = 3007000  # iVersion of the wal-index format
    _U32 = struct.Struct("=I")  # iVersion at offset 0, iChange at 8 (native byte order)

    def __init__(self, view: mmap.mmap) -> None:
        self._view = view

    @classmethod
    def open(cls, dbapi_conn: Any) -> WalIndex | None:
        """The wal-index of the connection's main database, or None when it has none (not a
        file, not in WAL mode)."""
        try:
            cur = dbapi_conn.cursor()
            try:
                if cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    return None
                cur.execute("PRAGMA data_version").fetchone()  # a read: the wal-index exists
                path = next(r[2] for r in cur.execute("PRAGMA database_list") if r[1] == "main")
            finally:
                cur.close()
            if not path:
                return None
            fd = os.open(f"{path}-shm", os.O_RDONLY)
        except Exception:
            return None
        try:
            if os.fstat(fd).st_size < mmap.PAGESIZE:
                return None
            view = mmap.mmap(fd, mmap.PAGESIZE, access=mmap.ACCESS_READ)
        except OSError:
            return None
        finally:
            os.close(fd)
        index = cls(view)
        if index.header() is None:
            index.close()
            return None
        return index

    def header(self) -> bytes | None:
        try:
            raw = self._view[: self._SIZE]
        except ValueError:  # closed
            return None
        first = raw[:48]
        if first != raw[48:] or self._U32.unpack_from(first)[0] != self._VERSION:
            return None
        return first

    @staticmethod
    def only_commit_between(before: bytes, after: bytes) -> bool:
        """Was exactly one transaction committed between two headers? The header's change
        counter (`iChange`) grows by one with each ("incremented with each transaction"). For
        a writer that read `before` holding the write lock and `after` right after its commit,
        True means that commit was its own and nobody else's came since."""
        counter = WalIndex._U32
        return (counter.unpack_from(after, 8)[0] - counter.unpack_from(before, 8)[0]) % 2**32 == 1

    def close(self) -> None:
        self._view.close()


def _getter(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if len(names) > 1:
        return operator.itemgetter(*names)  # a tuple, in C
    if names:
        (name,) = names
        return lambda values: (values[name],)
    return lambda values: ()


class Rows(list[Any]):
    """The fetched rows of one statement (namedtuples), with the `Result` methods the store
    uses."""

    __slots__ = ()

    def first(self) -> Any:
        return self[0] if self else None

    def one(self) -> Any:
        if len(self) != 1:
            raise LookupError(f"expected one row, got {len(self)}")
        return self[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


class Driver:
    """Runs `Prepared` statements on one DB-API connection, inside the caller's transaction."""

    __slots__ = ("_conn", "_dialect", "_error", "_cur", "wal")

    def __init__(self, dbapi_conn: Any, dialect: Dialect, cursor: Any = None) -> None:
        # A write on SQLite: the wal-index header once it held the write lock and right after
        # its commit (see `WalIndex.only_commit_between`).
        self.wal: tuple[bytes | None, bytes | None] = (None, None)
        self._conn = dbapi_conn
        self._dialect = dialect
        self._error = dialect.loaded_dbapi.Error
        # One cursor for every statement (each fetches all it reads); `cursor`: the connection's
        # own, kept across transactions (`Transactions`).
        self._cur = cursor if cursor is not None else dbapi_conn.cursor()

    @classmethod
    def of(cls, conn: Connection) -> Driver:
        """The driver under a SQLAlchemy connection (its transaction already begun)."""
        return cls(conn.connection.dbapi_connection, conn.dialect)

    @property
    def error(self) -> type[Exception]:
        """The driver's base exception class."""
        return self._error  # type: ignore[no-any-return]

    def run(self, sql: str) -> None:
        """A statement without parameters or results (BEGIN, COMMIT...)."""
        try:
            self._cur.execute(sql)
        except self._error as e:
            raise DBAPIError.instance(sql, None, e, self._error) from e

    def execute(self, prepared: Prepared, params: Mapping[str, Any] | None = None) -> Rows:
        plan = prepared.plan(self._dialect)
        if plan.simple:
            sql, args = plan.sql, plan.positional(params or {})  # type: ignore[misc]
        else:
            sql, args = _bind(plan, params or {})
        cur = self._cur
        try:
            cur.execute(sql, args)
            for listener in listeners:
                listener(sql)
            return Rows(() if plan.row is None else _convert(plan, cur.fetchall()))
        except self._error as e:
            raise DBAPIError.instance(sql, args, e, self._error) from e

    def executemany(self, prepared: Prepared, params: Sequence[Mapping[str, Any]]) -> None:
        """One statement, many parameter sets, no results (inserting tags...)."""
        if not params:
            return
        plan = prepared.plan(self._dialect)
        if plan.expanding:
            raise ValueError("executemany with an expanding parameter")
        sql = plan.sql
        args = [_bind(plan, p)[1] for p in params]
        try:
            self._cur.executemany(sql, args)
            for listener in listeners:
                listener(sql)
        except self._error as e:
            raise DBAPIError.instance(sql, args, e, self._error) from e


def _bind(plan: _Plan, params: Mapping[str, Any]) -> tuple[str, Any]:
    """The SQL text (expanded IN lists) and the driver's parameters."""
    values = {**plan.defaults, **params} if plan.defaults else params
    if plan.binds:
        values = dict(values)
        for name, proc in plan.binds.items():
            if name in values:
                value = values[name]
                values[name] = [proc(v) for v in value] if name in plan.expanding else proc(value)
    sql = plan.sql
    if not plan.expanding:
        if plan.positional is None:
            return sql, values
        return sql, plan.positional(values)
    named: dict[str, Any] = dict(values)
    for name in plan.expanding:
        items = list(values[name])
        if not items:
            raise ValueError(f"empty list for {name!r}")
        keys = [f"{name}_{i}" for i in range(1, len(items) + 1)]
        named.update(zip(keys, items, strict=True))
        marks = (
            ", ".join(plan.placeholder.format(k) for k in keys)
            if plan.order is None
            else ", ".join([plan.placeholder] * len(items))
        )
        sql = sql.replace(_POSTCOMPILE.format(name), marks)
    if plan.order is None:
        return sql, named
    args: list[Any] = []
    for n in plan.order:
        if n in plan.expanding:
            args.extend(values[n])
        else:
            args.append(values[n])
    return sql, tuple(args)


def _convert(plan: _Plan, rows: Iterable[Sequence[Any]]) -> list[Any]:
    make = plan.row._make
    if not plan.results:
        return [make(r) for r in rows]
    out = []
    for r in rows:
        r = list(r)
        for i, proc in plan.results:
            r[i] = proc(r[i])
        out.append(make(r))
    return out
