"""The account-wide reads and the account's small settings: account aliases (Create/Delete/
ListAccountAliases), GetAccountSummary's counts, and the credential report (Generate/
GetCredentialReport) (IAM User Guide: *Your AWS account ID and its alias*, *Getting credential
reports for your AWS account*; quotas from *IAM and AWS STS quotas*: one alias per account, unique
across the deployment).

A credential report is a snapshot, as AWS's: GenerateCredentialReport renders the CSV
(`credential_report.render`) from the credentials of that moment and stores it in
`credential_reports` (one per account, replaced by the next generation); GetCredentialReport
returns what was stored, so users created or keys rotated afterwards appear only in the next
report, which can be generated once the current one is four hours old. Generation is synchronous
(in the GenerateCredentialReport call), so a report is never "in progress". The other reads query
the tables directly in one read transaction, so they are consistent and do not depend on the
other mixins' methods.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sagegate.store.base import StoreBase
from sagegate.store.credential_report import is_current, render
from sagegate.store.errors import AlreadyExists, NotFound
from sagegate.store.records import CredentialFacts, CredentialReport, KeyFacts
from sagegate.store.schema import (
    AccessKeyRow,
    AccountAliasRow,
    AccountPasswordPolicyRow,
    CredentialReportRow,
    GroupPolicyAttachmentRow,
    GroupRow,
    InstanceProfileRow,
    LoginProfileRow,
    ManagedPolicyRow,
    MfaDeviceRow,
    OidcProviderRow,
    RolePolicyAttachmentRow,
    RoleRow,
    RootUserRow,
    SamlProviderRow,
    UserPolicyAttachmentRow,
    UserRow,
)


def _max_password_age(s: Session, account_id: str) -> int:
    """The account password policy's MaxPasswordAge in days (0: no policy, no expiry)."""
    row = s.get(AccountPasswordPolicyRow, account_id)
    return 0 if row is None else int(json.loads(row.settings).get("MaxPasswordAge") or 0)


class AccountReadsMixin(StoreBase):
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

    def generate_credential_report(self, account_id: str, now: datetime) -> bool:
        """GenerateCredentialReport: unless the stored report is under four hours old at `now`,
        render the account's credentials as they are and store that as the report generated at
        `now` (whole seconds). True when a new report was generated (AWS's State STARTED),
        False when the current one was kept (COMPLETE)."""
        generated_at = now.replace(microsecond=0)
        # No epoch moves: no cached read and no decision depends on a report. The account row's
        # lock makes concurrent generations for one account queue (the second one keeps).
        with self._write(bump=False) as s:
            self._account_row(s, account_id, lock=True)
            row = s.get(CredentialReportRow, account_id)
            if row is not None and is_current(row.generated_at, now):
                return False
            content = render(
                self._credential_facts(s, account_id), _max_password_age(s, account_id)
            )
            if row is None:
                s.add(
                    CredentialReportRow(
                        account_id=account_id, generated_at=generated_at, content=content
                    )
                )
            else:
                row.generated_at, row.content = generated_at, content
            return True

    def get_credential_report(self, account_id: str) -> CredentialReport:
        """The stored report, however old (the caller decides whether it has expired);
        NotFound("credential_report") when none was generated."""
        with self._read() as s:
            row = s.get(CredentialReportRow, account_id)
            if row is None:
                raise NotFound("credential_report", account_id)
            return CredentialReport(
                account_id=row.account_id, generated_at=row.generated_at, content=row.content
            )

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

    def credential_report_facts(self, account_id: str) -> list[CredentialFacts]:
        """What a credential report generated now would say: one entry per principal, the root
        user first, then the users by creation time (the order AWS's report uses)."""
        with self._read() as s:
            return self._credential_facts(s, account_id)

    def _credential_facts(self, s: Session, account_id: str) -> list[CredentialFacts]:
        account = self._account_row(s, account_id)
        users = list(
            s.execute(
                select(UserRow)
                .where(UserRow.account_id == account_id)
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
                select(LoginProfileRow)
                .join(UserRow, UserRow.user_id == LoginProfileRow.user_id)
                .where(UserRow.account_id == account_id)
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
