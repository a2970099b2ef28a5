"""sts:AssumeRoleWithWebIdentity end to end (issue 5, item 2): a real OpenID Connect issuer on
loopback (HTTPS with a CA the test made, discovery document and JWKS), tokens signed with keys the
test made, boto3 with an unsigned client and the AWS CLI; trust policy conditions on the token's
claims, AWS's errors, key rotation, thumbprints, and what the session may do afterwards."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from joserfc import jwk

from tests.e2e.harness import Credentials, Deployment
from tests.e2e.helpers import allow
from tests.e2e.oidc_issuer import Issuer, Pki

AUD = "sts.amazonaws.com"
ACTION = "sts:AssumeRoleWithWebIdentity"


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def code_of(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Code"])


def message_of(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Message"])


def session(resp: dict[str, Any]) -> Credentials:
    c = resp["Credentials"]
    return Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def unsigned_sts(d: Deployment) -> Any:
    return boto3.session.Session().client(
        "sts",
        endpoint_url=d.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def register(d: Deployment, issuer: Issuer, *client_ids: str, thumbprints: Any = None) -> str:
    """An IAM OIDC provider for `issuer` (its CA's thumbprint unless given); returns its ARN."""
    resp = d.client("iam").create_open_id_connect_provider(
        Url=issuer.url,
        ClientIDList=list(client_ids or (AUD,)),
        ThumbprintList=[issuer.pki.ca_thumbprint] if thumbprints is None else thumbprints,
    )
    return str(resp["OpenIDConnectProviderArn"])


def web_role(
    d: Deployment,
    provider_arn: str,
    *policies: dict[str, Any],
    condition: dict[str, Any] | None = None,
    actions: Any = ACTION,
    **extra: Any,
) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": actions,
    }
    if condition:
        statement["Condition"] = condition
    name = unique("web")
    iam = d.client("iam")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc, **extra)["Role"]["Arn"]
    for i, policy in enumerate(policies):
        iam.put_role_policy(RoleName=name, PolicyName=f"p{i}", PolicyDocument=json.dumps(policy))
    return str(arn)


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issuer]:
    i = Issuer(tmp_path_factory.mktemp("oidc"))
    yield i
    i.stop()


@pytest.fixture(scope="module")
def provider(deployment: Deployment, issuer: Issuer) -> str:
    return register(deployment, issuer, AUD, "other-client")


@pytest.fixture
def own_issuer(tmp_path: Path) -> Iterator[Issuer]:
    i = Issuer(tmp_path)
    yield i
    i.stop()


def test_assume_role_with_web_identity_and_use_the_session(
    deployment: Deployment, issuer: Issuer, provider: str
) -> None:
    account = deployment.account["account_id"]
    host = issuer.host
    role = web_role(
        deployment,
        provider,
        allow("iam:ListRoles"),
        condition={
            "StringEquals": {f"{host}:aud": AUD},
            "StringLike": {f"{host}:sub": "repo:acme/app:*"},
        },
    )
    token = issuer.token(sub="repo:acme/app:ref:refs/heads/main")
    resp = unsigned_sts(deployment).assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="ci-run", WebIdentityToken=token
    )
    name = role.rsplit("/", 1)[-1]
    assert resp["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/ci-run"
    assert resp["AssumedRoleUser"]["AssumedRoleId"].endswith(":ci-run")
    assert resp["SubjectFromWebIdentityToken"] == "repo:acme/app:ref:refs/heads/main"
    assert resp["Provider"] == provider
    assert resp["Audience"] == AUD
    assert resp["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert "PackedPolicySize" not in resp
    creds = session(resp)
    ident = deployment.client("sts", creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/ci-run"
    assert ident["Account"] == account
    iam = deployment.client("iam", creds)
    assert any(r["Arn"] == role for r in iam.list_roles()["Roles"])
    with pytest.raises(ClientError) as e:
        iam.list_users()
    assert code_of(e) == "AccessDenied"
    # The trust policy's conditions: another repository is refused.
    with pytest.raises(ClientError) as e:
        unsigned_sts(deployment).assume_role_with_web_identity(
            RoleArn=role, RoleSessionName="xx", WebIdentityToken=issuer.token(sub="repo:evil/app:x")
        )
    assert code_of(e) == "AccessDenied"
    assert ACTION in message_of(e)


def test_aws_cli_and_es256(deployment: Deployment, issuer: Issuer, provider: str) -> None:
    account = deployment.account["account_id"]
    role = web_role(deployment, provider, condition={"StringEquals": {f"{issuer.host}:sub": "svc"}})
    es_key = issuer.add_key("ES256")
    token = issuer.token(sub="svc", key=es_key)
    out = deployment.aws(
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        role,
        "--role-session-name",
        "cli-session",
        "--web-identity-token",
        token,
        "--duration-seconds",
        "900",
    )
    assert out["SubjectFromWebIdentityToken"] == "svc"
    creds = Credentials(
        out["Credentials"]["AccessKeyId"],
        out["Credentials"]["SecretAccessKey"],
        out["Credentials"]["SessionToken"],
    )
    who = deployment.aws("sts", "get-caller-identity", creds=creds)
    name = role.rsplit("/", 1)[-1]
    assert who["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/cli-session"
    # A denial through the CLI: the trust policy names another subject.
    proc = deployment.aws(
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        role,
        "--role-session-name",
        "cli-session",
        "--web-identity-token",
        issuer.token(sub="someone-else"),
        check=False,
    )
    assert proc.returncode != 0 and "AccessDenied" in proc.stderr


def test_token_errors(deployment: Deployment, issuer: Issuer, provider: str) -> None:
    role = web_role(deployment, provider)
    sts = unsigned_sts(deployment)

    def fails(token: str, **kwargs: Any) -> pytest.ExceptionInfo[ClientError]:
        with pytest.raises(ClientError) as e:
            sts.assume_role_with_web_identity(
                RoleArn=kwargs.pop("RoleArn", role),
                RoleSessionName="s1",
                WebIdentityToken=token,
                **kwargs,
            )
        return e

    e = fails(issuer.token(aud="not-a-client"))
    assert (code_of(e), message_of(e)) == ("InvalidIdentityToken", "Incorrect token audience")
    # A list audience is fine when one of its values is a client id.
    ok = sts.assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="s1", WebIdentityToken=issuer.token(aud=["x", "other-client"])
    )
    assert ok["Audience"] == "other-client"

    e = fails(issuer.token(lifetime=-60))
    assert code_of(e) == "ExpiredTokenException"
    assert message_of(e).startswith("Token expired: current date/time ")

    e = fails(issuer.token(nbf=int(time.time()) + 3600))
    assert code_of(e) == "IDPRejectedClaim"

    e = fails(issuer.token(exp=None))
    assert (code_of(e), message_of(e)) == ("InvalidIdentityToken", "Missing a required claim: exp")

    e = fails(issuer.token(exp=float(time.time() + 600)))
    assert code_of(e) == "InvalidIdentityToken"

    # Signed by a key the issuer never published, under a published kid: a bad signature.
    stranger = jwk.RSAKey.generate_key(2048, parameters={"kid": issuer.signing.kid, "alg": "RS256"})
    e = fails(issuer.token(key=stranger))
    assert code_of(e) == "InvalidIdentityToken"

    # A token whose signature part was altered.
    head, body, sig = issuer.token().split(".")
    e = fails(f"{head}.{body}.{sig[:-4]}AAAA")
    assert code_of(e) == "InvalidIdentityToken"

    e = fails("not-a-jwt")
    assert code_of(e) == "InvalidIdentityToken"

    e = fails(issuer.token(iss="https://unknown.example.com"))
    assert (code_of(e), message_of(e)) == (
        "InvalidIdentityToken",
        "No OpenIDConnect provider found in your account for https://unknown.example.com",
    )

    # The role's account has no such provider (the provider lives in the role's account).
    e = fails(issuer.token(), RoleArn="arn:aws:iam::111122223333:role/elsewhere")
    assert code_of(e) == "InvalidIdentityToken"

    # A role that does not exist is denied like any other denial.
    account = deployment.account["account_id"]
    e = fails(issuer.token(), RoleArn=f"arn:aws:iam::{account}:role/no-such-role")
    assert code_of(e) == "AccessDenied"

    # A role whose trust policy names another provider.
    other = web_role(deployment, provider.replace(issuer.host, "elsewhere.example.com"))
    e = fails(issuer.token(), RoleArn=other)
    assert code_of(e) == "AccessDenied"

    e = fails(issuer.token(), ProviderId="graph.facebook.com")
    assert code_of(e) == "IDPRejectedClaim"


def test_durations_and_session_policies(
    deployment: Deployment, issuer: Issuer, provider: str
) -> None:
    role = web_role(deployment, provider, allow(["iam:ListRoles", "iam:ListUsers"]))
    sts = unsigned_sts(deployment)
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(
            RoleArn=role,
            RoleSessionName="sess",
            WebIdentityToken=issuer.token(),
            DurationSeconds=7200,
        )
    assert code_of(e) == "ValidationError"
    assert "MaxSessionDuration" in message_of(e)
    resp = sts.assume_role_with_web_identity(
        RoleArn=role,
        RoleSessionName="sess",
        WebIdentityToken=issuer.token(),
        Policy=json.dumps(allow("iam:ListRoles")),
    )
    assert 0 < resp["PackedPolicySize"] <= 100
    iam = deployment.client("iam", session(resp))
    iam.list_roles()
    with pytest.raises(ClientError) as e:
        iam.list_users()  # the role allows it, the session policy does not
    assert code_of(e) == "AccessDenied"


def test_federated_provider_key_and_tags_and_source_identity(
    deployment: Deployment, issuer: Issuer, provider: str
) -> None:
    account = deployment.account["account_id"]
    by_provider = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListRoles",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:FederatedProvider": provider}},
            },
            {
                "Effect": "Allow",
                "Action": "iam:ListUsers",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ml"}},
            },
        ],
    }
    tags_claim = {
        "https://aws.amazon.com/tags": {
            "principal_tags": {"team": ["ml"], "project": ["p1"]},
            "transitive_tag_keys": ["team"],
        },
        "https://aws.amazon.com/source_identity": "alice",
    }
    sts = unsigned_sts(deployment)
    plain = web_role(deployment, provider, by_provider)
    with pytest.raises(ClientError) as e:  # the trust policy allows neither tags nor identity
        sts.assume_role_with_web_identity(
            RoleArn=plain, RoleSessionName="sess", WebIdentityToken=issuer.token(**tags_claim)
        )
    assert code_of(e) == "AccessDenied"
    role = web_role(
        deployment,
        provider,
        by_provider,
        actions=[ACTION, "sts:TagSession", "sts:SetSourceIdentity"],
        condition={"StringEquals": {"aws:RequestTag/team": "ml", "sts:SourceIdentity": "alice"}},
    )
    resp = sts.assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="sess", WebIdentityToken=issuer.token(**tags_claim)
    )
    assert resp["SourceIdentity"] == "alice"
    assert 0 < resp["PackedPolicySize"] <= 100
    iam = deployment.client("iam", session(resp))
    iam.list_roles()  # aws:FederatedProvider is the provider ARN in the session's requests
    iam.list_users()  # aws:PrincipalTag/team from the token's session tags
    name = role.rsplit("/", 1)[-1]
    ident = deployment.client("sts", session(resp)).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/sess"


def test_key_rotation(deployment: Deployment, own_issuer: Issuer) -> None:
    provider = register(deployment, own_issuer)
    role = web_role(deployment, provider)
    sts = unsigned_sts(deployment)
    old = own_issuer.signing
    sts.assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="sess", WebIdentityToken=own_issuer.token()
    )
    own_issuer.rotate("ES256")
    resp = sts.assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="sess", WebIdentityToken=own_issuer.token()
    )
    assert resp["Credentials"]["AccessKeyId"].startswith("ASIA")
    with pytest.raises(ClientError) as e:  # the retired key no longer verifies anything
        sts.assume_role_with_web_identity(
            RoleArn=role, RoleSessionName="sess", WebIdentityToken=own_issuer.token(key=old)
        )
    assert code_of(e) == "InvalidIdentityToken"
    assert message_of(e).startswith("Couldn't retrieve verification key from your identity")


def test_thumbprints(deployment: Deployment, own_issuer: Issuer) -> None:
    stranger = Pki.generate("another CA")
    provider = register(deployment, own_issuer, thumbprints=[stranger.ca_thumbprint])
    role = web_role(deployment, provider)
    sts = unsigned_sts(deployment)
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(
            RoleArn=role, RoleSessionName="sess", WebIdentityToken=own_issuer.token()
        )
    assert (code_of(e), message_of(e)) == (
        "InvalidIdentityToken",
        "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
    )
    deployment.client("iam").update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=provider,
        ThumbprintList=[stranger.ca_thumbprint, own_issuer.pki.ca_thumbprint],
    )
    sts.assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="sess", WebIdentityToken=own_issuer.token()
    )


def test_issuer_unreachable(deployment: Deployment, own_issuer: Issuer) -> None:
    provider = register(deployment, own_issuer)
    role = web_role(deployment, provider)
    token = own_issuer.token()
    own_issuer.stop()
    with pytest.raises(ClientError) as e:
        unsigned_sts(deployment).assume_role_with_web_identity(
            RoleArn=role, RoleSessionName="sess", WebIdentityToken=token
        )
    assert code_of(e) == "IDPCommunicationError"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_azp_oaud_and_amr_condition_keys(
    deployment: Deployment, issuer: Issuer, provider: str
) -> None:
    """*Available keys for AWS web identity federation*: with `azp` set, `:aud` is the `azp`
    claim and `:oaud` the `aud` claim; `:amr` is multivalued."""
    host = issuer.host
    role = web_role(
        deployment,
        provider,
        condition={
            "StringEquals": {f"{host}:aud": "web-app", f"{host}:oaud": AUD},
            "ForAnyValue:StringEquals": {f"{host}:amr": "mfa"},
        },
    )
    sts = unsigned_sts(deployment)
    good = issuer.token(azp="web-app", amr=["pwd", "mfa"])
    resp = sts.assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="sess", WebIdentityToken=good
    )
    assert resp["Audience"] == AUD
    for token in (issuer.token(azp="web-app", amr=["pwd"]), issuer.token(amr=["mfa"])):
        with pytest.raises(ClientError) as e:
            sts.assume_role_with_web_identity(
                RoleArn=role, RoleSessionName="sess", WebIdentityToken=token
            )
        assert code_of(e) == "AccessDenied"
