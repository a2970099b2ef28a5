"""The parsed form of an IAM policy document.

`sagegate.policy.parse` produces these values from JSON; `sagegate.policy.compile` turns them into
matchers. They mirror the grammar in AWS's *IAM JSON policy element reference* and *Grammar of the
IAM JSON policy language*: every element is kept as written (case and order preserved), lists are
normalised to tuples, scalars in `Condition` values to strings (JSON `true` -> "true", numbers ->
their JSON text), so later stages never see raw JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal


class PolicyKind(Enum):
    """What a document is used as; it decides which elements are allowed and the size limit."""

    IDENTITY = "identity"  # managed or inline policy on a user, group or role; no Principal
    RESOURCE = "resource"  # resource-based policy; Principal or NotPrincipal required
    TRUST = "trust"  # a role's assume-role policy; a resource policy for sts:Assume*
    BOUNDARY = "boundary"  # a permissions boundary (a managed policy document); no Principal
    SESSION = "session"  # an inline session policy passed to STS; no Principal
    SCP = "scp"  # reserved


Effect = Literal["Allow", "Deny"]


@dataclass(frozen=True)
class Principal:
    """A `Principal` or `NotPrincipal` element.

    `wildcard` is True for the bare string "*". Otherwise `entries` holds (type, value) pairs in
    document order, type one of "AWS", "Service", "Federated", "CanonicalUser" as written, e.g.
    ("AWS", "arn:aws:iam::111122223333:root"), ("AWS", "*"), ("Service", "sagemaker.amazonaws.com").
    """

    wildcard: bool = False
    entries: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ConditionClause:
    """One (operator, key) pair of a `Condition` block with its values.

    `operator` is the full operator as written, e.g. "ForAnyValue:StringLikeIfExists"; `key` is the
    condition key as written (AWS compares key names case-insensitively); `values` are strings.
    `path` is the JSON path of the key, e.g. "Statement[0].Condition.StringEquals.aws:username".
    """

    operator: str
    key: str
    values: tuple[str, ...]
    path: str = ""


@dataclass(frozen=True)
class Statement:
    """One statement. Exactly one of actions/not_actions is set; resources/not_resources likewise
    (both None is allowed for trust policies, which have no Resource); principal/not_principal are
    set only in resource and trust policies."""

    index: int
    effect: Effect
    sid: str | None = None
    principal: Principal | None = None
    not_principal: Principal | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    conditions: tuple[ConditionClause, ...] = ()
    path: str = ""  # JSON path of the statement, e.g. "Statement[2]"


@dataclass(frozen=True)
class Policy:
    """A whole document. `version` is None when the document has no Version element (AWS then
    treats it as 2008-10-17: policy variables are left literal)."""

    statements: tuple[Statement, ...]
    version: str | None = None
    id: str | None = None
    kind: PolicyKind = PolicyKind.IDENTITY
    source_size: int = field(default=0, compare=False)  # characters, whitespace not counted

    @property
    def variables_enabled(self) -> bool:
        return self.version == "2012-10-17"
