"""IAM roles: trust policies, inline and attached role policies, boundaries, tags, last use and
service-linked roles.

Follows the IAM API Reference (CreateRole, UpdateRole, DeleteRole, PutRolePolicy,
AttachRolePolicy, PutRolePermissionsBoundary, TagRole, CreateServiceLinkedRole) and the quotas of
*IAM and AWS STS quotas*: 10 managed policies and 50 tags per role. Role names are unique per
account case-insensitively, whatever the path. `role_usage` holds RoleLastUsed and marks a
service-linked role; every role has one such row.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sagegate.store import attachments, ids, inline_policies, tagging
from sagegate.store.base import StoreBase, check_max_items, decode_marker, encode_marker, utcnow
from sagegate.store.driver import Prepared
from sagegate.store.errors import AlreadyExists, DeleteConflict, NotFound
from sagegate.store.read_cache import cached_read
from sagegate.store.records import Page, PrincipalPolicies, Role, Tags
from sagegate.store.schema import (
    InstanceProfileRoleRow,
    ManagedPolicyRow,
    RoleInlinePolicyRow,
    RolePolicyAttachmentRow,
    RoleRow,
    RoleUsageRow,
)

log = logging.getLogger("sagegate.store")

ROLE_TAG = tagging.ROLE.entity_type


def role_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


_R = RoleRow.__table__
_RU = RoleUsageRow.__table__
_ROLE_BY_NAME = Prepared(
    select(_R, _RU.c.service_linked_to, _RU.c.last_used_at, _RU.c.last_used_region)
    .outerjoin(_RU, _RU.c.role_id == _R.c.role_id)
    .where(_R.c.account_id == bindparam("a"), _R.c.name_lower == bindparam("n"))
)


def _role(r: Any, tags: Tags, usage: Any) -> Role:
    """The record of a role row (ORM or Core) with its tags and its usage row (or any object
    with the usage columns, or None)."""
    return Role(
        account_id=r.account_id,
        role_id=r.role_id,
        name=r.name,
        path=r.path,
        arn=role_arn(r.account_id, r.path, r.name),
        assume_role_policy_document=r.assume_role_policy_document,
        max_session_duration=r.max_session_duration,
        description=r.description,
        permissions_boundary_arn=r.permissions_boundary_arn,
        created_at=r.created_at,
        tags=tags,
        service_linked_to=usage.service_linked_to if usage else None,
        last_used_at=usage.last_used_at if usage else None,
        last_used_region=usage.last_used_region if usage else None,
    )


@functools.cache
def _role_policy_statements() -> tuple[Prepared, tuple[Prepared, Prepared]]:
    """The two queries of `principal_policies_for_role` (bind parameter `r`, the role id)."""
    role_id = bindparam("r")
    inline = (
        select(
            RoleRow.permissions_boundary_arn, RoleInlinePolicyRow.name, RoleInlinePolicyRow.document
        )
        .outerjoin(RoleInlinePolicyRow, RoleInlinePolicyRow.role_id == RoleRow.role_id)
        .where(RoleRow.role_id == role_id)
        .order_by(RoleInlinePolicyRow.name_lower)
    )
    attached = ManagedPolicyRow.arn.in_(
        select(RolePolicyAttachmentRow.policy_arn).where(RolePolicyAttachmentRow.role_id == role_id)
    )
    return Prepared(inline), attachments.default_versions(attached)


class RolesMixin(StoreBase):
    #: AWS quota "Managed policies per role" (default 10).
    managed_policies_per_role: int = 10
    role_use_interval_seconds: float = 60.0

    def _init_role_use(self) -> None:
        self._role_use_lock = threading.Lock()
        self._role_use_seen: dict[tuple[str, str], datetime] = {}

    # -- rows and records ---------------------------------------------------------------------

    @staticmethod
    def _role_row(s: Session, account_id: str, name: str, *, lock: bool = False) -> RoleRow:
        stmt = select(RoleRow).where(
            RoleRow.account_id == account_id, RoleRow.name_lower == name.lower()
        )
        if lock:
            stmt = stmt.with_for_update()
        row = s.execute(stmt).scalar_one_or_none()
        if row is None:
            raise NotFound("role", name)
        return row

    @staticmethod
    def _roles_out(s: Session, rows: Sequence[RoleRow]) -> list[Role]:
        role_ids = [r.role_id for r in rows]
        if not role_ids:
            return []
        tags = StoreBase._tags_of(s, ROLE_TAG, role_ids)
        usage = {
            u.role_id: u
            for u in s.execute(select(RoleUsageRow).where(RoleUsageRow.role_id.in_(role_ids)))
            .scalars()
            .all()
        }
        return [_role(r, tags.get(r.role_id, ()), usage.get(r.role_id)) for r in rows]

    def _role_out(self, s: Session, row: RoleRow) -> Role:
        return self._roles_out(s, [row])[0]

    # -- roles --------------------------------------------------------------------------------

    def create_role(
        self,
        account_id: str,
        name: str,
        assume_role_policy_document: str,
        path: str = "/",
        max_session_duration: int = 3600,
        description: str | None = None,
        permissions_boundary_arn: str | None = None,
        tags: Sequence[tuple[str, str]] = (),
        service_linked_to: str | None = None,
        attach_policy_arns: Sequence[str] = (),
    ) -> Role:
        """Create a role. The IAM layer validates name, path, trust policy and tags.

        `service_linked_to` marks a service-linked role; `attach_policy_arns` are managed
        policies attached in the same transaction (a service-linked role's policy)."""
        now = utcnow()
        with self._write(authz=False) as s:
            self._account_row(s, account_id)
            if permissions_boundary_arn is not None:
                self._policy_row(s, account_id, permissions_boundary_arn)
            if s.execute(
                select(RoleRow.role_id).where(
                    RoleRow.account_id == account_id, RoleRow.name_lower == name.lower()
                )
            ).first():
                raise AlreadyExists("role", name)
            row = RoleRow(
                role_id=ids.new_role_id(),
                account_id=account_id,
                name=name,
                name_lower=name.lower(),
                path=path,
                assume_role_policy_document=assume_role_policy_document,
                max_session_duration=max_session_duration,
                description=description,
                permissions_boundary_arn=permissions_boundary_arn,
                created_at=now,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise AlreadyExists("role", name) from None
            s.add(RoleUsageRow(role_id=row.role_id, service_linked_to=service_linked_to))
            tagging.add_tags(s, tagging.ROLE, row.role_id, tuple(tags))
            for arn in attach_policy_arns:  # a service-linked role's own policy
                self._attach(s, row, account_id, arn, any_policy=True)
            return self._role_out(s, row)

    # Every write to a role names no read-cache scope (or moves the authorization epoch), so
    # it drops this cache whole; RoleLastUsed (written without moving an epoch, see
    # `record_role_use`) may show another replica's use up to a data write late on PostgreSQL
    # (on SQLite every commit of another process drops this one's read cache).
    @cached_read(scope=lambda self, account_id, name: ("role", account_id, name.lower()))
    def get_role(self, account_id: str, name: str) -> Role:
        """The role with its tags and last use: two prepared Core statements (the hot path of
        AssumeRole and of SageMaker taking on an execution role)."""
        with self._read_core() as db:
            r = db.execute(_ROLE_BY_NAME, {"a": account_id, "n": name.lower()}).first()
            if r is None:
                raise NotFound("role", name)
            tags = self._tags_core(db, ROLE_TAG, r.role_id)
        return _role(r, tags, r)

    def get_role_by_id(self, role_id: str) -> Role:
        with self._read() as s:
            row = s.get(RoleRow, role_id)
            if row is None:
                raise NotFound("role", role_id, f"The role with id {role_id} cannot be found.")
            return self._role_out(s, row)

    def list_roles(
        self,
        account_id: str,
        path_prefix: str = "/",
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[Role]:
        """Roles whose path starts with `path_prefix` (case-sensitive), ordered by name."""
        check_max_items(max_items)
        stmt = select(RoleRow).where(RoleRow.account_id == account_id)
        if path_prefix != "/":
            stmt = stmt.where(func.substr(RoleRow.path, 1, len(path_prefix)) == path_prefix)
        if marker is not None:
            (after,) = decode_marker(marker, 1)
            stmt = stmt.where(RoleRow.name_lower > after)
        stmt = stmt.order_by(RoleRow.name_lower).limit(max_items + 1)
        with self._read() as s:
            rows = list(s.execute(stmt).scalars())
            page, more = rows[:max_items], len(rows) > max_items
            items = self._roles_out(s, page)
        return Page(
            items=tuple(items),
            marker=encode_marker(page[-1].name_lower) if more else None,
        )

    def update_role(
        self,
        account_id: str,
        name: str,
        *,
        description: str | None = None,
        max_session_duration: int | None = None,
    ) -> Role:
        """Change the description and/or the maximum session duration (None: leave as is)."""
        with self._write() as s:
            row = self._role_row(s, account_id, name, lock=True)
            if description is not None:
                row.description = description
            if max_session_duration is not None:
                row.max_session_duration = max_session_duration
            s.flush()
            return self._role_out(s, row)

    def update_assume_role_policy(self, account_id: str, name: str, document: str) -> None:
        with self._write() as s:
            row = self._role_row(s, account_id, name, lock=True)
            row.assume_role_policy_document = document

    def delete_role(self, account_id: str, name: str) -> None:
        """Delete a role that is in no instance profile and has no policies left (AWS's order of
        checks: instance profiles, inline policies, attached policies)."""
        with self._write(authz=False) as s:
            row = self._role_row(s, account_id, name, lock=True)
            rid = row.role_id
            if s.execute(select(exists().where(InstanceProfileRoleRow.role_id == rid))).scalar():
                raise DeleteConflict(
                    "role",
                    name,
                    "Cannot delete entity, must remove roles from instance profile first.",
                )
            if s.execute(select(exists().where(RoleInlinePolicyRow.role_id == rid))).scalar():
                raise DeleteConflict(
                    "role", name, "Cannot delete entity, must delete policies first."
                )
            if s.execute(select(exists().where(RolePolicyAttachmentRow.role_id == rid))).scalar():
                raise DeleteConflict(
                    "role", name, "Cannot delete entity, must detach all policies first."
                )
            self._drop_role(s, row)

    def delete_service_linked_role(self, account_id: str, name: str) -> Role:
        """Delete a service-linked role together with its policies (the service's cleanup)."""
        with self._write() as s:
            row = self._role_row(s, account_id, name, lock=True)
            role = self._role_out(s, row)
            rid = row.role_id
            if s.execute(select(exists().where(InstanceProfileRoleRow.role_id == rid))).scalar():
                raise DeleteConflict(
                    "role",
                    name,
                    "Cannot delete entity, must remove roles from instance profile first.",
                )
            s.execute(delete(RoleInlinePolicyRow).where(RoleInlinePolicyRow.role_id == rid))
            for arn in s.execute(
                select(RolePolicyAttachmentRow.policy_arn).where(
                    RolePolicyAttachmentRow.role_id == rid
                )
            ).scalars():
                attachments.count(s, arn, -1)
            s.execute(delete(RolePolicyAttachmentRow).where(RolePolicyAttachmentRow.role_id == rid))
            self._drop_role(s, row)
            return role

    @staticmethod
    def _drop_role(s: Session, row: RoleRow) -> None:
        rid = row.role_id
        tagging.drop_tags(s, tagging.ROLE, rid)
        s.execute(delete(RoleUsageRow).where(RoleUsageRow.role_id == rid))
        s.flush()
        s.delete(row)

    # -- tags ---------------------------------------------------------------------------------

    def tag_role(self, account_id: str, name: str, tags: Sequence[tuple[str, str]]) -> None:
        """Add or replace tags; keys are compared case-insensitively, as IAM does for roles."""
        with self._write() as s:
            row = self._role_row(s, account_id, name, lock=True)
            tagging.add_tags(s, tagging.ROLE, row.role_id, tuple(tags))

    def untag_role(self, account_id: str, name: str, keys: Sequence[str]) -> None:
        with self._write() as s:
            row = self._role_row(s, account_id, name, lock=True)
            tagging.remove_tags(s, tagging.ROLE, row.role_id, keys)

    def list_role_tags(
        self, account_id: str, name: str, marker: str | None = None, max_items: int = 100
    ) -> Page[tuple[str, str]]:
        return tagging.tag_page(self.get_role(account_id, name).tags, marker, max_items)

    # -- permissions boundary -----------------------------------------------------------------

    def put_role_permissions_boundary(self, account_id: str, name: str, policy_arn: str) -> None:
        with self._write() as s:
            row = self._role_row(s, account_id, name, lock=True)
            self._policy_row(s, account_id, policy_arn)
            row.permissions_boundary_arn = policy_arn

    def delete_role_permissions_boundary(self, account_id: str, name: str) -> None:
        """Remove the boundary (a role without one is left as it is)."""
        with self._write() as s:
            row = self._role_row(s, account_id, name, lock=True)
            row.permissions_boundary_arn = None

    # -- inline role policies -----------------------------------------------------------------

    def put_role_policy(
        self, account_id: str, role_name: str, policy_name: str, document: str
    ) -> None:
        """Add or replace (matched case-insensitively) an inline policy of a role."""
        with self._write() as s:
            role = self._role_row(s, account_id, role_name, lock=True)
            inline_policies.put(s, RoleInlinePolicyRow.role_id, role.role_id, policy_name, document)

    def get_role_policy(self, account_id: str, role_name: str, policy_name: str) -> tuple[str, str]:
        """(stored policy name, document) of a role's inline policy (name matched
        case-insensitively)."""
        with self._read() as s:
            role = self._role_row(s, account_id, role_name)
            row = inline_policies.get(
                s, RoleInlinePolicyRow.role_id, role.role_id, policy_name, "role_policy"
            )
            return row.name, row.document

    def role_inline_policies(self, account_id: str, role_name: str) -> list[tuple[str, str]]:
        """Every inline policy of a role as (name, document), ordered by name."""
        with self._read() as s:
            role = self._role_row(s, account_id, role_name)
            return inline_policies.all_of(s, RoleInlinePolicyRow.role_id, role.role_id)

    def list_role_policies(
        self,
        account_id: str,
        role_name: str,
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[str]:
        with self._read() as s:
            role = self._role_row(s, account_id, role_name)
            return inline_policies.names_page(
                s, RoleInlinePolicyRow.role_id, role.role_id, marker, max_items
            )

    def delete_role_policy(self, account_id: str, role_name: str, policy_name: str) -> None:
        with self._write() as s:
            role = self._role_row(s, account_id, role_name, lock=True)
            inline_policies.delete(
                s, RoleInlinePolicyRow.role_id, role.role_id, policy_name, "role_policy"
            )

    # -- attached managed policies ------------------------------------------------------------

    def _attach(
        self,
        s: Session,
        role: RoleRow,
        account_id: str,
        policy_arn: str,
        *,
        any_policy: bool = False,
    ) -> None:
        self._policy_row(s, account_id, policy_arn, attachable=not any_policy)
        attachments.attach(
            s,
            RolePolicyAttachmentRow.role_id,
            role.role_id,
            policy_arn,
            self.managed_policies_per_role,
            "PoliciesPerRole",
        )

    def attach_role_policy(self, account_id: str, role_name: str, policy_arn: str) -> None:
        """Attach a managed policy (the account's own or AWS's); attaching twice is a no-op."""
        with self._write() as s:
            role = self._role_row(s, account_id, role_name, lock=True)
            self._attach(s, role, account_id, policy_arn)

    def detach_role_policy(self, account_id: str, role_name: str, policy_arn: str) -> None:
        with self._write() as s:
            role = self._role_row(s, account_id, role_name, lock=True)
            attachments.detach(s, RolePolicyAttachmentRow.role_id, role.role_id, policy_arn)

    def list_attached_role_policies(
        self,
        account_id: str,
        role_name: str,
        path_prefix: str = "/",
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[tuple[str, str]]:
        """(policy name, policy ARN) pairs attached to a role, ordered by name."""
        with self._read() as s:
            role = self._role_row(s, account_id, role_name)
            return attachments.attached_page(
                s, RolePolicyAttachmentRow.role_id, role.role_id, path_prefix, marker, max_items
            )

    # -- for authorization and STS ------------------------------------------------------------

    def principal_policies_for_role(self, role_id: str) -> PrincipalPolicies:
        """The role's inline policies, attached managed policies (default versions) and
        permissions boundary, in two queries."""
        inline_stmt, managed_stmts = _role_policy_statements()
        with self._read_core() as db:
            rows = db.execute(inline_stmt, {"r": role_id})
            if not rows:
                raise NotFound("role", role_id, f"The role with id {role_id} cannot be found.")
            boundary_arn = rows[0][0]
            inline = tuple((name, doc) for _, name, doc in rows if name is not None)
            managed, boundary = attachments.effective(
                db, managed_stmts, {"r": role_id}, boundary_arn
            )
        return PrincipalPolicies(
            inline=inline, managed=managed, boundary=boundary, boundary_arn=boundary_arn
        )

    def record_role_use(self, role_id: str, when: datetime, region: str) -> None:
        """Remember when and in which region a role was last used (RoleLastUsed). Best effort:
        never raises, never moves the date backwards, does not bump the epoch. Written at most
        once per (role, region) per `role_use_interval_seconds` in this process: AWS too reports
        RoleLastUsed with a delay."""
        try:
            slot = (role_id, region)
            with self._role_use_lock:
                seen = self._role_use_seen.get(slot)
                if seen is not None and 0 <= (when - seen).total_seconds() < (
                    self.role_use_interval_seconds
                ):
                    return
                self._role_use_seen[slot] = when
                if len(self._role_use_seen) > 100_000:
                    self._role_use_seen.clear()
            with self._write(bump=False) as s:
                s.execute(
                    update(RoleUsageRow)
                    .where(
                        RoleUsageRow.role_id == role_id,
                        or_(RoleUsageRow.last_used_at.is_(None), RoleUsageRow.last_used_at <= when),
                    )
                    .values(last_used_at=when, last_used_region=region)
                )
        except Exception:  # best effort: must never break the request being served
            log.warning("could not record use of role %s", role_id, exc_info=True)
