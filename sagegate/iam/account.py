"""The account: Create/Delete/ListAccountAliases, GetAccountSummary,
GetAccountAuthorizationDetails, Generate/GetCredentialReport (IAM API Reference; IAM User Guide
*Getting credential reports for your AWS account*, *IAM and AWS STS quotas*).

The credential report is the CSV AWS documents, column for column, with `N/A`, `not_supported`
and `no_information` where AWS writes them; GetCredentialReport returns it base64-encoded (a blob).
A report is good for four hours: GenerateCredentialReport starts a new one only when there is
none or it is older, and GetCredentialReport answers ReportExpired after that.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from sagegate.iam.errors import store_errors
from sagegate.iam.users import paged
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, registry
from sagegate.store import InvalidMarker, NotFound
from sagegate.store.base import decode_marker, encode_marker

REPORT_LIFETIME = timedelta(hours=4)

#: GetAccountSummary's quota members, with AWS's default quotas (*IAM and AWS STS quotas*).
QUOTAS = {
    "UsersQuota": 5000,
    "GroupsQuota": 300,
    "RolesQuota": 1000,
    "PoliciesQuota": 1500,
    "InstanceProfilesQuota": 1000,
    "ServerCertificatesQuota": 20,
    "AccessKeysPerUserQuota": 2,
    "SigningCertificatesPerUserQuota": 2,
    "GroupsPerUserQuota": 10,
    "AttachedPoliciesPerUserQuota": 10,
    "AttachedPoliciesPerGroupQuota": 10,
    "AttachedPoliciesPerRoleQuota": 10,
    "VersionsPerPolicyQuota": 5,
    "PolicySizeQuota": 6144,
    "UserPolicySizeQuota": 2048,
    "GroupPolicySizeQuota": 5120,
    "RolePolicySizeQuota": 10240,
    "AssumeRolePolicySizeQuota": 2048,
    "PolicyVersionsInUseQuota": 10000,
    "GlobalEndpointTokenVersion": 1,
}

REPORT_COLUMNS = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
]

ENTITY_KINDS = ("User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy")
_DETAIL_LISTS = {
    "User": "UserDetailList",
    "Group": "GroupDetailList",
    "Role": "RoleDetailList",
    "LocalManagedPolicy": "Policies",
    "AWSManagedPolicy": "Policies",
}


# -- aliases -----------------------------------------------------------------------------------


@registry.operation("iam", "CreateAccountAlias")
def create_account_alias(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.create_account_alias(call.caller.account_id, params["AccountAlias"])
    return {}


@registry.operation("iam", "DeleteAccountAlias")
def delete_account_alias(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_account_alias(call.caller.account_id, params["AccountAlias"])
    return {}


@registry.operation("iam", "ListAccountAliases")
def list_account_aliases(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return paged(call.store.list_account_aliases(call.caller.account_id), None, "AccountAliases")


# -- summary -----------------------------------------------------------------------------------


@registry.operation("iam", "GetAccountSummary")
def get_account_summary(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        counts = call.store.account_summary_counts(call.caller.account_id)
    return {"SummaryMap": {**counts, **QUOTAS}}


# -- authorization details ---------------------------------------------------------------------


@registry.operation("iam", "GetAccountAuthorizationDetails")
def get_account_authorization_details(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    kinds = tuple(params.get("Filter") or ENTITY_KINDS)
    start = 0
    if params.get("Marker") is not None:
        try:
            (index,) = decode_marker(params["Marker"], 1)
        except InvalidMarker as e:
            raise ServiceError("ValidationError", e.message, status=400) from None
        if not index.isdigit():
            raise ServiceError("ValidationError", InvalidMarker().message, status=400)
        start = int(index)
    with store_errors():
        entries = call.store.authorization_details(call.caller.account_id, kinds)
    end = start + int(params.get("MaxItems", 100))
    out: dict[str, Any] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    for entry in entries[start:end]:
        kind = entry.pop("_kind")
        out[_DETAIL_LISTS[kind]].append(entry)
    out["IsTruncated"] = end < len(entries)
    if out["IsTruncated"]:
        out["Marker"] = encode_marker(str(end))
    return out


# -- credential report -------------------------------------------------------------------------


def _ts(value: datetime | None, missing: str = "N/A") -> str:
    return missing if value is None else value.replace(microsecond=0).isoformat()


def report_csv(facts: list[Any], max_password_age: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for f in facts:
        row = [f.user, f.arn, _ts(f.created_at)]
        if f.is_root:
            row += ["not_supported", _ts(f.password_last_used, "no_information")]
            row += ["not_supported", "not_supported"]
        elif f.password_enabled:
            rotation = "N/A"
            if max_password_age and f.password_changed_at is not None:
                rotation = _ts(f.password_changed_at + timedelta(days=max_password_age))
            row += ["true", _ts(f.password_last_used, "no_information")]
            row += [_ts(f.password_changed_at), rotation]
        else:
            row += ["false", "N/A", "N/A", "N/A"]
        row.append("true" if f.mfa_active else "false")
        for i in range(2):
            if i < len(f.keys):
                k = f.keys[i]
                row += ["true" if k.active else "false", _ts(k.created_at), _ts(k.last_used_at)]
                row += [k.last_used_region or "N/A", k.last_used_service or "N/A"]
            else:
                row += ["false", "N/A", "N/A", "N/A", "N/A"]
        row += ["false", "N/A", "false", "N/A"]
        writer.writerow(row)
    return out.getvalue().encode()


@registry.operation("iam", "GenerateCredentialReport")
def generate_credential_report(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    account = call.caller.account_id
    generated = call.store.credential_report_time(account)
    if generated is not None and call.now - generated < REPORT_LIFETIME:
        return {"State": "COMPLETE"}
    call.store.mark_credential_report(account, call.now)
    return {
        "State": "STARTED",
        "Description": "No report exists. Starting a new report generation task",
    }


@registry.operation("iam", "GetCredentialReport")
def get_credential_report(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    account = call.caller.account_id
    generated = call.store.credential_report_time(account)
    if generated is None:
        raise ServiceError(
            "ReportNotPresent",
            "Credential report does not exist. Use GenerateCredentialReport to generate one.",
            status=410,
        )
    if call.now - generated >= REPORT_LIFETIME:
        raise ServiceError(
            "ReportExpired",
            "The credential report has expired. To generate a new credential report, "
            "use GenerateCredentialReport.",
            status=410,
        )
    try:
        max_age = int(call.store.get_password_policy(account).get("MaxPasswordAge") or 0)
    except NotFound:  # no policy: passwords do not expire
        max_age = 0
    with store_errors():
        # generation times are whole seconds: include everything of that second
        facts = call.store.credential_report_facts(account, generated + timedelta(seconds=1))
    return {
        "Content": report_csv(facts, max_age),
        "ReportFormat": "text/csv",
        "GeneratedTime": generated,
    }
