"""The request an authorization decision is about: who, what, on which resource, and the
request context (condition keys and their values).

Follows *Policy evaluation logic* ("Processing the request context") and *AWS global condition
context keys*: condition key names are case-insensitive; a key is single-valued (a string) or
multivalued (a tuple of strings, e.g. ``aws:TagKeys``). The caller builds the context once per
request; nothing here reads a clock — ``aws:CurrentTime`` and ``aws:EpochTime`` are passed in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import msgspec

ContextValue = str | tuple[str, ...]
PrincipalType = Literal[
    "Account",
    "User",
    "AssumedRole",
    "FederatedUser",
    "WebIdentityUser",
    "SAMLUser",
    "Service",
    "Anonymous",
]


def iso_time(value: datetime) -> str:
    """A time as date condition keys carry it (``aws:CurrentTime``): ISO 8601 in UTC, whole
    seconds; naive times are taken as UTC."""
    dt = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return _iso_second((dt - _EPOCH) // _SECOND)  # whole seconds since the epoch, floored


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


@functools.lru_cache(maxsize=64)
def _iso_second(second: int) -> str:
    # Requests format the current second again and again: once per second suffices.
    return (_EPOCH + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_value(value: object) -> ContextValue:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return iso_time(value)
    if isinstance(value, Iterable):
        return tuple(_as_value_scalar(v) for v in value)
    raise TypeError(f"unsupported context value {value!r}")


def _as_value_scalar(value: object) -> str:
    v = _as_value(value)
    if isinstance(v, tuple):
        raise TypeError(f"nested multivalued context value {value!r}")
    return v


@dataclass(frozen=True)
class Context(Mapping[str, ContextValue]):
    """Condition keys (stored lower-cased) to values. Build with :meth:`build`."""

    entries: Mapping[str, ContextValue] = field(default_factory=dict)

    @classmethod
    def build(cls, values: Mapping[str, object] | None = None) -> Context:
        """From any mapping: str -> single value; list/tuple/set -> multivalued (order kept);
        bool -> "true"/"false"; int/float -> decimal text; datetime -> ISO-8601 UTC."""
        return cls(context_entries(values))

    def __getitem__(self, key: str) -> ContextValue:
        return self.entries[key.lower()]

    def lookup(self, key: str) -> ContextValue | None:
        """The value of an already lower-cased key, or None (the hot path)."""
        return self.entries.get(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.entries.items())))

    def with_values(self, values: Mapping[str, object]) -> Context:
        return Context({**self.entries, **context_entries(values)})


def context_entries(values: Mapping[str, object] | None) -> dict[str, ContextValue]:
    """`Context.build(values).entries`, without the Context (for a caller that merges them)."""
    return {k.lower(): _as_value(v) for k, v in (values or {}).items()}


@dataclass(frozen=True)
class PrincipalInfo:
    """Who is making the request.

    `arn` is the principal's own ARN (user ARN, ``arn:aws:sts::A:assumed-role/R/S``,
    ``arn:aws:sts::A:federated-user/N``, ``arn:aws:iam::A:root``, a service name such as
    ``sagemaker.amazonaws.com`` for ``Service``, or "*"/"anonymous" for ``Anonymous``).
    `role_arn` is what the session was created from: the role ARN of an assumed-role session, or
    the ARN of the IAM user who called GetFederationToken for a federated-user session (a
    resource-based policy naming it is limited by the boundary and session policies, per
    *Policy evaluation logic*); `provider` the identity provider
    (``arn:aws:iam::A:oidc-provider/...``, ``...:saml-provider/...`` or e.g.
    ``accounts.google.com``) that a ``Federated`` principal element names;
    `has_boundary` is derived by the evaluator from the policy set and need not be set.
    """

    arn: str
    account: str
    type: PrincipalType
    userid: str
    username: str | None = None
    role_arn: str | None = None
    is_root: bool = False
    provider: str | None = None


class Request(msgspec.Struct, frozen=True):
    """One authorization question. `resource_account` None means the principal's own account."""

    action: str
    resource: str
    principal: PrincipalInfo
    context: Context = msgspec.field(default_factory=Context)
    resource_account: str | None = None

    @property
    def cross_account(self) -> bool:
        return self.resource_account is not None and self.resource_account != self.principal.account


def principal_context(
    principal: PrincipalInfo,
    *,
    now: datetime,
    source_ip: str | None = None,
    principal_tags: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> Context:
    """The global keys every request carries, per *AWS global condition context keys* and the
    principal-key table of *IAM policy elements: Variables and tags*: ``aws:username`` (IAM users
    only), ``aws:userid``, ``aws:PrincipalType``, ``aws:PrincipalArn`` (the role ARN for a role
    session), ``aws:PrincipalAccount``, ``aws:CurrentTime``, ``aws:EpochTime``,
    ``aws:SourceIp``, ``aws:PrincipalTag/*`` and ``aws:MultiFactorAuthPresent`` via `extra`."""
    ptype = {
        "WebIdentityUser": "AssumedRole",
        "SAMLUser": "AssumedRole",
    }.get(principal.type, principal.type)
    values: dict[str, object] = {
        "aws:userid": principal.userid,
        "aws:PrincipalType": ptype,
        "aws:CurrentTime": now,
        "aws:EpochTime": str(int(now.timestamp())),
    }
    if principal.type not in ("Anonymous", "Service"):
        values["aws:PrincipalAccount"] = principal.account
        arn = principal.role_arn if principal.type == "AssumedRole" else None
        values["aws:PrincipalArn"] = arn or principal.arn
    if principal.type == "User" and principal.username is not None:
        values["aws:username"] = principal.username
    if source_ip is not None:
        values["aws:SourceIp"] = source_ip
    for k, v in (principal_tags or {}).items():
        values[f"aws:PrincipalTag/{k}"] = v
    if principal_tags:
        values["aws:PrincipalTagKeys"] = tuple(principal_tags)
    values.update(extra or {})
    return Context.build(values)
