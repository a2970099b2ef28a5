"""The values the store returns: frozen dataclasses, never ORM objects.

Timestamps are timezone-aware UTC `datetime`s. Documents are policy JSON text exactly as stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Literal, TypeVar

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
