"""SageMaker resources: notebook instances, lifecycle configs, jobs, models, endpoints.

One table (`sagemaker_resources`) holds every kind, identified by (account, region, resource
type, lower-cased name) as SageMaker names are unique per account and region regardless of
case; the description is JSON keyed by the Describe* output member names. Tags live in the
generic `tags` table under entity type "sagemaker", keyed by the resource ARN.

SageMaker writes move only the data epoch (see `base`): nothing the authorizer caches depends on
them (resource tags are read per request). Describe and List reads are cached (`read_cache`);
each write names the scopes it changes: the resource, and its kind's lists in its account and
region. The store knows nothing of SageMaker's states or
messages; `change`/`check` callbacks let the service decide inside the row's transaction.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, bindparam, delete, exists, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from sagegate.store.base import StoreBase, utcnow
from sagegate.store.driver import Driver, Prepared
from sagegate.store.errors import AlreadyExists, LimitExceeded, NotFound
from sagegate.store.read_cache import Answer, Scope, cached_read
from sagegate.store.records import SageMakerResource, Tags
from sagegate.store.schema import SageMakerResourceRow, TagRow

TAG_ENTITY = "sagemaker"
MAX_TAGS = 50  # SageMaker: "You can add up to 50 tags to a single resource"
# What `_encoded` falls back to: compact JSON, as `json.dumps(data, separators=(",", ":"))` writes
# it, from one encoder (`json.dumps` builds an encoder per call for any such argument).
_json_text = json.JSONEncoder(separators=(",", ":")).encode


def _encoded(data: Mapping[str, Any]) -> tuple[str, Callable[[], Any]]:
    """A resource's description as stored (compact JSON) and how to get a copy of it as a read
    would give it. orjson writes what `_json_text` writes but for non-ASCII characters (kept as
    they are, not escaped: the same JSON) and for what it does not take: an integer beyond 64
    bits, a string with a lone surrogate (it raises), a non-finite float (it writes null, as it
    does None). Those descriptions, and any with a null, take `_json_text`."""
    try:
        # Datetimes and dataclasses, which `json` refuses, left to it (orjson would write them).
        raw = orjson.dumps(
            data, option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
        )
    except TypeError:
        raw = b"null"
    if b"null" in raw:
        text = _json_text(data)
        return text, lambda: json.loads(text)
    return raw.decode(), lambda: orjson.loads(raw)


def _to_text(data: Mapping[str, Any]) -> str:
    return _encoded(data)[0]


_KEY_TYPE = "sagegate:presign-key"  # a row per account holding the sealed URL-signing key
_SORT_COLUMNS = {
    "name": SageMakerResourceRow.name_lower,
    "created_at": SageMakerResourceRow.created_at,
    "updated_at": SageMakerResourceRow.updated_at,
    "status": SageMakerResourceRow.status,
}

Change = Callable[[SageMakerResource], tuple[str | None, Mapping[str, Any]] | None]


_COLUMNS = (
    SageMakerResourceRow.arn,
    SageMakerResourceRow.account_id,
    SageMakerResourceRow.region,
    SageMakerResourceRow.resource_type,
    SageMakerResourceRow.name,
    SageMakerResourceRow.status,
    SageMakerResourceRow.data,
    SageMakerResourceRow.created_at,
    SageMakerResourceRow.updated_at,
)


def _from_columns(r: Any, tags: Tags = ()) -> SageMakerResource:
    return SageMakerResource(
        arn=r[0],
        account_id=r[1],
        region=r[2],
        resource_type=r[3],
        name=r[4],
        status=r[5],
        data=json.loads(r[6]),
        created_at=r[7],
        updated_at=r[8],
        tags=tags,
    )


_T = SageMakerResourceRow
# A resource with its tags: one row per tag, or one with NULL tag columns (see `_with_tags`).
_WITH_TAGS = (
    select(*_COLUMNS, TagRow.key, TagRow.value)
    .outerjoin(TagRow, and_(TagRow.entity_type == TAG_ENTITY, TagRow.entity_id == _T.arn))
    .order_by(TagRow.position, TagRow.key)
)
_GET_ROWS = _WITH_TAGS.where(
    _T.account_id == bindparam("a"),
    _T.region == bindparam("r"),
    _T.resource_type == bindparam("t"),
    _T.name_lower == bindparam("n"),
)
_GET = Prepared(_GET_ROWS)
_BY_ARN = Prepared(_WITH_TAGS.where(_T.arn == bindparam("arn_"), _T.resource_type != _KEY_TYPE))
_LIST_CACHE: dict[tuple[Any, ...], Prepared] = {}


def _with_tags(rows: Sequence[Any]) -> SageMakerResource:
    """A resource from the rows of a `_WITH_TAGS` query."""
    return _from_columns(rows[0], tuple((r[-2], r[-1]) for r in rows if r[-2] is not None))


# The row with its tags, the row locked (PostgreSQL cannot lock the outer join's nullable side).
_ROW_FOR_UPDATE = Prepared(_GET_ROWS.with_for_update(of=_T))
_TABLE = SageMakerResourceRow.__table__


def _insert(on_conflict: Callable[[Any], Any]) -> Prepared:
    """An insert returning the ARN, with `on_conflict(insert)` built with each dialect's own
    insert construct (ON CONFLICT is dialect-specific in SQLAlchemy)."""
    return Prepared(
        _TABLE.insert().returning(_TABLE.c.arn),
        {
            dialect: on_conflict(insert(_TABLE)).returning(_TABLE.c.arn)
            for dialect, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
        },
    )


# Doing nothing when the name (or ARN) is taken: no ARN returned.
_INSERT_NEW = _insert(lambda stmt: stmt.on_conflict_do_nothing())
_SET = (
    _TABLE.update()
    .where(_TABLE.c.arn == bindparam("arn_"))
    .values(status=bindparam("status_"), data=bindparam("data_"), updated_at=bindparam("at_"))
)
_UPDATE = Prepared(_SET)
# The same, only if the row is still as the writer last read it (status and updated_at: every
# change of a resource moves one of them, except the renewal of a held session).
_UPDATE_IF_UNCHANGED = Prepared(
    _SET.where(
        _TABLE.c.status.is_not_distinct_from(bindparam("was_", type_=_TABLE.c.status.type)),
        _TABLE.c.updated_at == bindparam("was_at_", type_=_TABLE.c.updated_at.type),
    ).returning(_TABLE.c.arn)
)
_DELETE = Prepared(_TABLE.delete().where(_TABLE.c.arn == bindparam("arn_")))


def _replace_gone(stmt: Any, untagged: bool = False) -> Any:
    """When the name is taken by a resource in status `gone_status` last changed at or before
    `gone_before` (its deletion has completed), the new one in that row (its ARN is the same:
    SageMaker ARNs hold the name lower-cased). No ARN returned if a live resource has it, nor
    (`untagged`) if the gone one has tags."""
    gone = [
        _TABLE.c.status == bindparam("gone_status"),
        _TABLE.c.updated_at <= bindparam("gone_before", type_=_TABLE.c.updated_at.type),
    ]
    if untagged:
        gone.append(
            # The gone one's ARN is the new one's (`gone_arn`): the name decides both.
            ~exists().where(
                _TAGS.c.entity_type == TAG_ENTITY, _TAGS.c.entity_id == bindparam("gone_arn")
            )
        )
    return stmt.on_conflict_do_update(
        index_elements=[
            _TABLE.c.account_id,
            _TABLE.c.region,
            _TABLE.c.resource_type,
            _TABLE.c.name_lower,
        ],
        set_={
            c: stmt.excluded[c]
            for c in ("arn", "name", "status", "data", "created_at", "updated_at")
        },
        where=and_(*gone),
    )


_TAGS = TagRow.__table__
_INSERT_OR_REPLACE_GONE = _insert(_replace_gone)
# The same with nothing to delete besides: no tags of the gone one to drop.
_INSERT_OR_REPLACE_UNTAGGED_GONE = _insert(lambda stmt: _replace_gone(stmt, untagged=True))
_DELETE_TAGS = Prepared(
    _TAGS.delete().where(_TAGS.c.entity_type == TAG_ENTITY, _TAGS.c.entity_id == bindparam("arn_"))
)
_INSERT_TAG = Prepared(
    _TAGS.insert().values(
        entity_type=TAG_ENTITY,
        entity_id=bindparam("arn_"),
        key=bindparam("k"),
        value=bindparam("v"),
        position=bindparam("p"),
    )
)


def _list_statement(
    sort: str, descending: bool, name: bool, after: bool, before: bool, limit: bool
) -> Prepared:
    col = _SORT_COLUMNS[sort]
    stmt = select(*_COLUMNS).where(
        _T.account_id == bindparam("a"),
        _T.region == bindparam("r"),
        _T.resource_type == bindparam("t"),
    )
    if name:
        stmt = stmt.where(_T.name_lower.like(bindparam("like"), "\\"))
    if after:
        stmt = stmt.where(_T.created_at > bindparam("after", type_=_T.created_at.type))
    if before:
        stmt = stmt.where(_T.created_at < bindparam("before", type_=_T.created_at.type))
    if descending:
        stmt = stmt.order_by(col.desc(), _T.name_lower.desc())
    else:
        stmt = stmt.order_by(col.asc(), _T.name_lower.asc())
    stmt = stmt.offset(bindparam("off"))
    if limit:
        stmt = stmt.limit(bindparam("lim"))
    return Prepared(stmt)


def _resource_scope(account_id: str, region: str, resource_type: str, name: str) -> Scope:
    return ("sagemaker", account_id, region, resource_type, name.lower())


def _scopes(account_id: str, region: str, resource_type: str, name: str) -> tuple[Scope, ...]:
    """What a write to one resource may change: its own reads and its kind's lists."""
    return (
        _resource_scope(account_id, region, resource_type, name),
        ("sagemaker-list", account_id, region, resource_type),
    )


def _arn_scopes(arn: str) -> tuple[Scope, ...] | None:
    """The scopes of the resource an ARN names (arn:aws:sagemaker:REGION:ACCOUNT:TYPE/NAME);
    None (drop every cached read) for anything else."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or "/" not in parts[5]:
        return None
    resource_type, name = parts[5].split("/", 1)
    return _scopes(parts[4], parts[3], resource_type, name)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SageMakerMixin(StoreBase):
    @property
    def _presign_keys(self) -> dict[str, bytes]:
        keys: dict[str, bytes] | None = self.__dict__.get("_sm_presign_keys")
        if keys is None:
            keys = self.__dict__.setdefault("_sm_presign_keys", {})
        return keys

    # -- rows -----------------------------------------------------------------------------------

    def _locked(
        self, db: Driver, account_id: str, region: str, resource_type: str, name: str
    ) -> SageMakerResource | None:
        """The resource (with its tags), locked for this write transaction; None if absent."""
        params = {"a": account_id, "r": region, "t": resource_type, "n": name.lower()}
        rows = db.execute(_ROW_FOR_UPDATE, params)
        return _with_tags(rows) if rows else None

    def create_sagemaker_resource(
        self,
        *,
        account_id: str,
        region: str,
        resource_type: str,
        name: str,
        arn: str,
        status: str | None,
        data: Mapping[str, Any],
        now: datetime,
        tags: Sequence[tuple[str, str]] = (),
        replace_gone: tuple[str, datetime] | None = None,
    ) -> SageMakerResource:
        """Create a resource; AlreadyExists("sagemaker_resource", name) if the name is taken
        (case-insensitively) in the account and region, unless `replace_gone` = (status, before)
        and the one there is gone: in that status since `before` or earlier (e.g. its deletion
        has completed). It is then replaced, its tags dropped, in one statement."""
        if len(tags) > MAX_TAGS:
            raise LimitExceeded("tags per resource", MAX_TAGS)
        text, copy = _encoded(data)
        record = SageMakerResource(
            arn=arn,
            account_id=account_id,
            region=region,
            resource_type=resource_type,
            name=name,
            status=status,
            data=copy(),  # a copy the caller cannot change, as a read would give it
            created_at=now,
            updated_at=now,
            tags=tuple(tags),
        )
        answer = SageMakerMixin.get_sagemaker_resource.answer(
            self, record, account_id, region, resource_type, name
        )
        values = {
            "arn": arn,
            "account_id": account_id,
            "region": region,
            "resource_type": resource_type,
            "name": name,
            "name_lower": name.lower(),
            "status": status,
            "data": text,
            "created_at": now,
            "updated_at": now,
        }
        # The unique keys decide whether the name is taken, the account's foreign key whether
        # the account exists (looked up only when the insert fails).
        scopes = _scopes(account_id, region, resource_type, name)
        try:
            if not tags:
                # One statement: a new name, or a gone one without tags, is taken over at once;
                # otherwise (a name in use, tags to drop) the transaction below finds out.
                if replace_gone is None:
                    alone, alone_values = _INSERT_NEW, values
                else:
                    alone = _INSERT_OR_REPLACE_UNTAGGED_GONE
                    alone_values = values | {
                        "gone_status": replace_gone[0],
                        "gone_before": replace_gone[1],
                        "gone_arn": arn,
                    }
                if self._write_alone(alone, alone_values, scopes=scopes, answers=[answer]):
                    return record
                if replace_gone is None:
                    raise AlreadyExists("sagemaker_resource", name)
            with self._write_core(authz=False, scopes=scopes, answers=[answer]) as db:
                if replace_gone is None:
                    made = db.execute(_INSERT_NEW, values)
                else:
                    gone_status, gone_before = replace_gone
                    made = db.execute(
                        _INSERT_OR_REPLACE_GONE,
                        values | {"gone_status": gone_status, "gone_before": gone_before},
                    )
                    if made:  # the one replaced may have had tags (none, if nothing was)
                        db.execute(_DELETE_TAGS, {"arn_": arn})
                if not made:
                    raise AlreadyExists("sagemaker_resource", name)
                if tags:
                    db.executemany(
                        _INSERT_TAG,
                        [{"arn_": arn, "k": k, "v": v, "p": i} for i, (k, v) in enumerate(tags)],
                    )
                return record
        except IntegrityError:
            with self._read_core() as db:
                self._require_account(db, account_id)
            raise AlreadyExists("sagemaker_resource", name) from None

    @cached_read(scope=lambda self, a, r, t, n: _resource_scope(a, r, t, n))
    def get_sagemaker_resource(
        self, account_id: str, region: str, resource_type: str, name: str
    ) -> SageMakerResource:
        """The resource with its tags, or NotFound("sagemaker_resource", name). One prepared
        query (the hot path of every Describe*)."""
        params = {"a": account_id, "r": region, "t": resource_type, "n": name.lower()}
        with self._read_core() as db:
            rows = db.execute(_GET, params)
        if not rows:
            raise NotFound("sagemaker_resource", name)
        return _with_tags(rows)

    def find_sagemaker_resource(self, arn: str) -> SageMakerResource | None:
        """The resource with this ARN (with its tags), or None."""
        with self._read_core() as db:
            rows = db.execute(_BY_ARN, {"arn_": arn})
        return _with_tags(rows) if rows else None

    @cached_read(scope=lambda self, a, r, t, *args, **kwargs: ("sagemaker-list", a, r, t))
    def list_sagemaker_resources(
        self,
        account_id: str,
        region: str,
        resource_type: str,
        *,
        sort: str = "created_at",
        descending: bool = True,
        name_contains: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[SageMakerResource, ...]:
        """Resources of one type (without tags), ordered by `sort` ("name", "created_at",
        "updated_at", "status") then name; `name_contains` matches case-insensitively."""
        shape = (
            sort,
            descending,
            bool(name_contains),
            created_after is not None,
            created_before is not None,
            limit is not None,
        )
        stmt = _LIST_CACHE.get(shape)
        if stmt is None:
            stmt = _LIST_CACHE[shape] = _list_statement(*shape)
        params: dict[str, Any] = {
            "a": account_id,
            "r": region,
            "t": resource_type,
            "off": offset,
            "lim": limit,
            "after": created_after,
            "before": created_before,
        }
        if name_contains:
            params["like"] = f"%{_like_escape(name_contains.lower())}%"
        with self._read_core() as db:
            return tuple(_from_columns(r) for r in db.execute(stmt, params))

    def update_sagemaker_resource(
        self,
        account_id: str,
        region: str,
        resource_type: str,
        name: str,
        change: Change,
        now: datetime,
        *,
        expected: SageMakerResource | None = None,
    ) -> SageMakerResource:
        """Lock the resource, call `change(current)` -> (status, data) and store the result with
        `updated_at = now`; `change` returning None leaves the resource as it is (the current
        record is returned). Anything `change` raises rolls back and propagates.

        `expected`: the resource as the caller last read it. The change is then worked out from
        it and written only if the row still has its status and updated_at (one statement, no
        read); otherwise as above. Only for changes that hold whatever a held session's renewal
        did meanwhile (the one change that moves neither), e.g. every state transition, which
        drops the session."""
        if expected is not None:
            done = self._update_unless_changed(change, now, expected)
            if done is not None:
                return done
        answers: list[Answer] = []  # what a Describe will read once this commits
        with self._write_core(
            authz=False, scopes=_scopes(account_id, region, resource_type, name), answers=answers
        ) as db:
            current = self._locked(db, account_id, region, resource_type, name)
            if current is None:
                raise NotFound("sagemaker_resource", name)
            changed = change(current)
            if changed is not None:
                status, data = changed
                text = _to_text(data)
                db.execute(
                    _UPDATE, {"arn_": current.arn, "status_": status, "data_": text, "at_": now}
                )
                current = current.moved(status, data, now)
            answers.append(
                SageMakerMixin.get_sagemaker_resource.answer(
                    self, current, account_id, region, resource_type, name
                )
            )
            return current

    def _update_unless_changed(
        self, change: Change, now: datetime, expected: SageMakerResource
    ) -> SageMakerResource | None:
        """`update_sagemaker_resource` from `expected`: the updated resource, or None when the
        row has changed since (nothing written) or `change` leaves it as it is."""
        changed = change(expected)
        if changed is None:
            return None
        status, data = changed
        record = expected.moved(status, data, now)
        a, r, t, n = expected.account_id, expected.region, expected.resource_type, expected.name
        answer = SageMakerMixin.get_sagemaker_resource.answer(self, record, a, r, t, n)
        params = {
            "arn_": expected.arn,
            "was_": expected.status,
            "was_at_": expected.updated_at,
            "status_": status,
            "data_": _to_text(data),
            "at_": now,
        }
        if not self._write_alone(
            _UPDATE_IF_UNCHANGED, params, scopes=_scopes(a, r, t, n), answers=[answer]
        ):
            return None  # nothing written: the caller reads the row under its lock
        return record

    def delete_sagemaker_resource(
        self,
        account_id: str,
        region: str,
        resource_type: str,
        name: str,
        check: Callable[[SageMakerResource], None] | None = None,
    ) -> None:
        """Delete the resource and its tags; `check(current)` may raise to refuse."""
        with self._write_core(
            authz=False, scopes=_scopes(account_id, region, resource_type, name)
        ) as db:
            current = self._locked(db, account_id, region, resource_type, name)
            if current is None:
                raise NotFound("sagemaker_resource", name)
            if check is not None:
                check(current)
            db.execute(_DELETE_TAGS, {"arn_": current.arn})
            db.execute(_DELETE, {"arn_": current.arn})

    # -- tags -----------------------------------------------------------------------------------

    def tag_sagemaker_resource(self, arn: str, tags: Sequence[tuple[str, str]]) -> Tags:
        """Add or overwrite tags (keys compared exactly, as SageMaker does); at most 50 in all:
        LimitExceeded("tags per resource", 50). NotFound("sagemaker_resource", arn)."""
        with self._write(authz=False, scopes=_arn_scopes(arn)) as s:
            row = s.get(SageMakerResourceRow, arn, with_for_update=True)
            if row is None or row.resource_type == _KEY_TYPE:
                raise NotFound("sagemaker_resource", arn)
            existing = {
                r.key: r
                for r in s.execute(
                    select(TagRow).where(TagRow.entity_type == TAG_ENTITY, TagRow.entity_id == arn)
                ).scalars()
            }
            new_keys = {k for k, _ in tags} - existing.keys()
            if len(existing) + len(new_keys) > MAX_TAGS:
                raise LimitExceeded("tags per resource", MAX_TAGS)
            position = max((r.position for r in existing.values()), default=-1) + 1
            for k, v in tags:
                if k in existing:
                    existing[k].value = v
                else:
                    tag = TagRow(
                        entity_type=TAG_ENTITY, entity_id=arn, key=k, value=v, position=position
                    )
                    s.add(tag)
                    existing[k] = tag
                    position += 1
            s.flush()
            return self._tags_of(s, TAG_ENTITY, [arn]).get(arn, ())

    def untag_sagemaker_resource(self, arn: str, keys: Sequence[str]) -> None:
        with self._write(authz=False, scopes=_arn_scopes(arn)) as s:
            row = s.get(SageMakerResourceRow, arn)
            if row is None or row.resource_type == _KEY_TYPE:
                raise NotFound("sagemaker_resource", arn)
            s.execute(
                delete(TagRow).where(
                    TagRow.entity_type == TAG_ENTITY,
                    TagRow.entity_id == arn,
                    TagRow.key.in_(list(keys)),
                )
            )

    # -- presigned notebook URLs ----------------------------------------------------------------

    def presign_signing_key(self, account_id: str) -> bytes:
        """The account's key for signing presigned notebook URLs (HMAC-SHA256): 32 random bytes
        made on first use, kept sealed with the deployment keyring (so every replica shares it
        and a keyring rotation keeps it readable), cached in memory."""
        hit = self._presign_keys.get(account_id)
        if hit is not None:
            return hit
        aad = f"sagemaker-presign:{account_id}".encode()
        arn = f"sagegate:presign-key:{account_id}"
        with self._read() as s:
            row = s.get(SageMakerResourceRow, arn)
        if row is None:
            sealed = self._keyring.seal(secrets.token_bytes(32), aad)
            try:
                with self._write(bump=False) as s:
                    s.add(
                        SageMakerResourceRow(
                            arn=arn,
                            account_id=account_id,
                            region="",
                            resource_type=_KEY_TYPE,
                            name="key",
                            name_lower="key",
                            status=None,
                            data=json.dumps({"sealed": base64.b64encode(sealed).decode()}),
                            created_at=utcnow(),
                            updated_at=utcnow(),
                        )
                    )
            except IntegrityError:
                pass  # another replica made it first: use theirs
            with self._read() as s:
                row = s.get(SageMakerResourceRow, arn)
            assert row is not None
        key = self._keyring.open(base64.b64decode(json.loads(row.data)["sealed"]), aad)
        self._presign_keys[account_id] = key  # a dict store is atomic under the GIL
        return key
