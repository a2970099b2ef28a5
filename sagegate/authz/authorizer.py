"""Step 5 of the request path: is this caller allowed to do this to these resources?

Collects the caller's policies from the store (compiled once, cached per principal until the
authorization epoch moves), builds the request context and asks `sagegate.policy.evaluate`. Every
resource the call touches must be allowed; the first denial becomes AWS's AccessDenied with the
policy engine's explanation.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import replace
from typing import Any

import msgspec

from sagegate.authz.context import caller_keys, global_keys
from sagegate.authz.epoch import EpochGuard
from sagegate.policy import (
    CompiledPolicy,
    Context,
    Decision,
    Policy,
    PolicyKind,
    PolicySet,
    PrincipalInfo,
    Request,
    compile_policy,
    context_entries,
    denial_message,
    evaluate,
    parse,
)
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, Caller, OperationSpec, ResourcePolicy
from sagegate.store import NotFound, SessionFacts


class AccessDenied(ServiceError):
    def __init__(self, message: str, decision: Decision) -> None:
        super().__init__("AccessDenied", message, status=403, sender_fault=True)
        self.decision = decision


class Authorizer:
    def __init__(self, store: Any, guard: EpochGuard) -> None:
        self._store = store
        self._sets: dict[str, PolicySet] = {}
        # Per caller object (callers are cached by `Identities`): its global keys, as principal.
        self._callers: dict[int, tuple[Caller, dict[str, str], PrincipalInfo]] = {}
        self._lock = threading.Lock()
        guard.register(self._clear)

    def _clear(self) -> None:
        with self._lock:
            self._sets.clear()
            self._callers.clear()

    def _caller(self, caller: Caller) -> tuple[dict[str, str], PrincipalInfo]:
        """The caller's own global keys and its principal, worked out once per caller object."""
        hit = self._callers.get(id(caller))
        if hit is None or hit[0] is not caller:
            hit = (caller, caller_keys(caller), _principal(caller))
            with self._lock:
                if len(self._callers) >= 10_000:
                    self._callers.clear()
                self._callers[id(caller)] = hit
        return hit[1], hit[2]

    # -- policies -------------------------------------------------------------------------------

    def policy_set(self, caller: Caller) -> PolicySet:
        key = _policy_key(caller)
        hit = self._sets.get(key)
        if hit is None:
            hit = self._load(caller)
            with self._lock:
                if len(self._sets) >= 100_000:
                    self._sets.clear()
                self._sets[key] = hit
        return hit

    def _load(self, caller: Caller) -> PolicySet:
        facts = caller.session.get("facts")
        if facts is not None and facts.kind != "Account":
            return self._load_session(caller, facts)
        if caller.is_root or caller.user_id is None:
            # The root user needs none; the bearer of a web identity token or SAML assertion
            # has none (only the role's trust policy can allow it).
            return PolicySet()
        found = self._store.principal_policies_for_user(caller.user_id)
        owners = found.inline_owners or (f"user/{caller.username}",) * len(found.inline)
        identity = [
            _compiled(f"arn:aws:iam::{caller.account_id}:{owner} inline policy {name}", doc)
            for owner, (name, doc) in zip(owners, found.inline, strict=True)
        ]
        identity += [_compiled(arn, doc, version) for arn, version, doc in found.managed]
        boundary = None
        if found.boundary is not None:
            arn, version, doc = found.boundary
            boundary = _compiled(arn, doc, version)
        elif found.boundary_arn is not None:
            # The boundary names a policy that no longer exists: nothing is within it.
            boundary = compile_policy(Policy(statements=()), found.boundary_arn)
        return PolicySet(identity=tuple(identity), boundary=boundary)

    def _load_session(self, caller: Caller, facts: SessionFacts) -> PolicySet:
        """A role session: the role's policies and boundary (by role id: a role deleted and
        created again is another role) and the session policies. A federated user: the IAM
        user's policies and the session policies (*Session policies*: the session's permissions
        are the intersection of the two; without session policies it has none). GetSessionToken
        credentials: the user's policies, within the limits *GetSessionToken* names."""
        base: PolicySet
        if facts.kind == "AssumedRole":
            try:
                found = self._store.principal_policies_for_role(facts.role_id)
            except NotFound:  # the role is gone: nothing is allowed
                base = PolicySet()
            else:
                label = f"arn:aws:iam::{facts.account_id}:role/{facts.role_name} inline policy"
                identity = [_compiled(f"{label} {name}", doc) for name, doc in found.inline]
                identity += [_compiled(arn, doc, version) for arn, version, doc in found.managed]
                boundary = None
                if found.boundary is not None:
                    arn, version, doc = found.boundary
                    boundary = _compiled(arn, doc, version)
                elif found.boundary_arn is not None:
                    boundary = compile_policy(Policy(statements=()), found.boundary_arn)
                base = PolicySet(identity=tuple(identity), boundary=boundary)
        elif facts.user_id is None:  # the root user's federation token: only the session gate
            base = PolicySet(identity=(_ALLOW_ALL,))
        else:
            user = Caller(
                account_id=facts.account_id,
                type="User",
                arn=(caller.role_arn if facts.kind == "FederatedUser" else caller.arn) or "",
                userid=facts.user_id,
                user_id=facts.user_id,
                username=facts.user_name,
                user_path=facts.user_path,
            )
            try:
                base = self.policy_set(user)
            except NotFound:  # the user is gone
                base = PolicySet()
        if facts.kind == "FederatedUser":
            # *GetFederationToken*: no IAM operation, no STS operation but GetCallerIdentity.
            base = PolicySet(identity=(*base.identity, _FEDERATED_LIMITS), boundary=base.boundary)
        elif facts.kind == "User":
            limits = _SESSION_TOKEN_LIMITS if facts.mfa_authenticated else _NO_MFA_LIMITS
            base = PolicySet(identity=(*base.identity, limits), boundary=base.boundary)
        session: tuple[CompiledPolicy, ...] | None = None
        if facts.has_session_policies:
            found_session = []
            if facts.policy is not None:
                label = f"{caller.arn} session policy"
                found_session.append(_session_compiled(label, facts.policy))
            for arn in facts.policy_arns:
                try:
                    version, doc = self._store.get_default_policy_document(arn)
                except NotFound:  # deleted since: it allows nothing
                    found_session.append(compile_policy(Policy(statements=()), arn))
                else:
                    found_session.append(_compiled(arn, doc, version))
            session = tuple(found_session)
        return PolicySet(identity=base.identity, boundary=base.boundary, session=session)

    # -- decisions ------------------------------------------------------------------------------

    def check(self, call: Call, spec: OperationSpec, params: dict[str, Any]) -> None:
        """Raise AccessDenied unless every resource of the call, and every further check the
        operation names (`spec.also`), is allowed."""
        caller = call.caller
        own, principal = self._caller(caller)
        base = global_keys(call, own)
        entries = base
        if spec.context is not None:
            entries = {**base, **context_entries(spec.context(call, params))}
        policies = self.policy_set(caller)
        resource_account = None
        if spec.resource_policy is not None:
            found = spec.resource_policy(call, params)
            if found is not None:
                policies = policies.with_resource(_resource_policy(found))
                resource_account = found.account_id
        context = Context(entries)
        resources = spec.resources(call, params)
        limits = _root_session_limits(caller)
        for resource in resources:
            request = Request(
                action=spec.action,
                resource=resource,
                principal=principal,
                context=context,
                resource_account=resource_account,
            )
            if limits is not None:
                unrooted = replace(principal, is_root=False)
                self._decide(msgspec.structs.replace(request, principal=unrooted), limits)
            self._decide(request, policies)
        if spec.also is not None:
            identity_only = self.policy_set(caller)
            for extra in spec.also(call, params):
                ctx = Context({**base, **context_entries(extra.context)})
                # A further action on the call's own resource (sts:TagSession on the role being
                # assumed) is decided with that resource's policy too; any other (iam:PassRole
                # on an execution role) with the caller's identity policies alone.
                same = extra.resource in resources
                request = Request(
                    action=extra.action,
                    resource=extra.resource,
                    principal=principal,
                    context=ctx,
                    resource_account=resource_account if same else None,
                )
                self._decide(request, policies if same else identity_only)

    @staticmethod
    def _decide(request: Request, policies: PolicySet) -> Decision:
        decision = evaluate(request, policies)
        if not decision.allowed:
            raise AccessDenied(denial_message(request, decision), decision)
        return decision


def _policy_key(caller: Caller) -> str:
    """What a cached policy set is keyed by: the user (or root) — also under GetSessionToken
    credentials —, or for role and federated sessions the role or user and the session policies
    together, so that sessions of one role with the same session policies share one set."""
    facts = caller.session.get("facts")
    if facts is None or facts.kind == "Account":
        return caller.user_id or caller.arn
    if facts.kind == "User":
        return f"User:{facts.user_id}:{'mfa' if facts.mfa_authenticated else 'no-mfa'}"
    digest = hashlib.sha256(
        json.dumps([facts.policy, list(facts.policy_arns)]).encode()
    ).hexdigest()
    return f"{facts.kind}:{facts.role_id or facts.user_id or facts.account_id}:{digest}"


# The identity side of a federated session made by the root user: everything, within the session.
_ALLOW_ALL = compile_policy(
    parse('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'),
    "root",
)


_FEDERATED_LIMITS = compile_policy(
    parse(
        '{"Version":"2012-10-17","Statement":[{"Sid":"FederatedUserLimits","Effect":"Deny",'
        '"Action":["iam:*","sts:AssumeRole*","sts:TagSession","sts:SetSourceIdentity",'
        '"sts:GetAccessKeyInfo","sts:DecodeAuthorizationMessage"],"Resource":"*"}]}'
    ),
    "federated user session limits",
)


def _limits(sid: str, actions: list[str]) -> CompiledPolicy:
    doc = {"Effect": "Deny", "Sid": sid, "Action": actions, "Resource": "*"}
    return compile_policy(
        parse(json.dumps({"Version": "2012-10-17", "Statement": [doc]})), f"{sid} limits"
    )


# *GetSessionToken*: its credentials "cannot call any IAM API operations unless MFA
# authentication information is included in the request" and "cannot call any STS API except
# AssumeRole or GetCallerIdentity" (GetSessionToken and GetFederationToken refuse session
# credentials themselves).
_STS_OTHERS = ["sts:GetAccessKeyInfo", "sts:DecodeAuthorizationMessage"]
_SESSION_TOKEN_LIMITS = _limits("GetSessionToken", _STS_OTHERS)
_NO_MFA_LIMITS = _limits("GetSessionTokenWithoutMFA", ["iam:*", *_STS_OTHERS])
_ROOT_SESSION_MFA = PolicySet(identity=(_ALLOW_ALL, _SESSION_TOKEN_LIMITS))
_ROOT_SESSION_NO_MFA = PolicySet(identity=(_ALLOW_ALL, _NO_MFA_LIMITS))


def _root_session_limits(caller: Caller) -> PolicySet | None:
    """The root user's GetSessionToken credentials carry the limits *GetSessionToken* names
    like a user's (no IAM without MFA, no STS but AssumeRole and GetCallerIdentity). The root
    user is not subject to identity policies, so the limits are decided apart, as a user with
    every permission but them would be; None for any other caller."""
    facts = caller.session.get("facts")
    if not caller.is_root or facts is None or facts.kind != "Account":
        return None
    return _ROOT_SESSION_MFA if facts.mfa_authenticated else _ROOT_SESSION_NO_MFA


def _session_compiled(policy_id: str, document: str) -> CompiledPolicy:
    key = (policy_id, "session", document)
    hit = _compiled_cache.get(key)
    if hit is None:
        hit = compile_policy(parse(document, PolicyKind.SESSION, max_size=len(document)), policy_id)
        if len(_compiled_cache) > 10_000:
            _compiled_cache.clear()
        _compiled_cache[key] = hit
    return hit


def _principal(caller: Caller) -> PrincipalInfo:
    return PrincipalInfo(
        arn=caller.arn,
        account=caller.account_id,
        type=caller.type,
        userid=caller.userid,
        username=caller.username,
        role_arn=caller.role_arn,
        is_root=caller.is_root,
        provider=caller.provider,
    )


def _resource_policy(found: ResourcePolicy) -> CompiledPolicy:
    kind = PolicyKind.TRUST if found.kind == "trust" else PolicyKind.RESOURCE
    key = (found.policy_id, kind.value, found.document)
    hit = _compiled_cache.get(key)
    if hit is None:
        doc = found.document
        hit = compile_policy(parse(doc, kind, max_size=len(doc)), found.policy_id)
        _compiled_cache[key] = hit
    return hit


_compiled_cache: dict[tuple[str, str, str], CompiledPolicy] = {}


def _compiled(policy_id: str, document: str, version: str = "") -> CompiledPolicy:
    """Managed policies are shared by many principals: compile each version once per process. The
    document is part of the key, since a deleted and recreated policy reuses its ARN and `v1`."""
    key = (policy_id, version, document)
    hit = _compiled_cache.get(key)
    if hit is None:
        # Stored documents were validated when written; their size quota was checked then.
        hit = compile_policy(
            parse(document, PolicyKind.IDENTITY, max_size=len(document)), policy_id
        )
        if len(_compiled_cache) > 10_000:
            _compiled_cache.clear()
        _compiled_cache[key] = hit
    return hit
