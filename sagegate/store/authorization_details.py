"""GetAccountAuthorizationDetails: every user, group, role and managed policy of an account with
their policies, memberships, boundaries and tags, in one read transaction (IAM API Reference,
GetAccountAuthorizationDetails). AWS managed policies are listed only when the account uses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select

from sagegate.store.base import StoreBase
from sagegate.store.records import Tags
from sagegate.store.schema import (
    GroupInlinePolicyRow,
    GroupMembershipRow,
    GroupPolicyAttachmentRow,
    GroupRow,
    InstanceProfileRoleRow,
    InstanceProfileRow,
    ManagedPolicyRow,
    PolicyVersionRow,
    RoleInlinePolicyRow,
    RolePolicyAttachmentRow,
    RoleRow,
    RoleUsageRow,
    UserInlinePolicyRow,
    UserPolicyAttachmentRow,
    UserRow,
)


class AuthorizationDetailsMixin(StoreBase):
    def authorization_details(self, account_id: str, kinds: Sequence[str]) -> list[dict[str, Any]]:
        """GetAccountAuthorizationDetails' entries of the given `kinds` (User, Group, Role,
        LocalManagedPolicy, AWSManagedPolicy) in that order, each keyed by the API's member names
        (documents as stored JSON text) plus "_kind"; within a kind ordered by name. AWS managed
        policies are listed only when attached in the account, as AWS does."""
        out: list[dict[str, Any]] = []
        with self._read() as s:
            self._account_row(s, account_id)
            users = list(
                s.execute(
                    select(UserRow)
                    .where(UserRow.account_id == account_id)
                    .order_by(UserRow.name_lower)
                ).scalars()
            )
            groups = list(
                s.execute(
                    select(GroupRow)
                    .where(GroupRow.account_id == account_id)
                    .order_by(GroupRow.name_lower)
                ).scalars()
            )
            roles = list(
                s.execute(
                    select(RoleRow)
                    .where(RoleRow.account_id == account_id)
                    .order_by(RoleRow.name_lower)
                ).scalars()
            )
            uids, gids, rids = (
                [u.user_id for u in users],
                [g.group_id for g in groups],
                [r.role_id for r in roles],
            )
            policy_names = {
                arn: name
                for arn, name in s.execute(
                    select(ManagedPolicyRow.arn, ManagedPolicyRow.name)
                ).all()
            }

            def grouped(stmt: Any) -> dict[str, list[Any]]:
                res: dict[str, list[Any]] = {}
                for key, *rest in s.execute(stmt).all():
                    res.setdefault(key, []).append(rest[0] if len(rest) == 1 else tuple(rest))
                return res

            def inline(rows: list[tuple[str, str]], name_key: str) -> list[dict[str, str]]:
                return [
                    {name_key: n, "PolicyDocument": d}
                    for n, d in sorted(rows, key=lambda r: r[0].lower())
                ]

            def attached(arns: list[str]) -> list[dict[str, str]]:
                return [
                    {"PolicyName": policy_names.get(a, a.rsplit("/", 1)[-1]), "PolicyArn": a}
                    for a in sorted(arns)
                ]

            u_inline = grouped(
                select(
                    UserInlinePolicyRow.user_id,
                    UserInlinePolicyRow.name,
                    UserInlinePolicyRow.document,
                ).where(UserInlinePolicyRow.user_id.in_(uids))
            )
            u_att = grouped(
                select(UserPolicyAttachmentRow.user_id, UserPolicyAttachmentRow.policy_arn).where(
                    UserPolicyAttachmentRow.user_id.in_(uids)
                )
            )
            g_inline = grouped(
                select(
                    GroupInlinePolicyRow.group_id,
                    GroupInlinePolicyRow.name,
                    GroupInlinePolicyRow.document,
                ).where(GroupInlinePolicyRow.group_id.in_(gids))
            )
            g_att = grouped(
                select(
                    GroupPolicyAttachmentRow.group_id, GroupPolicyAttachmentRow.policy_arn
                ).where(GroupPolicyAttachmentRow.group_id.in_(gids))
            )
            r_inline = grouped(
                select(
                    RoleInlinePolicyRow.role_id,
                    RoleInlinePolicyRow.name,
                    RoleInlinePolicyRow.document,
                ).where(RoleInlinePolicyRow.role_id.in_(rids))
            )
            r_att = grouped(
                select(RolePolicyAttachmentRow.role_id, RolePolicyAttachmentRow.policy_arn).where(
                    RolePolicyAttachmentRow.role_id.in_(rids)
                )
            )
            member_of = grouped(
                select(GroupMembershipRow.user_id, GroupMembershipRow.group_id).where(
                    GroupMembershipRow.user_id.in_(uids)
                )
            )
            group_names = {g.group_id: g.name for g in groups}
            user_tags = self._tags_of(s, "user", uids)
            role_tags = self._tags_of(s, "role", rids)
            usage = {
                u.role_id: u
                for u in s.execute(
                    select(RoleUsageRow).where(RoleUsageRow.role_id.in_(rids))
                ).scalars()
            }
            profiles = grouped(
                select(InstanceProfileRoleRow.role_id, InstanceProfileRow)
                .join(
                    InstanceProfileRow,
                    InstanceProfileRow.instance_profile_id
                    == InstanceProfileRoleRow.instance_profile_id,
                )
                .where(InstanceProfileRoleRow.role_id.in_(rids))
            )

            def boundary(arn: str | None) -> dict[str, Any]:
                if arn is None:
                    return {}
                return {
                    "PermissionsBoundary": {
                        "PermissionsBoundaryType": "Policy",
                        "PermissionsBoundaryArn": arn,
                    }
                }

            def tag_list(tags: Tags) -> dict[str, Any]:
                return {"Tags": [{"Key": k, "Value": v} for k, v in tags]} if tags else {}

            def role_shape(r: RoleRow) -> dict[str, Any]:
                return {
                    "Path": r.path,
                    "RoleName": r.name,
                    "RoleId": r.role_id,
                    "Arn": f"arn:aws:iam::{account_id}:role{r.path}{r.name}",
                    "CreateDate": r.created_at,
                    "AssumeRolePolicyDocument": r.assume_role_policy_document,
                }

            if "User" in kinds:
                for u in users:
                    out.append(
                        {
                            "_kind": "User",
                            "Path": u.path,
                            "UserName": u.name,
                            "UserId": u.user_id,
                            "Arn": f"arn:aws:iam::{account_id}:user{u.path}{u.name}",
                            "CreateDate": u.created_at,
                            "UserPolicyList": inline(u_inline.get(u.user_id, []), "PolicyName"),
                            "GroupList": sorted(
                                (
                                    group_names[g]
                                    for g in member_of.get(u.user_id, [])
                                    if g in group_names
                                ),
                                key=str.lower,
                            ),
                            "AttachedManagedPolicies": attached(u_att.get(u.user_id, [])),
                            **boundary(u.permissions_boundary_arn),
                            **tag_list(user_tags.get(u.user_id, ())),
                        }
                    )
            if "Group" in kinds:
                for g in groups:
                    out.append(
                        {
                            "_kind": "Group",
                            "Path": g.path,
                            "GroupName": g.name,
                            "GroupId": g.group_id,
                            "Arn": f"arn:aws:iam::{account_id}:group{g.path}{g.name}",
                            "CreateDate": g.created_at,
                            "GroupPolicyList": inline(g_inline.get(g.group_id, []), "PolicyName"),
                            "AttachedManagedPolicies": attached(g_att.get(g.group_id, [])),
                        }
                    )
            if "Role" in kinds:
                for r in roles:
                    last = usage.get(r.role_id)
                    last_used: dict[str, Any] = {}
                    if last is not None and last.last_used_at is not None:
                        last_used = {
                            "LastUsedDate": last.last_used_at,
                            "Region": last.last_used_region,
                        }
                    out.append(
                        {
                            "_kind": "Role",
                            **role_shape(r),
                            "InstanceProfileList": [
                                {
                                    "Path": p.path,
                                    "InstanceProfileName": p.name,
                                    "InstanceProfileId": p.instance_profile_id,
                                    "Arn": f"arn:aws:iam::{account_id}:instance-profile{p.path}{p.name}",
                                    "CreateDate": p.created_at,
                                    "Roles": [role_shape(r)],
                                }
                                for p in profiles.get(r.role_id, [])
                            ],
                            "RolePolicyList": inline(r_inline.get(r.role_id, []), "PolicyName"),
                            "AttachedManagedPolicies": attached(r_att.get(r.role_id, [])),
                            **boundary(r.permissions_boundary_arn),
                            **tag_list(role_tags.get(r.role_id, ())),
                            "RoleLastUsed": last_used,
                        }
                    )
            wanted_local = "LocalManagedPolicy" in kinds
            wanted_aws = "AWSManagedPolicy" in kinds
            if wanted_local or wanted_aws:
                in_use: dict[str, int] = {}
                for arns in (*u_att.values(), *g_att.values(), *r_att.values()):
                    for a in arns:
                        in_use[a] = in_use.get(a, 0) + 1
                boundaries: dict[str, int] = {}
                for b in [u.permissions_boundary_arn for u in users] + [
                    r.permissions_boundary_arn for r in roles
                ]:
                    if b is not None:
                        boundaries[b] = boundaries.get(b, 0) + 1
                stmt = select(ManagedPolicyRow).order_by(
                    ManagedPolicyRow.name_lower, ManagedPolicyRow.arn
                )
                conds = []
                if wanted_local:
                    conds.append(ManagedPolicyRow.account_id == account_id)
                if wanted_aws:
                    conds.append(
                        (ManagedPolicyRow.account_id == "aws")
                        & ManagedPolicyRow.arn.in_(list(in_use) + list(boundaries))
                    )
                stmt = stmt.where(or_(*conds))
                policies = list(s.execute(stmt).scalars())
                versions = grouped(
                    select(
                        PolicyVersionRow.policy_arn,
                        PolicyVersionRow.version_id,
                        PolicyVersionRow.document,
                        PolicyVersionRow.created_at,
                    ).where(PolicyVersionRow.policy_arn.in_([p.arn for p in policies]))
                )
                for p in policies:
                    out.append(
                        {
                            "_kind": "AWSManagedPolicy"
                            if p.account_id == "aws"
                            else "LocalManagedPolicy",
                            "PolicyName": p.name,
                            "PolicyId": p.policy_id,
                            "Arn": p.arn,
                            "Path": p.path,
                            "DefaultVersionId": p.default_version_id,
                            "AttachmentCount": in_use.get(p.arn, 0),
                            "PermissionsBoundaryUsageCount": boundaries.get(p.arn, 0),
                            "IsAttachable": p.is_attachable,
                            "CreateDate": p.created_at,
                            "UpdateDate": p.updated_at,
                            "PolicyVersionList": [
                                {
                                    "Document": doc,
                                    "VersionId": vid,
                                    "IsDefaultVersion": vid == p.default_version_id,
                                    "CreateDate": created,
                                }
                                for vid, doc, created in sorted(
                                    versions.get(p.arn, []),
                                    key=lambda v: int(v[0].lstrip("v") or 0),
                                    reverse=True,
                                )
                            ],
                        }
                    )
        return out
