"""Customer managed policies beyond creation: listing with scope and usage filters, versions (at
most five), deletion rules, the entities that use a policy, and policy tags (IAM API Reference:
ListPolicies, DeletePolicy, CreatePolicyVersion, ListPolicyVersions, DeletePolicyVersion,
SetDefaultPolicyVersion, ListEntitiesForPolicy, TagPolicy, UntagPolicy, ListPolicyTags).

Attachment and permissions-boundary counts are computed per account from the attachment tables, so
an AWS managed policy shows each account its own use of it, as AWS does. Only an account's own
policies can be changed; AWS managed ones (account ``aws``) and other accounts' are NotFound.
Version ids are never reused (IAM User Guide, *Versioning IAM policies*: "if you delete versions
v2 and v4 ... the remaining version identifiers could be v1, v3, v5, v6, and v7"): the highest
number a policy has ever been given is kept in `meta` under `policy_version/POLICY_ID` (the schema
has no column for it; the row goes with the policy), so deleting the newest version does not free
its number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

from sqlalchemy import Select, and_, delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from sagegate.store import tagging
from sagegate.store.base import StoreBase, check_max_items, decode_marker, encode_marker, utcnow
from sagegate.store.errors import DeleteConflict, LimitExceeded, NotFound
from sagegate.store.records import ManagedPolicy, Page, PolicyEntity, PolicyVersion, Tags
from sagegate.store.schema import (
    GroupPolicyAttachmentRow,
    GroupRow,
    ManagedPolicyRow,
    MetaRow,
    PolicyVersionRow,
    RolePolicyAttachmentRow,
    RoleRow,
    UserPolicyAttachmentRow,
    UserRow,
)

AWS = "aws"
POLICY_TAG = tagging.POLICY.entity_type
#: AWS quota: "Managed policy versions per managed policy".
MAX_POLICY_VERSIONS = 5


def policy_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


def to_policy(row: ManagedPolicyRow) -> ManagedPolicy:
    return ManagedPolicy(
        arn=row.arn,
        policy_id=row.policy_id,
        account_id=row.account_id,
        name=row.name,
        path=row.path,
        description=row.description,
        default_version_id=row.default_version_id,
        attachment_count=row.attachment_count,
        is_attachable=row.is_attachable,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def with_counts(stmt: Select[Any], account_id: str) -> Select[Any]:
    """Add the account's attachment count and permissions-boundary usage count of each policy
    (for AWS managed policies they are per account, as AWS reports them)."""
    arn = ManagedPolicyRow.arn
    users = (
        select(func.count())
        .select_from(UserPolicyAttachmentRow)
        .join(UserRow, UserRow.user_id == UserPolicyAttachmentRow.user_id)
        .where(UserPolicyAttachmentRow.policy_arn == arn, UserRow.account_id == account_id)
        .scalar_subquery()
    )
    groups = (
        select(func.count())
        .select_from(GroupPolicyAttachmentRow)
        .join(GroupRow, GroupRow.group_id == GroupPolicyAttachmentRow.group_id)
        .where(GroupPolicyAttachmentRow.policy_arn == arn, GroupRow.account_id == account_id)
        .scalar_subquery()
    )
    roles = (
        select(func.count())
        .select_from(RolePolicyAttachmentRow)
        .join(RoleRow, RoleRow.role_id == RolePolicyAttachmentRow.role_id)
        .where(RolePolicyAttachmentRow.policy_arn == arn, RoleRow.account_id == account_id)
        .scalar_subquery()
    )
    bounded_users = (
        select(func.count())
        .select_from(UserRow)
        .where(UserRow.permissions_boundary_arn == arn, UserRow.account_id == account_id)
        .scalar_subquery()
    )
    bounded_roles = (
        select(func.count())
        .select_from(RoleRow)
        .where(RoleRow.permissions_boundary_arn == arn, RoleRow.account_id == account_id)
        .scalar_subquery()
    )
    return stmt.add_columns(
        (users + groups + roles).label("attached"),
        (bounded_users + bounded_roles).label("bounded"),
    )


def counted(found: Any, tags: Tags = ()) -> ManagedPolicy:
    row, attached, bounded = found
    return replace(
        to_policy(row),
        attachment_count=int(attached),
        permissions_boundary_usage_count=int(bounded),
        tags=tags,
    )


def add_tags(
    s: Session, entity_type: str, entity_id: str, tags: Sequence[tuple[str, str]], quota: str
) -> None:
    """`tagging.add_tags` under the signature `policies.py` (CreatePolicy) calls it with."""
    tagging.add_tags(s, tagging.TagRules(entity_type, quota, respell=True), entity_id, tags)


def _version_number(version_id: str) -> int:
    return int(version_id[1:]) if version_id[1:].isdigit() else 0


def _version_counter_key(policy_id: str) -> str:
    return f"policy_version/{policy_id}"


def _next_version_number(s: Session, row: ManagedPolicyRow, existing: Sequence[str]) -> int:
    """One more than the highest version number the policy has ever had, remembered."""
    counter = s.get(MetaRow, _version_counter_key(row.policy_id), with_for_update=True)
    highest = max((_version_number(v) for v in existing), default=0)
    number = max(highest, counter.value if counter is not None else 0) + 1
    if counter is None:
        s.add(MetaRow(key=_version_counter_key(row.policy_id), value=number))
    else:
        counter.value = number
    return number


class ManagedPoliciesMixin(StoreBase):
    # -- customer managed policies: listing, versions, deletion, tags ---------------------------

    def _own_policy_row(self, s: Session, account_id: str, arn: str) -> ManagedPolicyRow:
        """A customer managed policy of `account_id`: AWS managed policies cannot be changed."""
        row = s.get(ManagedPolicyRow, arn, with_for_update=True)
        if row is None or row.account_id != account_id:
            raise NotFound("policy", arn)
        return row

    def list_policies(
        self,
        account_id: str,
        scope: str = "All",
        only_attached: bool = False,
        path_prefix: str = "/",
        usage_filter: str | None = None,
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[ManagedPolicy]:
        """Managed policies visible to the account, ordered by name then ARN (ListPolicies).

        `scope`: "All", "AWS" (AWS managed) or "Local" (the account's own). `only_attached`:
        only policies in use, as permissions policies and/or boundaries as `usage_filter`
        ("PermissionsPolicy" | "PermissionsBoundary" | None for either) says; without
        `only_attached` the usage filter keeps the policies in use that way.
        """
        check_max_items(max_items)
        owners = {"AWS": [AWS], "Local": [account_id]}.get(scope, [AWS, account_id])
        sub = with_counts(select(ManagedPolicyRow), account_id).subquery()
        policy = aliased(ManagedPolicyRow, sub)
        stmt = select(policy, sub.c.attached, sub.c.bounded).where(policy.account_id.in_(owners))
        if path_prefix != "/":
            stmt = stmt.where(func.substr(policy.path, 1, len(path_prefix)) == path_prefix)
        if usage_filter == "PermissionsPolicy":
            stmt = stmt.where(sub.c.attached > 0)
        elif usage_filter == "PermissionsBoundary":
            stmt = stmt.where(sub.c.bounded > 0)
        elif only_attached:
            stmt = stmt.where(or_(sub.c.attached > 0, sub.c.bounded > 0))
        if marker is not None:
            after_name, after_arn = decode_marker(marker, 2)
            stmt = stmt.where(
                or_(
                    policy.name_lower > after_name,
                    and_(policy.name_lower == after_name, policy.arn > after_arn),
                )
            )
        stmt = stmt.order_by(policy.name_lower, policy.arn).limit(max_items + 1)
        with self._read() as s:
            rows = s.execute(stmt).all()
            page, more = rows[:max_items], len(rows) > max_items
            tags = self._tags_of(s, POLICY_TAG, [r[0].arn for r in page])
        return Page(
            items=tuple(counted(r, tags.get(r[0].arn, ())) for r in page),
            marker=encode_marker(page[-1][0].name_lower, page[-1][0].arn) if more else None,
        )

    def delete_policy(self, account_id: str, arn: str) -> None:
        """Delete a customer managed policy that is attached nowhere, bounds no one, and has no
        version left but its default (DeletePolicy)."""
        with self._write() as s:
            row = self._own_policy_row(s, account_id, arn)
            counts = s.execute(
                with_counts(select(ManagedPolicyRow.arn), account_id).where(
                    ManagedPolicyRow.arn == arn
                )
            ).one()
            if counts[1] or counts[2]:
                raise DeleteConflict("policy", arn, "Cannot delete a policy attached to entities.")
            versions = s.execute(
                select(func.count())
                .select_from(PolicyVersionRow)
                .where(PolicyVersionRow.policy_arn == arn)
            ).scalar_one()
            if versions > 1:
                raise DeleteConflict(
                    "policy",
                    arn,
                    "This policy has more than one version. Before you delete a policy, you must "
                    "delete the policy's versions. The default version is deleted with the policy.",
                )
            s.execute(delete(PolicyVersionRow).where(PolicyVersionRow.policy_arn == arn))
            tagging.drop_tags(s, tagging.POLICY, arn)
            s.execute(delete(MetaRow).where(MetaRow.key == _version_counter_key(row.policy_id)))
            s.delete(row)

    def create_policy_version(
        self, account_id: str, arn: str, document: str, set_as_default: bool = False
    ) -> PolicyVersion:
        """Add version v(N+1) of a customer managed policy, N the highest number it has ever had
        (ids are never reused); at most five versions exist."""
        now = utcnow()
        with self._write() as s:
            row = self._own_policy_row(s, account_id, arn)
            existing = list(
                s.execute(
                    select(PolicyVersionRow.version_id).where(PolicyVersionRow.policy_arn == arn)
                ).scalars()
            )
            if len(existing) >= MAX_POLICY_VERSIONS:
                raise LimitExceeded(
                    "PolicyVersionsPerPolicy",
                    MAX_POLICY_VERSIONS,
                    "A managed policy can have up to 5 versions. Before you create a new "
                    "version, you must delete an existing version.",
                )
            version_id = f"v{_next_version_number(s, row, existing)}"
            s.add(
                PolicyVersionRow(
                    policy_arn=arn, version_id=version_id, document=document, created_at=now
                )
            )
            if set_as_default:
                row.default_version_id = version_id
            row.updated_at = now
            s.flush()
            return PolicyVersion(
                policy_arn=arn,
                version_id=version_id,
                document=document,
                is_default=set_as_default,
                created_at=now,
            )

    def list_policy_versions(
        self, account_id: str, arn: str, marker: str | None = None, max_items: int = 100
    ) -> Page[PolicyVersion]:
        """The versions of a managed policy, newest first."""
        check_max_items(max_items)
        with self._read() as s:
            policy = self._policy_row(s, account_id, arn)
            rows = list(
                s.execute(
                    select(PolicyVersionRow).where(PolicyVersionRow.policy_arn == arn)
                ).scalars()
            )
        rows.sort(key=lambda r: _version_number(r.version_id), reverse=True)
        start = 0
        if marker is not None:
            (after,) = decode_marker(marker, 1)
            start = (
                next(
                    (i for i, r in enumerate(rows) if _version_number(r.version_id) < int(after)),
                    len(rows),
                )
                if after.isdigit()
                else len(rows)
            )
        page = rows[start : start + max_items]
        more = start + max_items < len(rows)
        return Page(
            items=tuple(
                PolicyVersion(
                    policy_arn=arn,
                    version_id=r.version_id,
                    document=r.document,
                    is_default=r.version_id == policy.default_version_id,
                    created_at=r.created_at,
                )
                for r in page
            ),
            marker=encode_marker(str(_version_number(page[-1].version_id))) if more else None,
        )

    def delete_policy_version(self, account_id: str, arn: str, version_id: str) -> None:
        with self._write() as s:
            row = self._own_policy_row(s, account_id, arn)
            version = s.get(PolicyVersionRow, (arn, version_id))
            if version is None:
                raise _no_version(arn, version_id)
            if version_id == row.default_version_id:
                raise DeleteConflict(
                    "policy_version", version_id, "Cannot delete the default version of a policy."
                )
            s.delete(version)

    def set_default_policy_version(self, account_id: str, arn: str, version_id: str) -> None:
        with self._write() as s:
            row = self._own_policy_row(s, account_id, arn)
            if s.get(PolicyVersionRow, (arn, version_id)) is None:
                raise _no_version(arn, version_id)
            row.default_version_id = version_id
            row.updated_at = utcnow()

    def list_entities_for_policy(
        self,
        account_id: str,
        arn: str,
        entity_filter: str | None = None,
        path_prefix: str = "/",
        usage_filter: str | None = None,
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[PolicyEntity]:
        """The account's groups, users and roles that use a managed policy (ListEntitiesForPolicy):
        attached as a permissions policy, or set as permissions boundary (users and roles), as
        `usage_filter` says (None: both). `entity_filter`: "User" | "Group" | "Role" or None."""
        check_max_items(max_items)
        wanted = {entity_filter} if entity_filter in ("User", "Group", "Role") else None
        policies = usage_filter in (None, "PermissionsPolicy")
        boundaries = usage_filter in (None, "PermissionsBoundary")
        found: set[tuple[int, str, str, str]] = set()  # (rank, name_lower, name, id)
        with self._read() as s:
            self._policy_row(s, account_id, arn)

            def add(rank: int, stmt: Select[Any], path: Any) -> None:
                if path_prefix != "/":
                    stmt = stmt.where(func.substr(path, 1, len(path_prefix)) == path_prefix)
                for name, ident in s.execute(stmt).all():
                    found.add((rank, name.lower(), name, ident))

            if (wanted is None or "Group" in wanted) and policies:
                add(
                    0,
                    select(GroupRow.name, GroupRow.group_id)
                    .join(GroupPolicyAttachmentRow)
                    .where(
                        GroupPolicyAttachmentRow.policy_arn == arn,
                        GroupRow.account_id == account_id,
                    ),
                    GroupRow.path,
                )
            if wanted is None or "User" in wanted:
                if policies:
                    add(
                        1,
                        select(UserRow.name, UserRow.user_id)
                        .join(UserPolicyAttachmentRow)
                        .where(
                            UserPolicyAttachmentRow.policy_arn == arn,
                            UserRow.account_id == account_id,
                        ),
                        UserRow.path,
                    )
                if boundaries:
                    add(
                        1,
                        select(UserRow.name, UserRow.user_id).where(
                            UserRow.permissions_boundary_arn == arn,
                            UserRow.account_id == account_id,
                        ),
                        UserRow.path,
                    )
            if wanted is None or "Role" in wanted:
                if policies:
                    add(
                        2,
                        select(RoleRow.name, RoleRow.role_id)
                        .join(RolePolicyAttachmentRow)
                        .where(
                            RolePolicyAttachmentRow.policy_arn == arn,
                            RoleRow.account_id == account_id,
                        ),
                        RoleRow.path,
                    )
                if boundaries:
                    add(
                        2,
                        select(RoleRow.name, RoleRow.role_id).where(
                            RoleRow.permissions_boundary_arn == arn,
                            RoleRow.account_id == account_id,
                        ),
                        RoleRow.path,
                    )
        ordered = sorted(found)
        if marker is not None:
            rank, after = decode_marker(marker, 2)
            key = (int(rank) if rank.isdigit() else 3, after)
            ordered = [e for e in ordered if (e[0], e[1]) > key]
        page, more = ordered[:max_items], len(ordered) > max_items
        kinds: tuple[Literal["Group", "User", "Role"], ...] = ("Group", "User", "Role")
        return Page(
            items=tuple(PolicyEntity(kinds[r], name, ident) for r, _, name, ident in page),
            marker=encode_marker(str(page[-1][0]), page[-1][1]) if more else None,
        )

    def tag_policy(self, account_id: str, arn: str, tags: Sequence[tuple[str, str]]) -> None:
        with self._write() as s:
            self._own_policy_row(s, account_id, arn)
            tagging.add_tags(s, tagging.POLICY, arn, tuple(tags))

    def untag_policy(self, account_id: str, arn: str, keys: Sequence[str]) -> None:
        with self._write() as s:
            self._own_policy_row(s, account_id, arn)
            tagging.remove_tags(s, tagging.POLICY, arn, keys)

    def list_policy_tags(
        self, account_id: str, arn: str, marker: str | None = None, max_items: int = 100
    ) -> Page[tuple[str, str]]:
        with self._read() as s:
            self._policy_row(s, account_id, arn)
            tags = self._tags_of(s, POLICY_TAG, [arn]).get(arn, ())
        return tagging.tag_page(tags, marker, max_items)


def _no_version(arn: str, version_id: str) -> NotFound:
    return NotFound(
        "policy_version",
        f"{arn} {version_id}",
        f"Policy {arn} version {version_id} does not exist or is not attachable.",
    )
