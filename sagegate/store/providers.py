"""OpenID Connect and SAML identity providers, account aliases, and the account-wide reads
(GetAccountSummary counts, credential-report facts, GetAccountAuthorizationDetails entries).

IAM User Guide: *Creating OpenID Connect (OIDC) identity providers*, *Creating IAM SAML identity
providers*, *Your AWS account ID and its alias*, *Getting credential reports*. Quotas from
*IAM and AWS STS quotas*: 100 OIDC providers and 100 SAML providers per account, 100 client ids
and 5 thumbprints per OIDC provider; one alias per account, unique across the deployment.

The IAM layer validates URLs, metadata documents and names; the store keeps them. The schema has
no table for credential reports: the generation time is kept in `meta` under
`credential_report/ACCOUNT` (epoch seconds) and the report is computed when it is read, from the
principals that existed at that time (their current credentials: a gap against AWS's snapshot).
The account-wide reads query the tables directly in one read transaction, so they are consistent
and do not depend on the other mixins' methods.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sagegate.store.base import StoreBase, utcnow
from sagegate.store.credentials import merge_tags, remove_tags
from sagegate.store.errors import AlreadyExists, LimitExceeded, NotFound
from sagegate.store.records import CredentialFacts, KeyFacts, OidcProvider, SamlProvider, Tags
from sagegate.store.schema import (
    AccessKeyRow,
    AccountAliasRow,
    GroupInlinePolicyRow,
    GroupMembershipRow,
    GroupPolicyAttachmentRow,
    GroupRow,
    InstanceProfileRoleRow,
    InstanceProfileRow,
    LoginProfileRow,
    ManagedPolicyRow,
    MetaRow,
    MfaDeviceRow,
    OidcProviderRow,
    PolicyVersionRow,
    RoleInlinePolicyRow,
    RolePolicyAttachmentRow,
    RoleRow,
    RoleUsageRow,
    RootUserRow,
    SamlProviderRow,
    TagRow,
    UserInlinePolicyRow,
    UserPolicyAttachmentRow,
    UserRow,
)

OIDC_TAG = "oidc_provider"
SAML_TAG = "saml_provider"
OIDC_PROVIDERS_PER_ACCOUNT = 100
SAML_PROVIDERS_PER_ACCOUNT = 100
CLIENT_IDS_PER_PROVIDER = 100
THUMBPRINTS_PER_PROVIDER = 5


def oidc_arn(account_id: str, url: str) -> str:
    """`url` without its scheme: host[/path]."""
    return f"arn:aws:iam::{account_id}:oidc-provider/{url}"


def saml_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:saml-provider/{name}"


def _report_key(account_id: str) -> str:
    return f"credential_report/{account_id}"


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


class ProvidersMixin(StoreBase):
    # -- OpenID Connect -----------------------------------------------------------------------

    def _to_oidc(self, s: Session, row: OidcProviderRow) -> OidcProvider:
        return OidcProvider(
            arn=row.arn,
            account_id=row.account_id,
            url=row.url,
            client_ids=tuple(json.loads(row.client_ids)),
            thumbprints=tuple(json.loads(row.thumbprints)),
            created_at=row.created_at,
            tags=self._tags_of(s, OIDC_TAG, [row.arn]).get(row.arn, ()),
        )

    def _oidc_row(
        self, s: Session, account_id: str, arn: str, *, lock: bool = False
    ) -> OidcProviderRow:
        row = s.get(OidcProviderRow, arn, with_for_update=lock or None)
        if row is None or row.account_id != account_id:
            raise NotFound("oidc_provider", arn)
        return row

    def create_oidc_provider(
        self,
        account_id: str,
        url: str,
        client_ids: Sequence[str] = (),
        thumbprints: Sequence[str] = (),
        tags: Sequence[tuple[str, str]] = (),
    ) -> OidcProvider:
        """`url` is host[/path] (the IAM layer strips `https://`)."""
        client_ids, thumbprints = _unique(client_ids), _unique(thumbprints)
        if len(client_ids) > CLIENT_IDS_PER_PROVIDER:
            raise LimitExceeded("ClientIdsPerOpenIdConnectProvider", CLIENT_IDS_PER_PROVIDER)
        if len(thumbprints) > THUMBPRINTS_PER_PROVIDER:
            raise LimitExceeded("ThumbprintsPerOpenIdConnectProvider", THUMBPRINTS_PER_PROVIDER)
        arn = oidc_arn(account_id, url)
        with self._write() as s:
            self._account_row(s, account_id, lock=True)
            if s.get(OidcProviderRow, arn) is not None:
                raise AlreadyExists("oidc_provider", "https://" + url)
            count = s.execute(
                select(func.count())
                .select_from(OidcProviderRow)
                .where(OidcProviderRow.account_id == account_id)
            ).scalar_one()
            if count >= OIDC_PROVIDERS_PER_ACCOUNT:
                raise LimitExceeded("OpenIdProviders", OIDC_PROVIDERS_PER_ACCOUNT)
            row = OidcProviderRow(
                arn=arn,
                account_id=account_id,
                url=url,
                client_ids=json.dumps(client_ids),
                thumbprints=json.dumps(thumbprints),
                created_at=utcnow(),
            )
            s.add(row)
            merge_tags(s, OIDC_TAG, arn, tags, 50)
            s.flush()
            return self._to_oidc(s, row)

    def get_oidc_provider(self, account_id: str, arn: str) -> OidcProvider:
        with self._read() as s:
            return self._to_oidc(s, self._oidc_row(s, account_id, arn))

    def list_oidc_providers(self, account_id: str) -> list[OidcProvider]:
        with self._read() as s:
            rows = s.execute(
                select(OidcProviderRow)
                .where(OidcProviderRow.account_id == account_id)
                .order_by(OidcProviderRow.arn)
            ).scalars()
            return [self._to_oidc(s, r) for r in rows]

    def delete_oidc_provider(self, account_id: str, arn: str) -> None:
        with self._write() as s:
            row = self._oidc_row(s, account_id, arn, lock=True)
            s.execute(delete(TagRow).where(TagRow.entity_type == OIDC_TAG, TagRow.entity_id == arn))
            s.delete(row)

    def add_oidc_client_id(self, account_id: str, arn: str, client_id: str) -> None:
        """Adding a client id the provider already has is a no-op, as in AWS."""
        with self._write() as s:
            row = self._oidc_row(s, account_id, arn, lock=True)
            ids = json.loads(row.client_ids)
            if client_id in ids:
                return
            if len(ids) >= CLIENT_IDS_PER_PROVIDER:
                raise LimitExceeded("ClientIdsPerOpenIdConnectProvider", CLIENT_IDS_PER_PROVIDER)
            row.client_ids = json.dumps([*ids, client_id])

    def remove_oidc_client_id(self, account_id: str, arn: str, client_id: str) -> None:
        """Removing a client id the provider does not have is a no-op, as in AWS."""
        with self._write() as s:
            row = self._oidc_row(s, account_id, arn, lock=True)
            row.client_ids = json.dumps([c for c in json.loads(row.client_ids) if c != client_id])

    def update_oidc_thumbprints(
        self, account_id: str, arn: str, thumbprints: Sequence[str]
    ) -> None:
        thumbprints = _unique(thumbprints)
        if len(thumbprints) > THUMBPRINTS_PER_PROVIDER:
            raise LimitExceeded("ThumbprintsPerOpenIdConnectProvider", THUMBPRINTS_PER_PROVIDER)
        with self._write() as s:
            row = self._oidc_row(s, account_id, arn, lock=True)
            row.thumbprints = json.dumps(thumbprints)

    def tag_oidc_provider(self, account_id: str, arn: str, tags: Sequence[tuple[str, str]]) -> None:
        with self._write() as s:
            self._oidc_row(s, account_id, arn, lock=True)
            merge_tags(s, OIDC_TAG, arn, tags, 50)

    def untag_oidc_provider(self, account_id: str, arn: str, keys: Sequence[str]) -> None:
        with self._write() as s:
            self._oidc_row(s, account_id, arn, lock=True)
            remove_tags(s, OIDC_TAG, arn, keys)

    # -- SAML ---------------------------------------------------------------------------------

    def _to_saml(self, s: Session, row: SamlProviderRow) -> SamlProvider:
        return SamlProvider(
            arn=row.arn,
            account_id=row.account_id,
            name=row.name,
            metadata_document=row.metadata_document,
            valid_until=row.valid_until,
            created_at=row.created_at,
            tags=self._tags_of(s, SAML_TAG, [row.arn]).get(row.arn, ()),
        )

    def _saml_row(
        self, s: Session, account_id: str, arn: str, *, lock: bool = False
    ) -> SamlProviderRow:
        row = s.get(SamlProviderRow, arn, with_for_update=lock or None)
        if row is None or row.account_id != account_id:
            raise NotFound("saml_provider", arn)
        return row

    def create_saml_provider(
        self,
        account_id: str,
        name: str,
        metadata_document: str,
        valid_until: datetime | None,
        tags: Sequence[tuple[str, str]] = (),
    ) -> SamlProvider:
        arn = saml_arn(account_id, name)
        with self._write() as s:
            self._account_row(s, account_id, lock=True)
            if s.get(SamlProviderRow, arn) is not None:
                raise AlreadyExists("saml_provider", name)
            count = s.execute(
                select(func.count())
                .select_from(SamlProviderRow)
                .where(SamlProviderRow.account_id == account_id)
            ).scalar_one()
            if count >= SAML_PROVIDERS_PER_ACCOUNT:
                raise LimitExceeded("SAMLProviders", SAML_PROVIDERS_PER_ACCOUNT)
            row = SamlProviderRow(
                arn=arn,
                account_id=account_id,
                name=name,
                metadata_document=metadata_document,
                valid_until=valid_until,
                created_at=utcnow(),
            )
            s.add(row)
            merge_tags(s, SAML_TAG, arn, tags, 50)
            s.flush()
            return self._to_saml(s, row)

    def get_saml_provider(self, account_id: str, arn: str) -> SamlProvider:
        with self._read() as s:
            return self._to_saml(s, self._saml_row(s, account_id, arn))

    def list_saml_providers(self, account_id: str) -> list[SamlProvider]:
        with self._read() as s:
            rows = s.execute(
                select(SamlProviderRow)
                .where(SamlProviderRow.account_id == account_id)
                .order_by(SamlProviderRow.arn)
            ).scalars()
            return [self._to_saml(s, r) for r in rows]

    def update_saml_provider(
        self, account_id: str, arn: str, metadata_document: str, valid_until: datetime | None
    ) -> None:
        with self._write() as s:
            row = self._saml_row(s, account_id, arn, lock=True)
            row.metadata_document = metadata_document
            row.valid_until = valid_until

    def delete_saml_provider(self, account_id: str, arn: str) -> None:
        with self._write() as s:
            row = self._saml_row(s, account_id, arn, lock=True)
            s.execute(delete(TagRow).where(TagRow.entity_type == SAML_TAG, TagRow.entity_id == arn))
            s.delete(row)

    def tag_saml_provider(self, account_id: str, arn: str, tags: Sequence[tuple[str, str]]) -> None:
        with self._write() as s:
            self._saml_row(s, account_id, arn, lock=True)
            merge_tags(s, SAML_TAG, arn, tags, 50)

    def untag_saml_provider(self, account_id: str, arn: str, keys: Sequence[str]) -> None:
        with self._write() as s:
            self._saml_row(s, account_id, arn, lock=True)
            remove_tags(s, SAML_TAG, arn, keys)

    def provider_tags(self, account_id: str, arn: str) -> Tags:
        """Tags of an OIDC or SAML provider of `account_id`, by ARN."""
        if ":saml-provider/" in arn:
            return self.get_saml_provider(account_id, arn).tags
        return self.get_oidc_provider(account_id, arn).tags

    # -- account aliases ----------------------------------------------------------------------

    def create_account_alias(self, account_id: str, alias: str) -> None:
        """Set the account's one alias (replacing an earlier one); AlreadyExists if another
        account of the deployment holds it."""
        with self._write() as s:
            self._account_row(s, account_id, lock=True)
            holder = s.get(AccountAliasRow, alias)
            if holder is not None:
                if holder.account_id == account_id:
                    return
                raise AlreadyExists("account_alias", alias)
            s.execute(delete(AccountAliasRow).where(AccountAliasRow.account_id == account_id))
            s.add(AccountAliasRow(alias=alias, account_id=account_id))
            try:
                s.flush()
            except IntegrityError:
                raise AlreadyExists("account_alias", alias) from None

    def delete_account_alias(self, account_id: str, alias: str) -> None:
        with self._write() as s:
            row = s.get(AccountAliasRow, alias, with_for_update=True)
            if row is None or row.account_id != account_id:
                raise NotFound("account_alias", alias)
            s.delete(row)

    def list_account_aliases(self, account_id: str) -> list[str]:
        with self._read() as s:
            return list(
                s.execute(
                    select(AccountAliasRow.alias).where(AccountAliasRow.account_id == account_id)
                ).scalars()
            )

    # -- credential reports -------------------------------------------------------------------

    def credential_report_time(self, account_id: str) -> datetime | None:
        with self._read() as s:
            value = s.get(MetaRow, _report_key(account_id))
            return None if value is None else datetime.fromtimestamp(value.value, UTC)

    def mark_credential_report(self, account_id: str, now: datetime) -> None:
        """Record that a report was generated at `now` (whole seconds)."""
        with self._write(bump=False) as s:
            row = s.get(MetaRow, _report_key(account_id), with_for_update=True)
            if row is None:
                s.add(MetaRow(key=_report_key(account_id), value=int(now.timestamp())))
            else:
                row.value = int(now.timestamp())

    # -- the account: summary counts, credential-report facts, authorization details ----------

    def account_summary_counts(self, account_id: str) -> dict[str, int]:
        """The usage members of GetAccountSummary's SummaryMap, counted in one read."""

        def count(stmt: Any) -> int:
            return int(s.execute(stmt).scalar_one())

        with self._read() as s:
            self._account_row(s, account_id)
            users = select(UserRow.user_id).where(UserRow.account_id == account_id)
            groups = select(GroupRow.group_id).where(GroupRow.account_id == account_id)
            roles = select(RoleRow.role_id).where(RoleRow.account_id == account_id)
            n = func.count()
            attached = (
                count(
                    select(n)
                    .select_from(UserPolicyAttachmentRow)
                    .where(UserPolicyAttachmentRow.user_id.in_(users))
                )
                + count(
                    select(n)
                    .select_from(GroupPolicyAttachmentRow)
                    .where(GroupPolicyAttachmentRow.group_id.in_(groups))
                )
                + count(
                    select(n)
                    .select_from(RolePolicyAttachmentRow)
                    .where(RolePolicyAttachmentRow.role_id.in_(roles))
                )
            )
            mfa = select(n).select_from(MfaDeviceRow).where(MfaDeviceRow.account_id == account_id)
            assigned = MfaDeviceRow.user_id.is_not(None) | MfaDeviceRow.is_root
            return {
                "Users": count(
                    select(n).select_from(UserRow).where(UserRow.account_id == account_id)
                ),
                "Groups": count(
                    select(n).select_from(GroupRow).where(GroupRow.account_id == account_id)
                ),
                "Roles": count(
                    select(n).select_from(RoleRow).where(RoleRow.account_id == account_id)
                ),
                "Policies": count(
                    select(n)
                    .select_from(ManagedPolicyRow)
                    .where(ManagedPolicyRow.account_id == account_id)
                ),
                "PolicyVersionsInUse": attached,
                "InstanceProfiles": count(
                    select(n)
                    .select_from(InstanceProfileRow)
                    .where(InstanceProfileRow.account_id == account_id)
                ),
                "MFADevices": count(mfa),
                "MFADevicesInUse": count(mfa.where(assigned)),
                "AccountMFAEnabled": int(count(mfa.where(MfaDeviceRow.is_root)) > 0),
                "AccountAccessKeysPresent": int(
                    count(
                        select(n)
                        .select_from(AccessKeyRow)
                        .where(
                            AccessKeyRow.account_id == account_id, AccessKeyRow.user_id.is_(None)
                        )
                    )
                    > 0
                ),
                "AccountPasswordPresent": int(s.get(RootUserRow, account_id) is not None),
                "AccountSigningCertificatesPresent": 0,
                "Providers": count(
                    select(n)
                    .select_from(OidcProviderRow)
                    .where(OidcProviderRow.account_id == account_id)
                )
                + count(
                    select(n)
                    .select_from(SamlProviderRow)
                    .where(SamlProviderRow.account_id == account_id)
                ),
                "ServerCertificates": 0,
            }

    def credential_report_facts(self, account_id: str, as_of: datetime) -> list[CredentialFacts]:
        """One entry per principal that existed at `as_of`: the root user first, then the
        users by creation time (the order AWS's report uses)."""
        with self._read() as s:
            account = self._account_row(s, account_id)
            users = list(
                s.execute(
                    select(UserRow)
                    .where(UserRow.account_id == account_id, UserRow.created_at <= as_of)
                    .order_by(UserRow.created_at, UserRow.name_lower)
                ).scalars()
            )
            keys: dict[str | None, list[AccessKeyRow]] = {}
            for k in s.execute(
                select(AccessKeyRow)
                .where(AccessKeyRow.account_id == account_id)
                .order_by(AccessKeyRow.created_at, AccessKeyRow.access_key_id)
            ).scalars():
                keys.setdefault(k.user_id, []).append(k)
            profiles = {
                p.user_id: p
                for p in s.execute(
                    select(LoginProfileRow).where(
                        LoginProfileRow.user_id.in_([u.user_id for u in users])
                    )
                ).scalars()
            }
            mfa_users = set(
                s.execute(
                    select(MfaDeviceRow.user_id).where(
                        MfaDeviceRow.account_id == account_id, MfaDeviceRow.user_id.is_not(None)
                    )
                ).scalars()
            )
            root_mfa = (
                s.execute(
                    select(MfaDeviceRow.serial_number).where(
                        MfaDeviceRow.account_id == account_id, MfaDeviceRow.is_root
                    )
                ).first()
                is not None
            )

        def key_facts(rows: list[AccessKeyRow]) -> tuple[KeyFacts, ...]:
            return tuple(
                KeyFacts(
                    active=k.status == "Active",
                    created_at=k.created_at,
                    last_used_at=k.last_used_at,
                    last_used_region=k.last_used_region,
                    last_used_service=k.last_used_service,
                )
                for k in rows[:2]
            )

        out = [
            CredentialFacts(
                user="<root_account>",
                arn=f"arn:aws:iam::{account_id}:root",
                created_at=account.created_at,
                is_root=True,
                password_enabled=True,
                password_last_used=None,
                password_changed_at=None,
                mfa_active=root_mfa,
                keys=key_facts(keys.get(None, [])),
            )
        ]
        for u in users:
            p = profiles.get(u.user_id)
            out.append(
                CredentialFacts(
                    user=u.name,
                    arn=f"arn:aws:iam::{account_id}:user{u.path}{u.name}",
                    created_at=u.created_at,
                    is_root=False,
                    password_enabled=p is not None,
                    password_last_used=p.password_last_used if p else None,
                    password_changed_at=p.password_changed_at if p else None,
                    mfa_active=u.user_id in mfa_users,
                    keys=key_facts(keys.get(u.user_id, [])),
                )
            )
        return out

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
