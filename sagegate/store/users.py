"""IAM users: create, read, list (paginated, ordered by name), rename/move, tags, permissions
boundary, delete (IAM API Reference: CreateUser, UpdateUser, TagUser, UntagUser, ListUserTags,
PutUserPermissionsBoundary, DeleteUserPermissionsBoundary, DeleteUser).

Tags follow *Tagging IAM resources*: at most 50 per resource, keys compared case-insensitively
(tagging `cost` when `Cost` exists replaces it, with the new spelling)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sagegate.store import ids
from sagegate.store.base import (
    StoreBase,
    cached_read,
    check_max_items,
    decode_marker,
    encode_marker,
    utcnow,
)
from sagegate.store.errors import (
    AlreadyExists,
    DeleteConflict,
    InvalidMarker,
    LimitExceeded,
    NotFound,
)
from sagegate.store.records import Page, Tags, User
from sagegate.store.schema import (
    AccessKeyRow,
    GroupMembershipRow,
    LoginProfileRow,
    MfaDeviceRow,
    TagRow,
    UserInlinePolicyRow,
    UserPolicyAttachmentRow,
    UserRow,
)

USER_TAG = "user"
#: AWS quota: tags per IAM resource.
MAX_TAGS = 50


def add_tags(
    s: Session, entity_type: str, entity_id: str, tags: Sequence[tuple[str, str]], quota: str
) -> None:
    """Add or replace tags (keys case-insensitive) of one entity, within the 50-tag quota."""
    if len({k.lower() for k, _ in tags}) != len(tags):
        raise ValueError("duplicate tag keys")
    rows = list(
        s.execute(
            select(TagRow).where(TagRow.entity_type == entity_type, TagRow.entity_id == entity_id)
        ).scalars()
    )
    existing = {r.key.lower(): r for r in rows}
    added = sum(1 for k, _ in tags if k.lower() not in existing)
    if len(rows) + added > MAX_TAGS:
        raise LimitExceeded(quota, MAX_TAGS)
    position = max((r.position for r in rows), default=-1) + 1
    for key, value in tags:
        old = existing.get(key.lower())
        keep = position
        if old is not None:
            keep = old.position
            s.delete(old)
            s.flush()
        else:
            position += 1
        s.add(
            TagRow(
                entity_type=entity_type, entity_id=entity_id, key=key, value=value, position=keep
            )
        )
    s.flush()


def remove_tags(s: Session, entity_type: str, entity_id: str, keys: Sequence[str]) -> None:
    """Remove tags by key (case-insensitive); keys that are not there are ignored, as by AWS."""
    wanted = {k.lower() for k in keys}
    for row in s.execute(
        select(TagRow).where(TagRow.entity_type == entity_type, TagRow.entity_id == entity_id)
    ).scalars():
        if row.key.lower() in wanted:
            s.delete(row)


def tag_page(tags: Tags, marker: str | None, max_items: int) -> Page[tuple[str, str]]:
    """A page of an entity's tags in their stored order (the marker is the next index)."""
    check_max_items(max_items)
    start = 0
    if marker is not None:
        (raw,) = decode_marker(marker, 1)
        if not raw.isdigit():
            raise InvalidMarker()
        start = int(raw)
    page = tags[start : start + max_items]
    more = start + max_items < len(tags)
    return Page(items=page, marker=encode_marker(str(start + max_items)) if more else None)


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
        if len({k.lower() for k, _ in tag_tuple}) != len(tag_tuple):
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

    @cached_read
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

    @cached_read
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
        """Delete a user that has no access keys, inline or attached policies or groups left."""
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
            if s.execute(select(exists().where(GroupMembershipRow.user_id == uid))).scalar():
                raise DeleteConflict(
                    "user", name, "Cannot delete entity, must remove users from group first."
                )
            if s.get(LoginProfileRow, uid) is not None:
                raise DeleteConflict(
                    "user", name, "Cannot delete entity, must delete login profile first."
                )
            if s.execute(select(exists().where(MfaDeviceRow.user_id == uid))).scalar():
                raise DeleteConflict(
                    "user", name, "Cannot delete entity, must delete MFA device first."
                )
            s.execute(delete(TagRow).where(TagRow.entity_type == USER_TAG, TagRow.entity_id == uid))
            s.delete(row)

    def update_user(
        self,
        account_id: str,
        name: str,
        new_name: str | None = None,
        new_path: str | None = None,
    ) -> User:
        """Rename and/or move a user. Keys, policies, groups and tags follow (keyed by user id)."""
        with self._write() as s:
            row = self._user_row(s, account_id, name, lock=True)
            renamed = new_name is not None and new_name.lower() != row.name_lower
            if (
                renamed
                and s.execute(
                    select(UserRow.user_id).where(
                        UserRow.account_id == account_id,
                        UserRow.name_lower == str(new_name).lower(),
                    )
                ).first()
            ):
                raise AlreadyExists("user", str(new_name))
            if new_name is not None:
                row.name, row.name_lower = new_name, new_name.lower()
            if new_path is not None:
                row.path = new_path
            try:
                s.flush()
            except IntegrityError:
                raise AlreadyExists("user", new_name or name) from None
            return self._to_user(
                row, self._tags_of(s, USER_TAG, [row.user_id]).get(row.user_id, ())
            )

    def tag_user(self, account_id: str, name: str, tags: Sequence[tuple[str, str]]) -> None:
        with self._write() as s:
            row = self._user_row(s, account_id, name, lock=True)
            add_tags(s, USER_TAG, row.user_id, tuple(tags), "TagsPerUser")

    def untag_user(self, account_id: str, name: str, keys: Sequence[str]) -> None:
        with self._write() as s:
            row = self._user_row(s, account_id, name, lock=True)
            remove_tags(s, USER_TAG, row.user_id, keys)

    def list_user_tags(
        self, account_id: str, name: str, marker: str | None = None, max_items: int = 100
    ) -> Page[tuple[str, str]]:
        return tag_page(self.get_user(account_id, name).tags, marker, max_items)

    def put_user_permissions_boundary(self, account_id: str, name: str, policy_arn: str) -> None:
        """Set (or replace) the managed policy that bounds the user's permissions."""
        with self._write() as s:
            row = self._user_row(s, account_id, name, lock=True)
            self._policy_row(s, account_id, policy_arn)
            row.permissions_boundary_arn = policy_arn

    def delete_user_permissions_boundary(self, account_id: str, name: str) -> None:
        with self._write() as s:
            row = self._user_row(s, account_id, name, lock=True)
            row.permissions_boundary_arn = None
