"""The account: Create/Delete/ListAccountAliases, GetAccountSummary,
GetAccountAuthorizationDetails, Generate/GetCredentialReport (IAM API Reference; IAM User Guide
*Getting credential reports for your AWS account*, *IAM and AWS STS quotas*).

The credential report is the CSV AWS documents, column for column, with `N/A`, `not_supported`
and `no_information` where AWS writes them (`sagegate.store.credential_report`); it is a snapshot
taken by GenerateCredentialReport and stored, and GetCredentialReport returns it base64-encoded (a
blob) with its GeneratedTime. A report is good for four hours: GenerateCredentialReport answers
COMPLETE and keeps it while it is younger, and otherwise generates a new one and answers STARTED;
GetCredentialReport answers ReportNotPresent (410) before the first generation and ReportExpired
(410) once the report is four hours old. Generation runs inside the GenerateCredentialReport call,
so GetCredentialReport never answers ReportInProgress and Generate never INPROGRESS.
"""

from __future__ import annotations

from typing import Any

from sagegate.iam.errors import store_errors
from sagegate.iam.users import paged
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, registry
from sagegate.store import InvalidMarker, NotFound
from sagegate.store.base import decode_marker, encode_marker
from sagegate.store.credential_report import is_current

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


@registry.operation("iam", "GenerateCredentialReport")
def generate_credential_report(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        started = call.store.generate_credential_report(call.caller.account_id, call.now)
    if not started:
        return {"State": "COMPLETE"}
    return {
        "State": "STARTED",
        "Description": "No report exists. Starting a new report generation task",
    }


@registry.operation("iam", "GetCredentialReport")
def get_credential_report(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    try:
        report = call.store.get_credential_report(call.caller.account_id)
    except NotFound:
        raise ServiceError(
            "ReportNotPresent",
            "Credential report does not exist. Use GenerateCredentialReport to generate one.",
            status=410,
        ) from None
    if not is_current(report.generated_at, call.now):
        raise ServiceError(
            "ReportExpired",
            "The credential report has expired. To generate a new credential report, "
            "use GenerateCredentialReport.",
            status=410,
        )
    return {
        "Content": report.content.encode(),
        "ReportFormat": "text/csv",
        "GeneratedTime": report.generated_at,
    }
