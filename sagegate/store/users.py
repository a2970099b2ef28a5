"""IAM users: create, read, list (paginated, ordered by name), rename/move, tags, permissions
boundary, delete (IAM API Reference: CreateUser, UpdateUser, TagUser, UntagUser, ListUserTags,
PutUserPermissionsBoundary, DeleteUserPermissionsBoundary, DeleteUser).

Tags follow *Tagging IAM resources*: at most 50 per resource, keys compared case-insensitively
(tagging `cost` when `Cost` exists replaces it, with the new spelling)."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError

from sagegate.store import ids, tagging
from sagegate.store.base import (
    StoreBase,
    check_max_items,
    decode_marker,
    encode_marker,
    utcnow,
)
from sagegate.store.driver import Driver, Prepared
from sagegate.store.errors import (
    AlreadyExists,
    DeleteConflict,
    NotFound,
)
from sagegate.store.naming import rename
from sagegate.store.read_cache import Scope, cached_read
from sagegate.store.records import Page, User
from sagegate.store.schema import (
    AccessKeyRow,
    GroupMembershipRow,
    LoginProfileRow,
    MfaDeviceRow,
    PasswordHistoryRow,
    TagRow,
    UserInlinePolicyRow,
    UserPolicyAttachmentRow,
    UserRow,
)

USER_TAG = tagging.USER.entity_type


_U = UserRow.__table__
_INSERT_USER = Prepared(_U.insert())
_LIST_USERS = select(
    _U.c.user_id,
    _U.c.account_id,
    _U.c.name,
    _U.c.name_lower,
    _U.c.path,
    _U.c.created_at,
    _U.c.permissions_boundary_arn,
)
_DELETE_USER = Prepared(_U.delete().where(_U.c.user_id == bindparam("u")))
_PH = PasswordHistoryRow.__table__
_DELETE_PASSWORD_HISTORY = Prepared(_PH.delete().where(_PH.c.user_id == bindparam("u")))
_T = TagRow.__table__
_INSERT_TAG = Prepared(
    _T.insert().values(
        entity_type=bindparam("t"),
        entity_id=bindparam("i"),
        key=bindparam("k"),
        value=bindparam("v"),
        position=bindparam("p"),
    )
)
_DELETE_TAGS = Prepared(
    _T.delete().where(_T.c.entity_type == bindparam("t"), _T.c.entity_id == bindparam("i"))
)


def user_scope(account_id: str, name: str | None) -> tuple[str, str, str | None]:
    """The read-cache scope of what is read about one user (see `read_cache`)."""
    return ("user", account_id, None if name is None else name.lower())


def _created_or_deleted(account_id: str, name: str) -> tuple[Scope, ...]:
    return (user_scope(account_id, name), ("users", account_id))


def _has(table: Any) -> Any:
    return exists().where(table.__table__.c.user_id == _U.c.user_id)


# The user to delete, locked, with what keeps it from being deleted (in AWS's order, with AWS's
# messages below): one round trip.
_USER_AND_DEPENDENTS = Prepared(
    select(
        _U.c.user_id,
        _has(AccessKeyRow),
        _has(UserInlinePolicyRow),
        _has(UserPolicyAttachmentRow),
        _has(GroupMembershipRow),
        _has(LoginProfileRow),
        _has(MfaDeviceRow),
        # What goes with the user (statements run only when there is some).
        exists().where(_T.c.entity_type == USER_TAG, _T.c.entity_id == _U.c.user_id),
        _has(PasswordHistoryRow),
    )
    .where(_U.c.account_id == bindparam("a"), _U.c.name_lower == bindparam("n"))
    .with_for_update(of=_U)
)
# The user deleted only when nothing above (what keeps it, what goes with it) is there.
_DELETE_LONE_USER = Prepared(
    _U.delete()
    .where(
        _U.c.account_id == bindparam("a"),
        _U.c.name_lower == bindparam("n"),
        *(~column for column in _USER_AND_DEPENDENTS.stmt.selected_columns[1:]),
    )
    .returning(_U.c.user_id)
)
_DELETE_CONFLICTS = (
    "Cannot delete entity, must delete access keys first.",
    "Cannot delete entity, must delete policies first.",
    "Cannot delete entity, must detach all policies first.",
    "Cannot delete entity, must remove users from group first.",
    "Cannot delete entity, must delete login profile first.",
    "Cannot delete entity, must delete MFA device first.",
)


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
        values = {
            "user_id": ids.new_user_id(),
            "account_id": account_id,
            "name": name,
            "name_lower": name.lower(),
            "path": path,
            "created_at": utcnow(),
            "permissions_boundary_arn": permissions_boundary_arn,
        }
        user = self._to_user(SimpleNamespace(**values), tag_tuple)
        scopes = _created_or_deleted(account_id, name)
        answers = [UsersMixin.get_user.answer(self, user, account_id, name)]
        try:
            if permissions_boundary_arn is None and not tag_tuple:
                self._write_alone(_INSERT_USER, values, scopes=scopes, answers=answers)
                return user
            with self._write_core(authz=False, scopes=scopes, answers=answers) as db:
                if permissions_boundary_arn is not None:
                    self._require_policy(db, account_id, permissions_boundary_arn)
                # The unique (account, name) key and the account's foreign key decide; what
                # went wrong is looked up only when the insert fails.
                db.execute(_INSERT_USER, values)
                if tag_tuple:
                    db.executemany(
                        _INSERT_TAG,
                        [
                            {"t": USER_TAG, "i": values["user_id"], "k": k, "v": v, "p": i}
                            for i, (k, v) in enumerate(tag_tuple)
                        ],
                    )
        except IntegrityError:
            with self._read_core() as db:
                self._require_account(db, account_id)
            raise AlreadyExists("user", name) from None
        return user

    @cached_read(scope=lambda self, account_id, name: user_scope(account_id, name))
    def get_user(self, account_id: str, name: str) -> User:
        with self._read_core() as db:
            row = self._user_core(db, account_id, name)
            return self._to_user(row, self._tags_core(db, USER_TAG, row.user_id))

    def get_user_by_id(self, user_id: str) -> User:
        with self._read() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                raise NotFound("user", user_id, f"The user with id {user_id} cannot be found.")
            return self._to_user(
                row, self._tags_of(s, USER_TAG, [row.user_id]).get(row.user_id, ())
            )

    @cached_read(scope=lambda self, account_id, *args, **kwargs: ("users", account_id))
    def list_users(
        self,
        account_id: str,
        path_prefix: str = "/",
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[User]:
        """Users whose path starts with `path_prefix` (case-sensitive), ordered by name."""
        check_max_items(max_items)
        stmt = _LIST_USERS.where(_U.c.account_id == account_id)
        if path_prefix != "/":
            stmt = stmt.where(func.substr(_U.c.path, 1, len(path_prefix)) == path_prefix)
        if marker is not None:
            (after,) = decode_marker(marker, 1)
            stmt = stmt.where(_U.c.name_lower > after)
        stmt = stmt.order_by(_U.c.name_lower).limit(max_items + 1)
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).all()
            page, more = rows[:max_items], len(rows) > max_items
            tags = self._tags_core_of(Driver.of(conn), USER_TAG, [r.user_id for r in page])
        return Page(
            items=tuple(self._to_user(r, tags.get(r.user_id, ())) for r in page),
            marker=encode_marker(page[-1].name_lower) if more else None,
        )

    def delete_user(self, account_id: str, name: str) -> None:
        """Delete a user that has no access keys, inline or attached policies or groups left."""
        params = {"a": account_id, "n": name.lower()}
        scopes = _created_or_deleted(account_id, name)
        # On SQLite, whose writers take turns, a user with nothing at all left is deleted by one
        # statement; anything else (or PostgreSQL) locks the user and looks at what is left.
        if self._sqlite and self._write_alone(_DELETE_LONE_USER, params, scopes=scopes):
            return
        with self._write_core(authz=False, scopes=scopes) as db:
            row = db.execute(_USER_AND_DEPENDENTS, params).first()
            if row is None:
                raise NotFound("user", name)
            uid, *found, has_tags, has_history = row
            for present, message in zip(found, _DELETE_CONFLICTS, strict=True):
                if present:
                    raise DeleteConflict("user", name, message)
            if has_tags:
                db.execute(_DELETE_TAGS, {"t": USER_TAG, "i": uid})
            if has_history:  # normally gone with the login profile (deleted first)
                db.execute(_DELETE_PASSWORD_HISTORY, {"u": uid})
            db.execute(_DELETE_USER, {"u": uid})

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
            rename(s, row, "user", new_name, new_path)
            return self._to_user(
                row, self._tags_of(s, USER_TAG, [row.user_id]).get(row.user_id, ())
            )

    def tag_user(self, account_id: str, name: str, tags: Sequence[tuple[str, str]]) -> None:
        with self._write() as s:
            row = self._user_row(s, account_id, name, lock=True)
            tagging.add_tags(s, tagging.USER, row.user_id, tuple(tags))

    def untag_user(self, account_id: str, name: str, keys: Sequence[str]) -> None:
        with self._write() as s:
            row = self._user_row(s, account_id, name, lock=True)
            tagging.remove_tags(s, tagging.USER, row.user_id, keys)

    def list_user_tags(
        self, account_id: str, name: str, marker: str | None = None, max_items: int = 100
    ) -> Page[tuple[str, str]]:
        return tagging.tag_page(self.get_user(account_id, name).tags, marker, max_items)

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
