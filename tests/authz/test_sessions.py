"""Temporary credentials inside sagegate.authz: who the caller of a session is (identity), which
condition keys its requests carry (context), and which policies decide (authorizer)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sagegate.authz import AccessDenied, Authorizer, EpochGuard, Identities
from sagegate.authz.context import global_keys
from sagegate.authz.identity import merge_tags
from sagegate.policy.context import Context
from sagegate.protocol.registry import Call, Caller, OperationSpec
from sagegate.sigv4 import SigV4Error
from sagegate.store import Account, SessionFacts, Store
from sagegate.store.sessions import new_session_key_id, new_session_secret

NOW = datetime.now(UTC).replace(microsecond=0)


def doc(*actions: str, effect: str = "Allow", condition: dict[str, Any] | None = None) -> str:
    st: dict[str, Any] = {"Effect": effect, "Action": list(actions), "Resource": "*"}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def trust(account_id: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def role_session(store: Store, account: Account, role_name: str, **changes: Any) -> SessionFacts:
    role = store.get_role(account.account_id, role_name)
    facts = SessionFacts(
        kind="AssumedRole",
        account_id=account.account_id,
        access_key_id=new_session_key_id(account.account_id),
        secret_access_key=new_session_secret(),
        issued_at=NOW - timedelta(minutes=10),
        expires_at=NOW + timedelta(minutes=50),
        role_id=role.role_id,
        role_arn=role.arn,
        role_name=role.name,
        session_name="sess",
    )
    return replace(facts, **changes)


def resolve(ids: Identities, store: Store, facts: SessionFacts) -> tuple[Caller, str]:
    return ids.resolve(facts.access_key_id, store.seal_session(facts), NOW)


def call_of(caller: Caller, store: Store, **kw: Any) -> Call:
    return Call(
        service="iam",
        operation="ListUsers",
        caller=caller,
        region="eu-west-1",
        request_id="r",
        now=NOW,
        store=store,
        source_ip="203.0.113.9",
        **kw,
    )


def allowed(authorizer: Authorizer, caller: Caller, store: Store, action: str) -> bool:
    spec = OperationSpec(
        service=action.split(":")[0],
        name=action.split(":")[1],
        handler=lambda c, p: {},
        action=action,
        resources=lambda c, p: ["*"],
    )
    try:
        authorizer.check(call_of(caller, store), spec, {})
    except AccessDenied:
        return False
    return True


# -- identity ----------------------------------------------------------------------------------


def test_merge_tags_session_tags_win_whatever_the_case() -> None:
    assert merge_tags((("Team", "red"), ("Cost", "1")), (("team", "blue"),)) == (
        ("Cost", "1"),
        ("team", "blue"),
    )
    assert merge_tags((("A", "1"),), ()) == (("A", "1"),)


def test_role_session_caller(store: Store, account: Account, identities: Identities) -> None:
    a = account.account_id
    store.create_role(a, "Reader", trust(a), path="/app/", tags=(("Team", "red"), ("X", "1")))
    facts = role_session(store, account, "Reader", tags=(("team", "blue"),))
    caller, secret = resolve(identities, store, facts)
    assert secret == facts.secret_access_key
    assert caller.type == "AssumedRole"
    assert caller.arn == f"arn:aws:sts::{a}:assumed-role/Reader/sess"
    assert caller.role_arn == f"arn:aws:iam::{a}:role/app/Reader"
    assert caller.userid == f"{facts.role_id}:sess"
    assert caller.username is None and caller.user_id is None
    assert caller.access_key_id == facts.access_key_id
    assert caller.tags == (("X", "1"), ("team", "blue"))
    assert caller.session["facts"] == facts


def test_federated_user_and_session_token_callers(
    store: Store, account: Account, identities: Identities
) -> None:
    a = account.account_id
    user = store.create_user(a, "bob", "/ops/", tags=(("Team", "red"),))
    base = SessionFacts(
        kind="FederatedUser",
        account_id=a,
        access_key_id=new_session_key_id(a),
        secret_access_key=new_session_secret(),
        issued_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        user_id=user.user_id,
        user_name="bob",
        user_path="/ops/",
        federated_name="carol",
    )
    fed, _ = resolve(identities, store, base)
    assert (fed.type, fed.arn, fed.userid) == (
        "FederatedUser",
        f"arn:aws:sts::{a}:federated-user/carol",
        f"{a}:carol",
    )
    assert fed.role_arn == f"arn:aws:iam::{a}:user/ops/bob"
    assert fed.tags == (("Team", "red"),)
    plain, _ = resolve(
        identities,
        store,
        replace(base, kind="User", federated_name=None, access_key_id=new_session_key_id(a)),
    )
    assert (plain.type, plain.arn, plain.userid, plain.username) == (
        "User",
        f"arn:aws:iam::{a}:user/ops/bob",
        user.user_id,
        "bob",
    )
    root, _ = resolve(
        identities,
        store,
        replace(base, kind="Account", user_id=None, user_name=None, access_key_id="ASIAXX"),
    )
    assert (root.type, root.arn, root.is_root) == ("Account", f"arn:aws:iam::{a}:root", True)


def test_expired_tampered_and_missing_tokens(
    store: Store, account: Account, identities: Identities
) -> None:
    a = account.account_id
    store.create_role(a, "R", trust(a))
    facts = role_session(store, account, "R", expires_at=NOW)
    token = store.seal_session(facts)
    with pytest.raises(SigV4Error) as e:
        identities.resolve(facts.access_key_id, token, NOW)
    assert e.value.code == "ExpiredToken"
    with pytest.raises(SigV4Error) as e:
        identities.resolve(facts.access_key_id, token[:-3] + "AAA", NOW - timedelta(hours=1))
    assert e.value.code == "InvalidClientTokenId"
    with pytest.raises(SigV4Error) as e:
        identities.resolve(facts.access_key_id, None, NOW)
    assert e.value.code == "InvalidClientTokenId"
    # Still valid a moment earlier: the same token opens (and came from the cache).
    caller, _ = identities.resolve(facts.access_key_id, token, NOW - timedelta(seconds=1))
    assert caller.type == "AssumedRole"


def test_long_term_key_with_a_token_is_refused(
    store: Store, account: Account, identities: Identities, guard: EpochGuard
) -> None:
    store.create_user(account.account_id, "u", tags=(("Dept", "7"),))
    key, _ = store.create_access_key(account.account_id, "u")
    guard.sync()
    caller, _ = identities.resolve(key.access_key_id)
    assert caller.tags == (("Dept", "7"),)
    with pytest.raises(SigV4Error) as e:
        identities.resolve(key.access_key_id, "some-token", NOW)
    assert e.value.code == "InvalidClientTokenId"


# -- context -----------------------------------------------------------------------------------


def test_global_keys_of_a_role_session(
    store: Store, account: Account, identities: Identities
) -> None:
    a = account.account_id
    store.create_role(a, "R", trust(a), tags=(("Team", "red"),))
    facts = role_session(
        store, account, "R", source_identity="alice", mfa_auth_time=NOW - timedelta(seconds=90)
    )
    caller, _ = resolve(identities, store, facts)
    keys = Context(global_keys(call_of(caller, store, secure_transport=True)))
    assert keys["aws:PrincipalArn"] == f"arn:aws:iam::{a}:role/R"
    assert keys["aws:PrincipalType"] == "AssumedRole"
    assert keys["aws:PrincipalAccount"] == a
    assert keys["aws:userid"] == f"{facts.role_id}:sess"
    assert "aws:username" not in keys
    assert keys["aws:PrincipalTag/Team"] == "red"
    assert keys["aws:TokenIssueTime"] == (NOW - timedelta(minutes=10)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert keys["aws:MultiFactorAuthPresent"] == "true"
    assert keys["aws:MultiFactorAuthAge"] == "90"
    assert keys["aws:SourceIdentity"] == "alice"
    assert keys["aws:SourceIp"] == "203.0.113.9"
    assert keys["aws:SecureTransport"] == "true"
    assert keys["aws:RequestedRegion"] == "eu-west-1"
    assert keys["aws:ViaAWSService"] == "false"
    assert "aws:CalledVia" not in keys and "aws:FederatedProvider" not in keys


def test_global_keys_of_long_term_credentials_have_no_session_keys(
    store: Store, account: Account, identities: Identities, guard: EpochGuard
) -> None:
    store.create_user(account.account_id, "u")
    key, _ = store.create_access_key(account.account_id, "u")
    guard.sync()
    caller, _ = identities.resolve(key.access_key_id)
    keys = Context(global_keys(call_of(caller, store)))
    assert keys["aws:username"] == "u"
    assert keys["aws:PrincipalArn"] == f"arn:aws:iam::{account.account_id}:user/u"
    for absent in ("aws:MultiFactorAuthPresent", "aws:TokenIssueTime", "aws:SourceIdentity"):
        assert absent not in keys


# -- authorizer --------------------------------------------------------------------------------


def test_role_session_is_decided_by_role_boundary_and_session_policies(
    store: Store, account: Account, identities: Identities, authorizer: Authorizer
) -> None:
    a = account.account_id
    boundary = store.create_policy(a, "B", "/", doc("iam:ListUsers", "iam:ListRoles"))
    store.create_role(a, "R", trust(a), permissions_boundary_arn=boundary.arn)
    store.put_role_policy(a, "R", "p", doc("iam:ListUsers", "iam:ListRoles", "iam:ListGroups"))
    caller, _ = resolve(identities, store, role_session(store, account, "R"))
    assert allowed(authorizer, caller, store, "iam:ListUsers")
    assert allowed(authorizer, caller, store, "iam:ListRoles")
    assert not allowed(authorizer, caller, store, "iam:ListGroups")  # outside the boundary
    assert not allowed(authorizer, caller, store, "iam:CreateUser")
    narrowed, _ = resolve(
        identities, store, role_session(store, account, "R", policy=doc("iam:ListUsers"))
    )
    assert allowed(authorizer, narrowed, store, "iam:ListUsers")
    assert not allowed(authorizer, narrowed, store, "iam:ListRoles")  # outside the session
    # The unrestricted session's set is not the narrowed one's (separate cache entries).
    assert allowed(authorizer, caller, store, "iam:ListRoles")


def test_managed_session_policies(
    store: Store, account: Account, identities: Identities, authorizer: Authorizer
) -> None:
    a = account.account_id
    managed = store.create_policy(a, "OnlyRoles", "/", doc("iam:ListRoles"))
    store.create_role(a, "R", trust(a))
    store.put_role_policy(a, "R", "p", doc("iam:*"))
    facts = role_session(store, account, "R", policy_arns=(managed.arn,))
    caller, _ = resolve(identities, store, facts)
    assert allowed(authorizer, caller, store, "iam:ListRoles")
    assert not allowed(authorizer, caller, store, "iam:ListUsers")


def test_a_deleted_role_allows_nothing(
    store: Store,
    account: Account,
    identities: Identities,
    authorizer: Authorizer,
    guard: EpochGuard,
) -> None:
    a = account.account_id
    store.create_role(a, "Gone", trust(a))
    store.put_role_policy(a, "Gone", "p", doc("iam:ListUsers"))
    caller, _ = resolve(identities, store, role_session(store, account, "Gone"))
    assert allowed(authorizer, caller, store, "iam:ListUsers")
    store.delete_role_policy(a, "Gone", "p")
    store.delete_role(a, "Gone")
    store.create_role(a, "Gone", trust(a))  # same name, another role
    store.put_role_policy(a, "Gone", "p", doc("iam:ListUsers"))
    guard.sync()
    caller, _ = identities.resolve(caller.access_key_id or "", _token_of(caller, store), NOW)
    assert not allowed(authorizer, caller, store, "iam:ListUsers")


def _token_of(caller: Caller, store: Store) -> str:
    return store.seal_session(caller.session["facts"])


def test_revocation_by_token_issue_time(
    store: Store,
    account: Account,
    identities: Identities,
    authorizer: Authorizer,
    guard: EpochGuard,
) -> None:
    a = account.account_id
    store.create_role(a, "R", trust(a))
    store.put_role_policy(a, "R", "p", doc("iam:ListUsers"))
    old, _ = resolve(identities, store, role_session(store, account, "R"))
    new, _ = resolve(identities, store, role_session(store, account, "R", issued_at=NOW))
    cutoff = (NOW - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    revoke = doc("*", effect="Deny", condition={"DateLessThan": {"aws:TokenIssueTime": cutoff}})
    store.put_role_policy(a, "R", "AWSRevokeOlderSessions", revoke)
    guard.sync()
    assert not allowed(authorizer, old, store, "iam:ListUsers")
    assert allowed(authorizer, new, store, "iam:ListUsers")


def test_federated_user_is_the_intersection(
    store: Store, account: Account, identities: Identities, authorizer: Authorizer
) -> None:
    a = account.account_id
    user = store.create_user(a, "bob")
    store.put_user_policy(a, "bob", "p", doc("iam:ListUsers", "sagemaker:ListModels"))
    base = SessionFacts(
        kind="FederatedUser",
        account_id=a,
        access_key_id=new_session_key_id(a),
        secret_access_key=new_session_secret(),
        issued_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        user_id=user.user_id,
        user_name="bob",
        user_path="/",
        federated_name="fed",
    )
    none, _ = resolve(identities, store, base)
    assert not allowed(authorizer, none, store, "sagemaker:ListModels")  # no session policy
    some, _ = resolve(
        identities,
        store,
        replace(
            base,
            access_key_id=new_session_key_id(a),
            policy=doc("sagemaker:ListModels", "sagemaker:ListEndpoints", "iam:ListUsers"),
        ),
    )
    assert allowed(authorizer, some, store, "sagemaker:ListModels")
    assert not allowed(authorizer, some, store, "sagemaker:ListEndpoints")  # user lacks it
    assert not allowed(authorizer, some, store, "iam:ListUsers")  # no IAM for federated users


def test_session_token_without_mfa_cannot_call_iam(
    store: Store, account: Account, identities: Identities, authorizer: Authorizer
) -> None:
    a = account.account_id
    user = store.create_user(a, "u")
    store.put_user_policy(a, "u", "p", doc("iam:ListUsers", "sagemaker:ListModels"))
    base = SessionFacts(
        kind="User",
        account_id=a,
        access_key_id=new_session_key_id(a),
        secret_access_key=new_session_secret(),
        issued_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        user_id=user.user_id,
        user_name="u",
        user_path="/",
    )
    plain, _ = resolve(identities, store, base)
    assert allowed(authorizer, plain, store, "sagemaker:ListModels")
    assert not allowed(authorizer, plain, store, "iam:ListUsers")
    mfa, _ = resolve(
        identities, store, replace(base, access_key_id=new_session_key_id(a), mfa_auth_time=NOW)
    )
    assert allowed(authorizer, mfa, store, "iam:ListUsers")
