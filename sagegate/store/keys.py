"""Access keys: AKIA ids with a 40-character secret sealed under the keyring.

The secret is stored only as `Keyring.seal(secret, aad=b"sagegate/access-key/" + key id)`, so a
sealed secret copied onto another key's row does not open. `lookup_access_key` is the request
hot path: one indexed query (primary key, outer join to the user) plus one AES-GCM open.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from sagegate.store import ids
from sagegate.store.base import StoreBase, utcnow
from sagegate.store.driver import Prepared
from sagegate.store.errors import LimitExceeded, NotFound
from sagegate.store.read_cache import cached_read
from sagegate.store.records import AccessKey, AccessKeyLastUsed, KeyRecord, KeyStatus
from sagegate.store.schema import AccessKeyRow, UserRow
from sagegate.store.users import user_scope

log = logging.getLogger(__name__)

ACCESS_KEYS_PER_USER = 2
STATUSES = ("Active", "Inactive")

_LOOKUP_KEY = Prepared(
    select(
        AccessKeyRow.account_id,
        AccessKeyRow.user_id,
        AccessKeyRow.secret_sealed,
        AccessKeyRow.status,
        AccessKeyRow.created_at,
        UserRow.name,
        UserRow.path,
    )
    .outerjoin(UserRow, UserRow.user_id == AccessKeyRow.user_id)
    .where(AccessKeyRow.access_key_id == bindparam("k"))
)
_K = AccessKeyRow.__table__
_KEY_COLUMNS = select(_K.c.access_key_id, _K.c.status, _K.c.created_at).order_by(
    _K.c.created_at, _K.c.access_key_id
)
_USER_KEYS = Prepared(_KEY_COLUMNS.where(_K.c.user_id == bindparam("u")))
_ROOT_KEYS = Prepared(_KEY_COLUMNS.where(_K.c.account_id == bindparam("a"), _K.c.user_id.is_(None)))


def secret_aad(access_key_id: str) -> bytes:
    return b"sagegate/access-key/" + access_key_id.encode()


class AccessKeysMixin(StoreBase):
    #: `record_key_use` writes at most once per key, service and region in this many seconds.
    key_use_interval_seconds: float = 60.0

    def _init_key_use(self) -> None:
        self._key_use_lock = threading.Lock()
        self._key_use_seen: dict[tuple[str, str, str], datetime] = {}

    def create_access_key(self, account_id: str, user_name: str | None) -> tuple[AccessKey, str]:
        """A new Active key for `user_name` (None: the account's root user) and its secret.

        At most two keys per user (AWS quota AccessKeysPerUser): the count and the insert
        happen under the write lock, so concurrent calls cannot exceed it.
        """
        now = utcnow()
        with self._write() as s:
            if user_name is None:
                self._account_row(s, account_id, lock=True)
                user_id = None
                count_where = [
                    AccessKeyRow.account_id == account_id,
                    AccessKeyRow.user_id.is_(None),
                ]
            else:
                user = self._user_row(s, account_id, user_name, lock=True)
                user_id = user.user_id
                user_name = user.name
                count_where = [AccessKeyRow.user_id == user_id]
            count = s.execute(
                select(func.count()).select_from(AccessKeyRow).where(*count_where)
            ).scalar_one()
            if count >= ACCESS_KEYS_PER_USER:
                raise LimitExceeded("AccessKeysPerUser", ACCESS_KEYS_PER_USER)
            key_id = ids.new_access_key_id()
            secret = ids.new_secret_access_key()
            s.add(
                AccessKeyRow(
                    access_key_id=key_id,
                    account_id=account_id,
                    user_id=user_id,
                    secret_sealed=self._keyring.seal(secret.encode(), secret_aad(key_id)),
                    status="Active",
                    created_at=now,
                )
            )
        return AccessKey(key_id, user_name, "Active", now), secret

    @cached_read(scope=lambda self, account_id, user_name: user_scope(account_id, user_name))
    def list_access_keys(self, account_id: str, user_name: str | None) -> tuple[AccessKey, ...]:
        """Keys of `user_name` (None: root), oldest first; NotFound for an unknown user."""
        with self._read_core() as db:
            if user_name is None:
                self._require_account(db, account_id)
                rows = db.execute(_ROOT_KEYS, {"a": account_id})
                name = None
            else:
                user = self._user_core(db, account_id, user_name)
                rows = db.execute(_USER_KEYS, {"u": user.user_id})
                name = user.name
        return tuple(AccessKey(k, name, st, c) for k, st, c in rows)

    def _key_row(
        self, s: Session, account_id: str, user_name: str | None, key_id: str
    ) -> AccessKeyRow:
        stmt = select(AccessKeyRow).where(
            AccessKeyRow.access_key_id == key_id, AccessKeyRow.account_id == account_id
        )
        if user_name is None:
            stmt = stmt.where(AccessKeyRow.user_id.is_(None))
        else:
            user = self._user_row(s, account_id, user_name)
            stmt = stmt.where(AccessKeyRow.user_id == user.user_id)
        row = s.execute(stmt.with_for_update()).scalar_one_or_none()
        if row is None:
            raise NotFound("access_key", key_id)
        return row

    def update_access_key(
        self, account_id: str, user_name: str | None, key_id: str, status: KeyStatus
    ) -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        with self._write() as s:
            self._key_row(s, account_id, user_name, key_id).status = status

    def delete_access_key(self, account_id: str, user_name: str | None, key_id: str) -> None:
        with self._write() as s:
            s.delete(self._key_row(s, account_id, user_name, key_id))

    def lookup_access_key(self, key_id: str) -> KeyRecord | None:
        """The key, its owner and its decrypted secret; None if no such key.

        Raises `SealedDataError` if the secret cannot be opened (wrong or missing master key).
        """
        with self._read_core() as db:
            row = db.execute(_LOOKUP_KEY, {"k": key_id}).first()
        if row is None:
            return None
        account_id, user_id, sealed, status, created_at, name, path = row
        secret = self._keyring.open(bytes(sealed), secret_aad(key_id)).decode()
        return KeyRecord(
            access_key_id=key_id,
            secret=secret,
            account_id=account_id,
            user_id=user_id,
            user_name=name,
            user_path=path,
            status=status,
            created_at=created_at,
        )

    def record_key_use(self, key_id: str, when: datetime, service: str, region: str) -> None:
        """Remember when and where a key was last used. Best effort: never raises.

        Writes at most once per (key, service, region) per `key_use_interval_seconds` in this
        process, and never moves `last_used_at` backwards. Does not bump the epoch.
        """
        try:
            slot = (key_id, service, region)
            with self._key_use_lock:
                seen = self._key_use_seen.get(slot)
                if (
                    seen is not None
                    and (when - seen).total_seconds() < self.key_use_interval_seconds
                ):
                    return
                self._key_use_seen[slot] = when
                if len(self._key_use_seen) > 100_000:
                    self._key_use_seen.clear()
            with self._write(bump=False) as s:
                s.execute(
                    update(AccessKeyRow)
                    .where(
                        AccessKeyRow.access_key_id == key_id,
                        or_(AccessKeyRow.last_used_at.is_(None), AccessKeyRow.last_used_at <= when),
                    )
                    .values(last_used_at=when, last_used_service=service, last_used_region=region)
                )
        except Exception:  # best effort: must never break the request being served
            log.warning("could not record use of access key %s", key_id, exc_info=True)

    def get_access_key_last_used(self, key_id: str) -> AccessKeyLastUsed | None:
        """When, where and by which service a key was last used; None if no such key."""
        with self._read() as s:
            row = s.execute(
                select(AccessKeyRow, UserRow.name)
                .outerjoin(UserRow, UserRow.user_id == AccessKeyRow.user_id)
                .where(AccessKeyRow.access_key_id == key_id)
            ).first()
        if row is None:
            return None
        key, name = row
        return AccessKeyLastUsed(
            access_key_id=key.access_key_id,
            account_id=key.account_id,
            user_name=name,
            last_used_at=key.last_used_at,
            last_used_service=key.last_used_service,
            last_used_region=key.last_used_region,
        )

    def reseal_secrets(self) -> int:
        """Re-encrypt every secret not sealed with the current key; returns how many."""
        current = self._keyring.current_key_id
        count = 0
        with self._write(bump=False) as s:
            for row in s.execute(select(AccessKeyRow).with_for_update()).scalars():
                if self._keyring.key_id_of(row.secret_sealed) == current:
                    continue
                aad = secret_aad(row.access_key_id)
                row.secret_sealed = self._keyring.seal(
                    self._keyring.open(row.secret_sealed, aad), aad
                )
                count += 1
        return count
