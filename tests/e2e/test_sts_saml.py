"""sts:AssumeRoleWithSAML end to end (issue 5): a test identity provider registered with
CreateSAMLProvider signs real SAML responses; boto3 (unsigned) and the AWS CLI exchange them for
role sessions, which then act under the role's policies."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.harness import Credentials, Deployment
from tests.e2e.helpers import allow
from tests.e2e.saml_idp import ATTR, IdP, Signer, encode, tampered, wrapped

ACTIONS = ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"]


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


@pytest.fixture(scope="module")
def idp() -> IdP:
    return IdP()


@pytest.fixture(scope="module")
def provider(deployment: Deployment, idp: IdP) -> str:
    resp = deployment.client("iam").create_saml_provider(
        Name=unique("idp"), SAMLMetadataDocument=idp.metadata()
    )
    return str(resp["SAMLProviderArn"])


def sts(d: Deployment) -> Any:
    return boto3.session.Session().client(
        "sts",
        endpoint_url=d.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def make_role(
    d: Deployment,
    provider: str,
    *policies: dict[str, Any],
    condition: dict[str, Any] | None = None,
    actions: list[str] | None = None,
    **extra: Any,
) -> tuple[str, str]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": actions or ACTIONS,
    }
    if condition:
        statement["Condition"] = condition
    name = unique("saml-role")
    iam = d.client("iam")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc, **extra)["Role"]["Arn"]
    for i, policy in enumerate(policies):
        iam.put_role_policy(RoleName=name, PolicyName=f"p{i}", PolicyDocument=json.dumps(policy))
    return name, str(arn)


def assume(d: Deployment, role: str, provider: str, xml: bytes, **kw: Any) -> dict[str, Any]:
    return dict(
        sts(d).assume_role_with_saml(
            RoleArn=role, PrincipalArn=provider, SAMLAssertion=encode(xml), **kw
        )
    )


def refused(d: Deployment, role: str, provider: str, xml: bytes, code: str, **kw: Any) -> str:
    with pytest.raises(ClientError) as e:
        assume(d, role, provider, xml, **kw)
    assert e.value.response["Error"]["Code"] == code, e.value.response
    return str(e.value.response["Error"]["Message"])


def session(resp: dict[str, Any]) -> Credentials:
    c = resp["Credentials"]
    return Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def test_session_from_a_signed_response(deployment: Deployment, idp: IdP, provider: str) -> None:
    d = deployment
    account = d.account["account_id"]
    name, role = make_role(d, provider, allow("iam:GetRole", f"arn:aws:iam::{account}:role/*"))
    resp = assume(d, role, provider, idp.response([(role, provider)], session_name="alice"))
    assert resp["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/alice"
    assert resp["Subject"] == "alice@example.com"
    assert resp["SubjectType"] == "persistent"
    assert resp["Issuer"] == idp.entity_id
    assert resp["Audience"] == "https://signin.aws.amazon.com/saml"
    provider_name = provider.rsplit("/", 1)[1]
    digest = hashlib.sha1(f"{idp.entity_id}{account}/{provider_name}".encode()).digest()
    assert resp["NameQualifier"] == base64.b64encode(digest).decode()
    assert "PackedPolicySize" not in resp
    creds = session(resp)
    ident = d.client("sts", creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/alice"
    assert d.aws("sts", "get-caller-identity", creds=creds)["Arn"] == ident["Arn"]
    # The role's policy decides what the session may do.
    assert d.client("iam", creds).get_role(RoleName=name)["Role"]["Arn"] == role
    with pytest.raises(ClientError) as e:
        d.client("iam", creds).list_users()
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_aws_cli(deployment: Deployment, idp: IdP, provider: str) -> None:
    d = deployment
    name, role = make_role(d, provider)
    out = d.aws(
        "sts",
        "assume-role-with-saml",
        "--role-arn",
        role,
        "--principal-arn",
        provider,
        "--saml-assertion",
        encode(idp.response([(provider, role)], session_name="cli-user")),
        "--duration-seconds",
        "900",
    )
    assert out["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{name}/cli-user")
    expires = datetime.fromisoformat(out["Credentials"]["Expiration"].replace("Z", "+00:00"))
    assert expires <= datetime.now(UTC) + timedelta(seconds=905)


def test_trust_conditions_on_saml_keys(deployment: Deployment, idp: IdP, provider: str) -> None:
    d = deployment
    account = d.account["account_id"]
    condition = {
        "StringEquals": {
            "saml:aud": "https://signin.aws.amazon.com/saml",
            "saml:sub": "alice@example.com",
            "saml:iss": idp.entity_id,
            "saml:doc": f"{account}/{provider.rsplit('/', 1)[1]}",
        },
        "ForAnyValue:StringEquals": {"saml:edupersonaffiliation": "staff"},
    }
    _, role = make_role(d, provider, condition=condition)
    staff = {"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["member", "staff"]}
    assume(d, role, provider, idp.response([(role, provider)], attributes=staff))
    bob = idp.response([(role, provider)], subject="bob@example.com", attributes=staff)
    refused(d, role, provider, bob, "AccessDenied")
    students = {"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["student"]}
    refused(
        d, role, provider, idp.response([(role, provider)], attributes=students), "AccessDenied"
    )
    # A trust policy for another provider does not let this one in.
    _, other = make_role(d, f"arn:aws:iam::{account}:saml-provider/someone-else")
    refused(d, other, provider, idp.response([(other, provider)]), "AccessDenied")


def test_invalid_responses(deployment: Deployment, idp: IdP, provider: str) -> None:
    d = deployment
    _, role = make_role(d, provider)
    pair = [(role, provider)]
    good = idp.response(pair)
    msg = refused(d, role, provider, tampered(good, ">alice<", ">admin<"), "InvalidIdentityToken")
    assert msg == "Response signature invalid"
    evil = idp.response(pair, signer=Signer.generate("evil"))
    refused(d, role, provider, evil, "InvalidIdentityToken")
    refused(d, role, provider, wrapped(good), "InvalidIdentityToken")
    refused(d, role, provider, idp.response(pair, sign="none"), "InvalidIdentityToken")
    wrong_aud = idp.response(pair, audience="https://sp.example.com")
    assert refused(d, role, provider, wrong_aud, "InvalidIdentityToken") == (
        "Response does not contain the required audience."
    )
    old = idp.response(
        pair, now=datetime.now(UTC) - timedelta(minutes=4), lifetime=timedelta(minutes=1)
    )
    assert refused(d, role, provider, old, "ExpiredTokenException") == "Response has expired"
    no_name = idp.response(pair, session_name=None)
    assert refused(d, role, provider, no_name, "InvalidIdentityToken") == (
        "RoleSessionName is required in AuthnResponse"
    )
    refused(d, role, provider, idp.response(pair, session_name="has space"), "InvalidIdentityToken")
    other_issuer = idp.response(pair, issuer="https://evil.example.com")
    assert refused(d, role, provider, other_issuer, "InvalidIdentityToken") == (
        "Issuer not present in specified provider"
    )
    # The requested role must be one the response names, with this provider.
    _, role2 = make_role(d, provider)
    refused(d, role2, provider, good, "AccessDenied")
    refused(d, role, provider, idp.response([(role2, provider)]), "AccessDenied")
    account = d.account["account_id"]
    unknown = f"arn:aws:iam::{account}:saml-provider/nope"
    msg = refused(d, role, unknown, idp.response([(role, unknown)]), "InvalidIdentityToken")
    assert msg == "Specified provider doesn't exist"
    missing = f"arn:aws:iam::{account}:role/no-such-role"
    refused(d, missing, provider, idp.response([(missing, provider)]), "AccessDenied")


def test_expired_metadata(deployment: Deployment, idp: IdP) -> None:
    d = deployment
    past = datetime.now(UTC) - timedelta(days=1)
    arn = d.client("iam").create_saml_provider(
        Name=unique("old"), SAMLMetadataDocument=idp.metadata(valid_until=past)
    )["SAMLProviderArn"]
    _, role = make_role(d, arn)
    refused(d, role, arn, idp.response([(role, arn)]), "InvalidIdentityToken")


def test_session_tags_and_source_identity(deployment: Deployment, idp: IdP, provider: str) -> None:
    d = deployment
    account = d.account["account_id"]
    by_tag = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:GetRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/Project": "Blue"}},
            }
        ],
    }
    name, role = make_role(d, provider, by_tag)
    attributes = {
        ATTR + "PrincipalTag:Project": ["Blue"],
        ATTR + "TransitiveTagKeys": ["Project"],
        ATTR + "SourceIdentity": ["alice-id"],
    }
    resp = assume(d, role, provider, idp.response([(role, provider)], attributes=attributes))
    assert resp["SourceIdentity"] == "alice-id"
    assert resp["PackedPolicySize"] > 0
    creds = session(resp)
    d.client("iam", creds).get_role(RoleName=name)
    red = {ATTR + "PrincipalTag:Project": ["Red"]}
    creds = session(assume(d, role, provider, idp.response([(role, provider)], attributes=red)))
    with pytest.raises(ClientError):
        d.client("iam", creds).get_role(RoleName=name)
    # Without sts:TagSession (or sts:SetSourceIdentity) in the trust policy: refused.
    _, strict = make_role(d, provider, actions=["sts:AssumeRoleWithSAML"])
    refused(d, strict, provider, idp.response([(strict, provider)], attributes=red), "AccessDenied")
    source = {ATTR + "SourceIdentity": ["alice-id"]}
    refused(
        d, strict, provider, idp.response([(strict, provider)], attributes=source), "AccessDenied"
    )
    assume(d, strict, provider, idp.response([(strict, provider)]))
    assert account


def test_durations_and_session_policies(deployment: Deployment, idp: IdP, provider: str) -> None:
    d = deployment
    name, role = make_role(d, provider, allow(["iam:GetRole", "iam:ListRoles"]))
    pair = [(role, provider)]
    with pytest.raises(ClientError) as e:
        assume(d, role, provider, idp.response(pair), DurationSeconds=7200)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    short = {ATTR + "SessionDuration": ["900"]}
    resp = assume(d, role, provider, idp.response(pair, attributes=short))
    assert resp["Credentials"]["Expiration"] <= datetime.now(UTC) + timedelta(seconds=905)
    resp = assume(d, role, provider, idp.response(pair), Policy=json.dumps(allow("iam:GetRole")))
    assert resp["PackedPolicySize"] > 0
    iam = d.client("iam", session(resp))
    iam.get_role(RoleName=name)
    with pytest.raises(ClientError):
        iam.list_roles()
    with pytest.raises(ClientError) as e:
        assume(d, role, provider, idp.response(pair), Policy='{"Version": "2012-10-17"')
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_session_requests_carry_saml_keys(deployment: Deployment, idp: IdP, provider: str) -> None:
    """Permission policies of the role can test saml:sub and aws:FederatedProvider."""
    d = deployment
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:GetRole",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "saml:sub": "alice@example.com",
                        "aws:FederatedProvider": provider,
                    }
                },
            }
        ],
    }
    name, role = make_role(d, provider, policy)
    alice = session(assume(d, role, provider, idp.response([(role, provider)])))
    d.client("iam", alice).get_role(RoleName=name)
    carol = idp.response([(role, provider)], subject="carol@example.com")
    with pytest.raises(ClientError):
        d.client("iam", session(assume(d, role, provider, carol))).get_role(RoleName=name)
