"""The operation registry: the contract between the server and the services.

Each service module (`sagegate.iam`, `sagegate.sts`, `sagegate.sagemaker`) registers one handler per
botocore operation, together with what authorization needs to know about it: the IAM action, a
function that names the resource ARNs the call touches, and one that adds the operation's
condition keys. The server looks the operation up after resolving the request, authorizes it with
that information and then calls the handler with the parsed, validated parameters.

Handlers take a `Call` and the parameters keyed by the model's member names and return a plain
dict keyed by the output shape's member names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import msgspec

PrincipalType = Literal[
    "Account", "User", "AssumedRole", "FederatedUser", "WebIdentityUser", "SAMLUser", "Anonymous"
]


@dataclass(frozen=True)
class Caller:
    """Who signed the request, as the server established it.

    `type` follows `aws:PrincipalType`: "Account" is the root user, "User" an IAM user,
    "AssumedRole" a role session, "FederatedUser" a GetFederationToken session. "WebIdentityUser"
    and "SAMLUser" are the bearer of a verified web identity token or SAML assertion during an
    unsigned AssumeRoleWithWebIdentity / AssumeRoleWithSAML call; `provider` is then the identity
    provider's ARN, which a trust policy's `Federated` principal names.
    """

    account_id: str
    type: PrincipalType
    arn: str
    userid: (
        str  # aws:userid: the account id for root, AIDA... for a user, AROA...:session for roles
    )
    access_key_id: str | None = None
    user_id: str | None = None  # AIDA... for IAM users
    username: str | None = None  # aws:username (IAM users only)
    user_path: str | None = None
    role_arn: str | None = None
    session: Mapping[str, Any] = field(default_factory=dict)  # sealed session facts
    # aws:PrincipalTag: the user's tags; a role session's role tags with its session tags over them
    tags: tuple[tuple[str, str], ...] = ()
    provider: str | None = None

    @property
    def is_root(self) -> bool:
        return self.type == "Account"


@dataclass
class Call:
    """One request as a handler sees it."""

    service: str
    operation: str
    caller: Caller
    region: str
    request_id: str
    now: datetime
    store: Any  # sagegate.store.Store; typed loosely so protocol does not import store
    source_ip: str = ""
    secure_transport: bool = False
    host: str = ""  # the Host header, for URLs that point back at this server
    # Reads shared by the steps of this one request (resource ARN, condition keys, handler), so
    # the same row is fetched once. Never kept beyond the request.
    memo: dict[Any, Any] = field(default_factory=dict)


class Check(msgspec.Struct, frozen=True):
    """A further authorization a call needs besides its own action, e.g. `iam:PassRole` on the
    role a SageMaker call passes (with `iam:PassedToService`), or `sagemaker:AddTags` when a
    create call carries tags. `context` adds condition keys to the global ones. (A frozen
    `msgspec.Struct`, built in C: a frozen dataclass would set each field through
    `object.__setattr__`, and SageMaker creates build one per request.)"""

    action: str
    resource: str
    context: Mapping[str, Any] = msgspec.field(default_factory=dict)


@dataclass(frozen=True)
class ResourcePolicy:
    """A resource-based policy that takes part in the decision: a role's trust policy for
    `sts:AssumeRole`, later bucket or key policies. `account_id` owns the resource."""

    document: str
    account_id: str
    policy_id: str  # what explanations call it, e.g. the role ARN
    kind: Literal["trust", "resource"] = "resource"


Handler = Callable[[Call, dict[str, Any]], dict[str, Any]]
ResourceFn = Callable[[Call, dict[str, Any]], list[str]]
ContextFn = Callable[[Call, dict[str, Any]], dict[str, Any]]
AlsoFn = Callable[[Call, dict[str, Any]], list[Check]]
ResourcePolicyFn = Callable[[Call, dict[str, Any]], ResourcePolicy | None]
AuthenticateFn = Callable[[Call, dict[str, Any]], Caller]


@dataclass(frozen=True)
class OperationSpec:
    service: str
    name: str
    handler: Handler
    action: str  # "iam:CreateUser"
    resources: ResourceFn
    context: ContextFn | None = None
    authorize: bool = True  # False: always allowed once authenticated (sts:GetCallerIdentity)
    also: AlsoFn | None = None  # further checks (iam:PassRole, sagemaker:AddTags, ...)
    resource_policy: ResourcePolicyFn | None = None  # e.g. the trust policy for sts:AssumeRole
    # Unsigned operations (AssumeRoleWithWebIdentity / WithSAML) establish their caller from the
    # request itself (the verified token or assertion) instead of from a signature. It runs after
    # validation, before authorization; any signature the request carries is still verified.
    authenticate: AuthenticateFn | None = None

    @property
    def signed(self) -> bool:
        return self.authenticate is None


class Registry:
    def __init__(self) -> None:
        self._ops: dict[tuple[str, str], OperationSpec] = {}

    def operation(
        self,
        service: str,
        name: str,
        *,
        action: str | None = None,
        resources: ResourceFn | None = None,
        context: ContextFn | None = None,
        authorize: bool = True,
        also: AlsoFn | None = None,
        resource_policy: ResourcePolicyFn | None = None,
        authenticate: AuthenticateFn | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator: `@registry.operation("iam", "CreateUser", resources=user_arn)`."""

        def register(handler: Handler) -> Handler:
            key = (service, name)
            if key in self._ops:
                raise ValueError(f"operation registered twice: {service}.{name}")
            self._ops[key] = OperationSpec(
                service=service,
                name=name,
                handler=handler,
                action=action or f"{service}:{name}",
                resources=resources or _star,
                context=context,
                authorize=authorize,
                also=also,
                resource_policy=resource_policy,
                authenticate=authenticate,
            )
            return handler

        return register

    def get(self, service: str, name: str) -> OperationSpec | None:
        return self._ops.get((service, name))

    def names(self, service: str) -> list[str]:
        return sorted(n for s, n in self._ops if s == service)


def _star(call: Call, params: dict[str, Any]) -> list[str]:
    return ["*"]


registry = Registry()
