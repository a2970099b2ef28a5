"""The values the store returns: frozen dataclasses (a frozen `msgspec.Struct` for the one
built on every SageMaker request, whose fields a frozen dataclass would set one by one through
`object.__setattr__`), never ORM objects.

Timestamps are timezone-aware UTC `datetime`s. Documents are policy JSON text exactly as stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import msgspec

T = TypeVar("T")

KeyStatus = Literal["Active", "Inactive"]
Tags = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing. `marker` is set when more items follow: pass it back as `marker`."""

    items: tuple[T, ...]
    marker: str | None = None

    @property
    def is_truncated(self) -> bool:
        return self.marker is not None


@dataclass(frozen=True)
class Account:
    account_id: str
    root_email: str
    created_at: datetime

    @property
    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"


@dataclass(frozen=True)
class User:
    account_id: str
    user_id: str
    name: str
    path: str
    arn: str
    created_at: datetime
    permissions_boundary_arn: str | None
    tags: Tags


@dataclass(frozen=True)
class AccessKey:
    """An access key as listed; `user_name` None for the account's root user."""

    access_key_id: str
    user_name: str | None
    status: KeyStatus
    created_at: datetime


@dataclass(frozen=True)
class KeyRecord:
    """Everything request authentication needs about an access key, secret decrypted."""

    access_key_id: str
    secret: str  # the secret access key, decrypted
    account_id: str
    user_id: str | None  # None: the account's root user
    user_name: str | None
    user_path: str | None
    status: KeyStatus
    created_at: datetime

    @property
    def is_root(self) -> bool:
        return self.user_id is None

    @property
    def principal_arn(self) -> str:
        if self.user_id is None:
            return f"arn:aws:iam::{self.account_id}:root"
        return f"arn:aws:iam::{self.account_id}:user{self.user_path}{self.user_name}"

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return (
            f"KeyRecord(access_key_id={self.access_key_id!r}, account_id={self.account_id!r}, "
            f"user_name={self.user_name!r}, status={self.status!r})"
        )


@dataclass(frozen=True)
class AccessKeyLastUsed:
    access_key_id: str
    account_id: str
    user_name: str | None
    last_used_at: datetime | None  # None: never used
    last_used_service: str | None
    last_used_region: str | None


@dataclass(frozen=True)
class ManagedPolicy:
    arn: str
    policy_id: str
    account_id: str  # "aws" for AWS managed policies
    name: str
    path: str
    description: str | None
    default_version_id: str
    attachment_count: int
    is_attachable: bool
    created_at: datetime
    updated_at: datetime
    permissions_boundary_usage_count: int = 0
    tags: Tags = ()


@dataclass(frozen=True)
class PolicyVersion:
    policy_arn: str
    version_id: str
    document: str
    is_default: bool
    created_at: datetime


@dataclass(frozen=True)
class PrincipalPolicies:
    """The identity policies of one principal, for `sagegate.authz`.

    `inline`: (policy name, document); `managed`: (arn, default version id, document);
    `boundary`: the permissions boundary's (arn, default version id, document), or None.
    `boundary_arn` is the boundary set on the principal: if it is set but `boundary` is None the
    boundary policy no longer exists, and authorization must fail closed.
    """

    inline: tuple[tuple[str, str], ...]
    managed: tuple[tuple[str, str, str], ...]
    boundary: tuple[str, str, str] | None
    boundary_arn: str | None = None
    # Whose each `inline` policy is, e.g. "group/Admins" for a group's; empty: all the principal's.
    inline_owners: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    """An IAM role. `service_linked_to` is the service principal (e.g. "sagemaker.amazonaws.com")
    of a service-linked role, else None; `last_used_*` is AWS's RoleLastUsed (None: never used)."""

    account_id: str
    role_id: str
    name: str
    path: str
    arn: str
    assume_role_policy_document: str
    max_session_duration: int
    description: str | None
    permissions_boundary_arn: str | None
    created_at: datetime
    tags: Tags
    service_linked_to: str | None
    last_used_at: datetime | None
    last_used_region: str | None


@dataclass(frozen=True)
class Group:
    account_id: str
    group_id: str
    name: str
    path: str
    arn: str
    created_at: datetime


@dataclass(frozen=True)
class PolicyEntity:
    """One user, group or role a managed policy is attached to (ListEntitiesForPolicy)."""

    entity_type: Literal["User", "Group", "Role"]
    name: str
    entity_id: str


# -- credentials (login profiles, MFA) and identity providers ---------------------------------


@dataclass(frozen=True)
class LoginProfile:
    """A user's console password (never the hash)."""

    user_name: str
    user_id: str
    created_at: datetime
    password_reset_required: bool
    password_changed_at: datetime
    password_last_used: datetime | None


@dataclass(frozen=True)
class MfaDevice:
    """A virtual MFA device; `user` is set while it is enabled for an IAM user, `is_root` while
    it is enabled for the account's root user."""

    serial_number: str
    account_id: str
    name: str
    path: str
    user: User | None
    is_root: bool
    enabled_at: datetime | None
    created_at: datetime
    tags: Tags

    @property
    def is_assigned(self) -> bool:
        return self.user is not None or self.is_root


@dataclass(frozen=True)
class OidcProvider:
    arn: str
    account_id: str
    url: str  # host/path, without the scheme, as AWS returns it
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...]
    created_at: datetime
    tags: Tags


@dataclass(frozen=True)
class SamlProvider:
    arn: str
    account_id: str
    name: str
    metadata_document: str
    valid_until: datetime | None
    created_at: datetime
    tags: Tags


class SageMakerResource(msgspec.Struct, frozen=True):
    """A SageMaker resource. `data` is its description keyed by the Describe* output member
    names (JSON values only); `status` is the stored phase and `updated_at` when it began (the
    service derives the status a reader sees from them); `tags` in the order they were added."""

    arn: str
    account_id: str
    region: str
    resource_type: str
    name: str
    status: str | None
    data: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    tags: Tags = ()

    def moved(self, status: str | None, data: Mapping[str, Any], at: datetime) -> SageMakerResource:
        """The resource entering `status` at `at`, described by `data`."""
        return msgspec.structs.replace(self, status=status, data=data, updated_at=at)


@dataclass(frozen=True)
class InstanceProfile:
    """An instance profile and the role it holds (AWS allows at most one)."""

    account_id: str
    instance_profile_id: str
    name: str
    path: str
    arn: str
    created_at: datetime
    roles: tuple[Role, ...]
    tags: Tags


@dataclass(frozen=True)
class KeyFacts:
    """An access key as the credential report describes it."""

    active: bool
    created_at: datetime
    last_used_at: datetime | None
    last_used_region: str | None
    last_used_service: str | None


@dataclass(frozen=True)
class CredentialFacts:
    """One principal's row of the credential report (the root user's: `is_root`)."""

    user: str
    arn: str
    created_at: datetime
    is_root: bool
    password_enabled: bool
    password_last_used: datetime | None
    password_changed_at: datetime | None
    mfa_active: bool
    keys: tuple[KeyFacts, ...]


@dataclass(frozen=True)
class CredentialReport:
    """A stored credential report: the CSV as it was generated at `generated_at`."""

    account_id: str
    generated_at: datetime
    content: str
