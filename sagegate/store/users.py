"""IAM users: create, read, list (paginated, ordered by name), delete."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError

from sagegate.store import ids
from sagegate.store.base import (
    StoreBase,
    check_max_items,
    decode_marker,
    encode_marker,
    utcnow,
)
from sagegate.store.errors import AlreadyExists, DeleteConflict, NotFound
from sagegate.store.records import Page, User
from sagegate.store.schema import (
    AccessKeyRow,
    TagRow,
    UserInlinePolicyRow,
    UserPolicyAttachmentRow,
    UserRow,
)

USER_TAG = "user"


class UsersMixin(StoreBase):
    def create_user(
        self,
        account_id: str,
        name: str,
        path: str = "/",
        permissions_boundary_arn: str | None = None,
        tags: Sequence[tuple[str, str]] = (),
    ) -> User:
        """Create a user. The IAM layer validates name, path and tags (keys must be distinct)."""
        tag_tuple = tuple((k, v) for k, v in tags)
        if len({k for k, _ in tag_tuple}) != len(tag_tuple):
            raise ValueError("duplicate tag keys")
        now = utcnow()
        with self._write() as s:
            self._account_row(s, account_id)
            if permissions_boundary_arn is not None:
                self._policy_row(s, account_id, permissions_boundary_arn)
            if s.execute(
                select(UserRow.user_id).where(
                    UserRow.account_id == account_id, UserRow.name_lower == name.lower()
                )
            ).first():
                raise AlreadyExists("user", name)
            row = UserRow(
                user_id=ids.new_user_id(),
                account_id=account_id,
                name=name,
                name_lower=name.lower(),
                path=path,
                created_at=now,
                permissions_boundary_arn=permissions_boundary_arn,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise AlreadyExists("user", name) from None
            for position, (key, value) in enumerate(tag_tuple):
                s.add(
                    TagRow(
                        entity_type=USER_TAG,
                        entity_id=row.user_id,
                        key=key,
                        value=value,
                        position=position,
                    )
                )
            s.flush()
            return self._to_user(row, tag_tuple)

    def get_user(self, account_id: str, name: str) -> User:
        with self._read() as s:
            row = self._user_row(s, account_id, name)
            return self._to_user(
                row, self._tags_of(s, USER_TAG, [row.user_id]).get(row.user_id, ())
            )

    def get_user_by_id(self, user_id: str) -> User:
        with self._read() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                raise NotFound("user", user_id, f"The user with id {user_id} cannot be found.")
            return self._to_user(
                row, self._tags_of(s, USER_TAG, [row.user_id]).get(row.user_id, ())
            )

    def list_users(
        self,
        account_id: str,
        path_prefix: str = "/",
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[User]:
        """Users whose path starts with `path_prefix` (case-sensitive), ordered by name."""
        check_max_items(max_items)
        stmt = select(UserRow).where(UserRow.account_id == account_id)
        if path_prefix != "/":
            stmt = stmt.where(func.substr(UserRow.path, 1, len(path_prefix)) == path_prefix)
        if marker is not None:
            (after,) = decode_marker(marker, 1)
            stmt = stmt.where(UserRow.name_lower > after)
        stmt = stmt.order_by(UserRow.name_lower).limit(max_items + 1)
        with self._read() as s:
            rows = list(s.execute(stmt).scalars())
            page, more = rows[:max_items], len(rows) > max_items
            tags = self._tags_of(s, USER_TAG, [r.user_id for r in page])
        return Page(
            items=tuple(self._to_user(r, tags.get(r.user_id, ())) for r in page),
            marker=encode_marker(page[-1].name_lower) if more else None,
        )

    def delete_user(self, account_id: str, name: str) -> None:
        """Delete a user that has no access keys, inline policies or attached policies left."""
        with self._write() as s:
            row = self._user_row(s, account_id, name, lock=True)
            uid = row.user_id
            if s.execute(select(exists().where(AccessKeyRow.user_id == uid))).scalar():
                raise DeleteConflict(
                    "user", name, "Cannot delete entity, must delete access keys first."
                )
            if s.execute(select(exists().where(UserInlinePolicyRow.user_id == uid))).scalar():
                raise DeleteConflict(
                    "user", name, "Cannot delete entity, must delete policies first."
                )
            if s.execute(select(exists().where(UserPolicyAttachmentRow.user_id == uid))).scalar():
                raise DeleteConflict(
                    "user", name, "Cannot delete entity, must detach all policies first."
                )
            s.execute(delete(TagRow).where(TagRow.entity_type == USER_TAG, TagRow.entity_id == uid))
            s.delete(row)
