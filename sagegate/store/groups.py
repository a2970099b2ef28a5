"""IAM groups: the groups themselves, membership, and group policies, inline and attached (IAM API
Reference: CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, AddUserToGroup,
RemoveUserFromGroup, ListGroupsForUser, Put/Get/List/DeleteGroupPolicy,
Attach/Detach/ListAttachedGroupPolicies).

Quotas from *IAM and AWS STS quotas*: 300 groups per account, a user in at most 10 groups, at most
10 managed policies attached to a group. Group names are unique per account case-insensitively;
ARNs are ``arn:aws:iam::{account}:group{path}{name}``. A group's policies apply to its members:
`PoliciesMixin.principal_policies_for_user` collects them.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sagegate.store import attachments, ids, inline_policies
from sagegate.store.base import StoreBase, check_max_items, decode_marker, encode_marker, utcnow
from sagegate.store.errors import AlreadyExists, DeleteConflict, LimitExceeded, NotFound
from sagegate.store.naming import rename
from sagegate.store.records import Group, Page, User
from sagegate.store.schema import (
    GroupInlinePolicyRow,
    GroupMembershipRow,
    GroupPolicyAttachmentRow,
    GroupRow,
    UserRow,
)
from sagegate.store.users import USER_TAG


def group_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:group{path}{name}"


def _to_group(row: GroupRow) -> Group:
    return Group(
        account_id=row.account_id,
        group_id=row.group_id,
        name=row.name,
        path=row.path,
        arn=group_arn(row.account_id, row.path, row.name),
        created_at=row.created_at,
    )


def _page_by_name(rows: list[GroupRow], max_items: int) -> Page[Group]:
    page, more = rows[:max_items], len(rows) > max_items
    return Page(
        items=tuple(_to_group(r) for r in page),
        marker=encode_marker(page[-1].name_lower) if more else None,
    )


class GroupsMixin(StoreBase):
    #: AWS quotas (defaults): "Groups per account", "IAM groups per user", "Managed policies per
    #: group" (the last is named PoliciesPerGroup in LimitExceeded messages).
    groups_per_account: int = 300
    groups_per_user: int = 10
    managed_policies_per_group: int = 10

    @staticmethod
    def _group_row(s: Session, account_id: str, name: str, *, lock: bool = False) -> GroupRow:
        stmt = select(GroupRow).where(
            GroupRow.account_id == account_id, GroupRow.name_lower == name.lower()
        )
        if lock:
            stmt = stmt.with_for_update()
        row = s.execute(stmt).scalar_one_or_none()
        if row is None:
            raise NotFound("group", name)
        return row

    # -- groups ---------------------------------------------------------------------------------

    def create_group(self, account_id: str, name: str, path: str = "/") -> Group:
        with self._write(authz=False) as s:
            self._account_row(s, account_id)
            if s.execute(
                select(GroupRow.group_id).where(
                    GroupRow.account_id == account_id, GroupRow.name_lower == name.lower()
                )
            ).first():
                raise AlreadyExists("group", name)
            count = s.execute(
                select(func.count()).select_from(GroupRow).where(GroupRow.account_id == account_id)
            ).scalar_one()
            if count >= self.groups_per_account:
                raise LimitExceeded("GroupsPerAccount", self.groups_per_account)
            row = GroupRow(
                group_id=ids.new_group_id(),
                account_id=account_id,
                name=name,
                name_lower=name.lower(),
                path=path,
                created_at=utcnow(),
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise AlreadyExists("group", name) from None
            return _to_group(row)

    def get_group(self, account_id: str, name: str) -> Group:
        with self._read() as s:
            return _to_group(self._group_row(s, account_id, name))

    def get_group_users(
        self, account_id: str, name: str, marker: str | None = None, max_items: int = 100
    ) -> tuple[Group, Page[User]]:
        """The group and one page of its members, ordered by user name (GetGroup)."""
        check_max_items(max_items)
        with self._read() as s:
            group = self._group_row(s, account_id, name)
            stmt = (
                select(UserRow)
                .join(GroupMembershipRow, GroupMembershipRow.user_id == UserRow.user_id)
                .where(GroupMembershipRow.group_id == group.group_id)
            )
            if marker is not None:
                (after,) = decode_marker(marker, 1)
                stmt = stmt.where(UserRow.name_lower > after)
            rows = list(s.execute(stmt.order_by(UserRow.name_lower).limit(max_items + 1)).scalars())
            page, more = rows[:max_items], len(rows) > max_items
            tags = self._tags_of(s, USER_TAG, [r.user_id for r in page])
        users = Page(
            items=tuple(self._to_user(r, tags.get(r.user_id, ())) for r in page),
            marker=encode_marker(page[-1].name_lower) if more else None,
        )
        return _to_group(group), users

    def list_groups(
        self,
        account_id: str,
        path_prefix: str = "/",
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[Group]:
        """Groups whose path starts with `path_prefix` (case-sensitive), ordered by name."""
        check_max_items(max_items)
        stmt = select(GroupRow).where(GroupRow.account_id == account_id)
        if path_prefix != "/":
            stmt = stmt.where(func.substr(GroupRow.path, 1, len(path_prefix)) == path_prefix)
        if marker is not None:
            (after,) = decode_marker(marker, 1)
            stmt = stmt.where(GroupRow.name_lower > after)
        with self._read() as s:
            rows = list(
                s.execute(stmt.order_by(GroupRow.name_lower).limit(max_items + 1)).scalars()
            )
        return _page_by_name(rows, max_items)

    def list_groups_for_user(
        self, account_id: str, user_name: str, marker: str | None = None, max_items: int = 100
    ) -> Page[Group]:
        check_max_items(max_items)
        with self._read() as s:
            user = self._user_row(s, account_id, user_name)
            stmt = (
                select(GroupRow)
                .join(GroupMembershipRow, GroupMembershipRow.group_id == GroupRow.group_id)
                .where(GroupMembershipRow.user_id == user.user_id)
            )
            if marker is not None:
                (after,) = decode_marker(marker, 1)
                stmt = stmt.where(GroupRow.name_lower > after)
            rows = list(
                s.execute(stmt.order_by(GroupRow.name_lower).limit(max_items + 1)).scalars()
            )
        return _page_by_name(rows, max_items)

    def update_group(
        self,
        account_id: str,
        name: str,
        new_name: str | None = None,
        new_path: str | None = None,
    ) -> Group:
        """Rename and/or move a group; members and policies follow (keyed by group id)."""
        with self._write() as s:
            row = self._group_row(s, account_id, name, lock=True)
            rename(s, row, "group", new_name, new_path)
            return _to_group(row)

    def delete_group(self, account_id: str, name: str) -> None:
        """Delete a group that has no members, inline policies or attached policies left."""
        with self._write(authz=False) as s:
            row = self._group_row(s, account_id, name, lock=True)
            gid = row.group_id
            if s.execute(select(exists().where(GroupMembershipRow.group_id == gid))).scalar():
                raise DeleteConflict(
                    "group", name, "Cannot delete entity, must remove users from group first."
                )
            if s.execute(select(exists().where(GroupInlinePolicyRow.group_id == gid))).scalar():
                raise DeleteConflict(
                    "group", name, "Cannot delete entity, must delete policies first."
                )
            if s.execute(select(exists().where(GroupPolicyAttachmentRow.group_id == gid))).scalar():
                raise DeleteConflict(
                    "group", name, "Cannot delete entity, must detach all policies first."
                )
            s.delete(row)

    # -- membership -----------------------------------------------------------------------------

    def add_user_to_group(self, account_id: str, group_name: str, user_name: str) -> None:
        """Add a user to a group; adding a member again is a no-op, as in AWS."""
        with self._write() as s:
            group = self._group_row(s, account_id, group_name, lock=True)
            user = self._user_row(s, account_id, user_name, lock=True)
            if s.get(GroupMembershipRow, (group.group_id, user.user_id)) is not None:
                return
            count = s.execute(
                select(func.count())
                .select_from(GroupMembershipRow)
                .where(GroupMembershipRow.user_id == user.user_id)
            ).scalar_one()
            if count >= self.groups_per_user:
                raise LimitExceeded("GroupsPerUser", self.groups_per_user)
            s.add(GroupMembershipRow(group_id=group.group_id, user_id=user.user_id))

    def remove_user_from_group(self, account_id: str, group_name: str, user_name: str) -> None:
        with self._write() as s:
            group = self._group_row(s, account_id, group_name, lock=True)
            user = self._user_row(s, account_id, user_name, lock=True)
            membership = s.get(GroupMembershipRow, (group.group_id, user.user_id))
            if membership is None:
                raise NotFound(
                    "membership",
                    user_name,
                    f"The user with name {user_name} cannot be found in group {group.name}.",
                )
            s.delete(membership)

    # -- inline group policies ------------------------------------------------------------------

    def put_group_policy(
        self, account_id: str, group_name: str, policy_name: str, document: str
    ) -> None:
        """Add or replace (matched case-insensitively) an inline policy of a group."""
        with self._write() as s:
            group = self._group_row(s, account_id, group_name, lock=True)
            inline_policies.put(
                s, GroupInlinePolicyRow.group_id, group.group_id, policy_name, document
            )

    def get_group_policy(self, account_id: str, group_name: str, policy_name: str) -> str:
        with self._read() as s:
            group = self._group_row(s, account_id, group_name)
            row = inline_policies.get(
                s, GroupInlinePolicyRow.group_id, group.group_id, policy_name, "group_policy"
            )
            return row.document

    def group_inline_policies(self, account_id: str, group_name: str) -> list[tuple[str, str]]:
        """Every inline policy of a group as (name, document), ordered by name."""
        with self._read() as s:
            group = self._group_row(s, account_id, group_name)
            return inline_policies.all_of(s, GroupInlinePolicyRow.group_id, group.group_id)

    def list_group_policies(
        self,
        account_id: str,
        group_name: str,
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[str]:
        with self._read() as s:
            group = self._group_row(s, account_id, group_name)
            return inline_policies.names_page(
                s, GroupInlinePolicyRow.group_id, group.group_id, marker, max_items
            )

    def delete_group_policy(self, account_id: str, group_name: str, policy_name: str) -> None:
        with self._write() as s:
            group = self._group_row(s, account_id, group_name, lock=True)
            inline_policies.delete(
                s, GroupInlinePolicyRow.group_id, group.group_id, policy_name, "group_policy"
            )

    # -- attached group policies ----------------------------------------------------------------

    def attach_group_policy(self, account_id: str, group_name: str, policy_arn: str) -> None:
        """Attach a managed policy (the account's own or AWS's); attaching twice is a no-op."""
        with self._write() as s:
            group = self._group_row(s, account_id, group_name, lock=True)
            self._policy_row(s, account_id, policy_arn, attachable=True)
            attachments.attach(
                s,
                GroupPolicyAttachmentRow.group_id,
                group.group_id,
                policy_arn,
                self.managed_policies_per_group,
                "PoliciesPerGroup",
            )

    def detach_group_policy(self, account_id: str, group_name: str, policy_arn: str) -> None:
        with self._write() as s:
            group = self._group_row(s, account_id, group_name, lock=True)
            attachments.detach(s, GroupPolicyAttachmentRow.group_id, group.group_id, policy_arn)

    def list_attached_group_policies(
        self,
        account_id: str,
        group_name: str,
        path_prefix: str = "/",
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[tuple[str, str]]:
        """(policy name, policy ARN) pairs attached to a group, ordered by name."""
        with self._read() as s:
            group = self._group_row(s, account_id, group_name)
            return attachments.attached_page(
                s, GroupPolicyAttachmentRow.group_id, group.group_id, path_prefix, marker, max_items
            )
