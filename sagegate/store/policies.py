"""Inline user policies, managed policies (customer and AWS), attachments, and the query
`sagegate.authz` uses to collect a user's identity policies.

Managed policy ARNs follow AWS: ``arn:aws:iam::{account}:policy{path}{name}``, with the account
``aws`` for AWS managed policies, which every account can attach. Names are unique per account
case-insensitively, whatever the path.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import (
    String,
    and_,
    bindparam,
    cast,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError

from sagegate.store import attachments, ids, inline_policies
from sagegate.store.base import (
    utcnow,
)
from sagegate.store.driver import Prepared
from sagegate.store.errors import AlreadyExists, NotFound
from sagegate.store.managed_policies import (
    AWS,
    POLICY_TAG,
    ManagedPoliciesMixin,
    add_tags,
    counted,
    policy_arn,
    to_policy,
    with_counts,
)
from sagegate.store.read_cache import cached_read
from sagegate.store.records import (
    ManagedPolicy,
    Page,
    PolicyVersion,
    PrincipalPolicies,
)
from sagegate.store.schema import (
    GroupInlinePolicyRow,
    GroupMembershipRow,
    GroupPolicyAttachmentRow,
    GroupRow,
    ManagedPolicyRow,
    PolicyVersionRow,
    UserInlinePolicyRow,
    UserPolicyAttachmentRow,
    UserRow,
)
from sagegate.store.users import user_scope

SERVICE_ROLE_PATH = "/aws-service-role/"


_UIP = UserInlinePolicyRow.__table__
_USER_POLICY_DOCUMENT = Prepared(
    select(_UIP.c.document).where(
        _UIP.c.user_id == bindparam("u"), _UIP.c.name_lower == bindparam("n")
    )
)


@functools.cache
def _principal_statements() -> tuple[Prepared, tuple[Prepared, Prepared]]:
    """The two queries of `principal_policies_for_user`, built once (bind parameters `u`, the
    user id, and `b`, the boundary's ARN): its own and its groups' inline policies with the
    boundary ARN; the default versions of the attached managed policies (and of the boundary)."""
    user_id = bindparam("u")
    group_ids = select(GroupMembershipRow.group_id).where(GroupMembershipRow.user_id == user_id)
    own = (
        select(
            UserRow.permissions_boundary_arn.label("boundary"),
            literal(0).label("rank"),
            UserRow.name.label("owner"),
            UserRow.name_lower.label("owner_sort"),
            UserInlinePolicyRow.name.label("name"),
            UserInlinePolicyRow.document.label("doc"),
            UserInlinePolicyRow.name_lower.label("sort"),
        )
        .outerjoin(UserInlinePolicyRow, UserInlinePolicyRow.user_id == UserRow.user_id)
        .where(UserRow.user_id == user_id)
    )
    of_groups = (
        select(
            cast(null(), String).label("boundary"),
            literal(1).label("rank"),
            GroupRow.name.label("owner"),
            GroupRow.name_lower.label("owner_sort"),
            GroupInlinePolicyRow.name.label("name"),
            GroupInlinePolicyRow.document.label("doc"),
            GroupInlinePolicyRow.name_lower.label("sort"),
        )
        .join(GroupInlinePolicyRow, GroupInlinePolicyRow.group_id == GroupRow.group_id)
        .where(GroupRow.group_id.in_(group_ids))
    )
    both = union_all(own, of_groups).subquery()
    inline = select(both).order_by(both.c.rank, both.c.owner_sort, both.c.sort)
    attached = ManagedPolicyRow.arn.in_(
        select(UserPolicyAttachmentRow.policy_arn).where(UserPolicyAttachmentRow.user_id == user_id)
    ) | ManagedPolicyRow.arn.in_(
        select(GroupPolicyAttachmentRow.policy_arn).where(
            GroupPolicyAttachmentRow.group_id.in_(group_ids)
        )
    )
    return Prepared(inline), attachments.default_versions(attached)


class PoliciesMixin(ManagedPoliciesMixin):
    #: AWS quota "Managed policies per user" (default 10).
    managed_policies_per_user: int = 10

    # -- inline user policies -----------------------------------------------------------------

    def put_user_policy(
        self, account_id: str, user_name: str, policy_name: str, document: str
    ) -> None:
        """Add or replace (matched case-insensitively) an inline policy of a user."""
        with self._write() as s:
            user = self._user_row(s, account_id, user_name, lock=True)
            inline_policies.put(s, UserInlinePolicyRow.user_id, user.user_id, policy_name, document)

    @cached_read(
        scope=lambda self, account_id, user_name, *a, **k: user_scope(account_id, user_name)
    )
    def get_user_policy(self, account_id: str, user_name: str, policy_name: str) -> str:
        """The document of a user's inline policy (name matched case-insensitively)."""
        with self._read_core() as db:
            user = self._user_core(db, account_id, user_name)
            found = db.execute(
                _USER_POLICY_DOCUMENT, {"u": user.user_id, "n": policy_name.lower()}
            ).first()
        if found is None:
            raise NotFound("user_policy", policy_name)
        return str(found[0])

    def user_inline_policies(self, account_id: str, user_name: str) -> list[tuple[str, str]]:
        """Every inline policy of a user as (name, document), ordered by name."""
        with self._read() as s:
            user = self._user_row(s, account_id, user_name)
            return inline_policies.all_of(s, UserInlinePolicyRow.user_id, user.user_id)

    def list_user_policies(
        self,
        account_id: str,
        user_name: str,
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[str]:
        with self._read() as s:
            user = self._user_row(s, account_id, user_name)
            return inline_policies.names_page(
                s, UserInlinePolicyRow.user_id, user.user_id, marker, max_items
            )

    def delete_user_policy(self, account_id: str, user_name: str, policy_name: str) -> None:
        with self._write() as s:
            user = self._user_row(s, account_id, user_name, lock=True)
            inline_policies.delete(
                s, UserInlinePolicyRow.user_id, user.user_id, policy_name, "user_policy"
            )

    # -- managed policies ---------------------------------------------------------------------

    def ensure_aws_managed_policy(
        self,
        name: str,
        path: str,
        document: str,
        version_id: str,
        description: str | None,
        created_at: datetime,
        updated_at: datetime,
    ) -> ManagedPolicy:
        """Seed `arn:aws:iam::aws:policy{path}{name}` at `version_id` (idempotent).

        A policy already at that default version with that document is left alone (no write,
        no epoch bump), so every replica can seed on start. A new version or document is added
        and made the default.
        """
        arn = policy_arn(AWS, path, name)
        # Service-linked role policies are attached by AWS to its service-linked roles only;
        # an account cannot attach them to its users, groups or roles.
        attachable = not path.startswith(SERVICE_ROLE_PATH)
        with self._read() as s:
            current = s.execute(
                select(ManagedPolicyRow, PolicyVersionRow.document)
                .join(
                    PolicyVersionRow,
                    and_(
                        PolicyVersionRow.policy_arn == ManagedPolicyRow.arn,
                        PolicyVersionRow.version_id == ManagedPolicyRow.default_version_id,
                    ),
                )
                .where(ManagedPolicyRow.arn == arn)
            ).first()
            if (
                current is not None
                and current[0].default_version_id == version_id
                and current[1] == document
                and current[0].is_attachable == attachable
            ):
                return to_policy(current[0])
        with self._write() as s:
            row = s.get(ManagedPolicyRow, arn)
            if row is None:
                row = ManagedPolicyRow(
                    arn=arn,
                    account_id=AWS,
                    policy_id=ids.new_policy_id(),
                    name=name,
                    name_lower=name.lower(),
                    path=path,
                    description=description,
                    default_version_id=version_id,
                    attachment_count=0,
                    is_attachable=attachable,
                    created_at=created_at,
                    updated_at=updated_at,
                )
                s.add(row)
                s.flush()
            else:
                row.default_version_id = version_id
                row.description = description
                row.updated_at = updated_at
                row.is_attachable = attachable
            version = s.get(PolicyVersionRow, (arn, version_id))
            if version is None:
                s.add(
                    PolicyVersionRow(
                        policy_arn=arn,
                        version_id=version_id,
                        document=document,
                        created_at=updated_at,
                    )
                )
            else:
                version.document = document
            s.flush()
            return to_policy(row)

    def create_policy(
        self,
        account_id: str,
        name: str,
        path: str,
        document: str,
        description: str | None = None,
        tags: Sequence[tuple[str, str]] = (),
    ) -> ManagedPolicy:
        """A customer managed policy with version v1 as its default."""
        now = utcnow()
        arn = policy_arn(account_id, path, name)
        with self._write() as s:
            self._account_row(s, account_id)
            if s.execute(
                select(ManagedPolicyRow.arn).where(
                    ManagedPolicyRow.account_id == account_id,
                    ManagedPolicyRow.name_lower == name.lower(),
                )
            ).first():
                raise AlreadyExists("policy", name)
            row = ManagedPolicyRow(
                arn=arn,
                account_id=account_id,
                policy_id=ids.new_policy_id(),
                name=name,
                name_lower=name.lower(),
                path=path,
                description=description,
                default_version_id="v1",
                attachment_count=0,
                is_attachable=True,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise AlreadyExists("policy", name) from None
            s.add(
                PolicyVersionRow(policy_arn=arn, version_id="v1", document=document, created_at=now)
            )
            s.flush()
            if tags:
                add_tags(s, POLICY_TAG, arn, tuple(tags), "TagsPerPolicy")
            return replace(to_policy(row), tags=tuple(tags))

    def get_policy(self, arn: str, account_id: str | None = None) -> ManagedPolicy:
        """A managed policy; with `account_id`, only one visible to that account (its own or
        AWS's), with that account's attachment and permissions-boundary counts and its tags."""
        with self._read() as s:
            if account_id is None:
                row = s.get(ManagedPolicyRow, arn)
                if row is None:
                    raise NotFound("policy", arn)
                return to_policy(row)
            self._policy_row(s, account_id, arn)
            found = s.execute(
                with_counts(select(ManagedPolicyRow), account_id).where(ManagedPolicyRow.arn == arn)
            ).one()
            tags = self._tags_of(s, POLICY_TAG, [arn]).get(arn, ())
            return counted(found, tags)

    def get_policy_version(self, arn: str, version_id: str) -> PolicyVersion:
        with self._read() as s:
            row = s.execute(
                select(PolicyVersionRow, ManagedPolicyRow.default_version_id)
                .join(ManagedPolicyRow, ManagedPolicyRow.arn == PolicyVersionRow.policy_arn)
                .where(
                    PolicyVersionRow.policy_arn == arn, PolicyVersionRow.version_id == version_id
                )
            ).first()
        if row is None:
            raise NotFound(
                "policy_version",
                f"{arn} {version_id}",
                f"Policy {arn} version {version_id} does not exist or is not attachable.",
            )
        version, default = row
        return PolicyVersion(
            policy_arn=arn,
            version_id=version.version_id,
            document=version.document,
            is_default=version.version_id == default,
            created_at=version.created_at,
        )

    def get_default_policy_document(self, arn: str) -> tuple[str, str]:
        """(default version id, document) of a managed policy."""
        with self._read() as s:
            row = s.execute(
                select(PolicyVersionRow.version_id, PolicyVersionRow.document)
                .join(
                    ManagedPolicyRow,
                    and_(
                        ManagedPolicyRow.arn == PolicyVersionRow.policy_arn,
                        ManagedPolicyRow.default_version_id == PolicyVersionRow.version_id,
                    ),
                )
                .where(ManagedPolicyRow.arn == arn)
            ).first()
        if row is None:
            raise NotFound("policy", arn)
        return row[0], row[1]

    # -- attachments --------------------------------------------------------------------------

    def attach_user_policy(self, account_id: str, user_name: str, policy_arn: str) -> None:
        """Attach a managed policy (the account's own or AWS's); attaching twice is a no-op."""
        with self._write() as s:
            user = self._user_row(s, account_id, user_name, lock=True)
            self._policy_row(s, account_id, policy_arn, attachable=True)
            attachments.attach(
                s,
                UserPolicyAttachmentRow.user_id,
                user.user_id,
                policy_arn,
                self.managed_policies_per_user,
                "PoliciesPerUser",
            )

    def detach_user_policy(self, account_id: str, user_name: str, policy_arn: str) -> None:
        with self._write() as s:
            user = self._user_row(s, account_id, user_name, lock=True)
            attachments.detach(s, UserPolicyAttachmentRow.user_id, user.user_id, policy_arn)

    def list_attached_user_policies(
        self,
        account_id: str,
        user_name: str,
        path_prefix: str = "/",
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[tuple[str, str]]:
        """(policy name, policy ARN) pairs attached to a user, ordered by name."""
        with self._read() as s:
            user = self._user_row(s, account_id, user_name)
            return attachments.attached_page(
                s, UserPolicyAttachmentRow.user_id, user.user_id, path_prefix, marker, max_items
            )

    # -- for authorization --------------------------------------------------------------------

    def principal_policies_for_user(self, user_id: str) -> PrincipalPolicies:
        """The user's inline policies and its groups', the managed policies attached to the user
        or its groups (default versions, each once) and the permissions boundary, in two
        queries. Group inline policies are labelled "group/NAME" in `inline_owners`."""
        inline_stmt, managed_stmts = _principal_statements()
        with self._read_core() as db:
            rows = db.execute(inline_stmt, {"u": user_id})
            if not rows or rows[0].rank != 0:
                raise NotFound("user", user_id, f"The user with id {user_id} cannot be found.")
            boundary_arn, user_name = rows[0].boundary, rows[0].owner
            inline = [(r.name, r.doc) for r in rows if r.name is not None]
            owners = [
                f"user/{user_name}" if r.rank == 0 else f"group/{r.owner}"
                for r in rows
                if r.name is not None
            ]
            managed, boundary = attachments.effective(
                db, managed_stmts, {"u": user_id}, boundary_arn
            )
        return PrincipalPolicies(
            inline=tuple(inline),
            managed=managed,
            boundary=boundary,
            boundary_arn=boundary_arn,
            inline_owners=tuple(owners),
        )
