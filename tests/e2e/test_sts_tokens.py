"""GetSessionToken, GetFederationToken, GetAccessKeyInfo, MFA-protected sessions, and what happens
to expired and tampered session tokens (issue 5), with boto3 and the AWS CLI."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagegate.store import Keyring, SessionFacts
from sagegate.store.sessions import new_session_key_id, new_session_secret, seal_session
from tests.e2e.harness import Credentials, Deployment
from tests.e2e.helpers import allow, new_user


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def session(resp: dict[str, Any]) -> Credentials:
    c = resp["Credentials"]
    return Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = e.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


@pytest.fixture(scope="module")
def account(deployment: Deployment) -> str:
    return str(deployment.account["account_id"])


# -- TOTP, written out here (RFC 6238) so the test does not trust the server's own code ----------


def totp(seed: bytes, step: int) -> str:
    mac = hmac.new(seed, step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(int.from_bytes(mac[offset : offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def mfa_user(d: Deployment, *policies: dict[str, Any]) -> tuple[str, Credentials, str, bytes]:
    """A user with an enabled virtual MFA device: (name, credentials, serial, seed)."""
    name = unique("mfa")
    creds = new_user(d, name, *policies)
    iam = d.client("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed = base64.b32decode(device["Base32StringSeed"])
    step = int(time.time()) // 30
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp(seed, step - 1),
        AuthenticationCode2=totp(seed, step),
    )
    return name, creds, device["SerialNumber"], seed


def next_code(seed: bytes) -> str:
    """A code the server has not seen: one step ahead (inside its ±1 step window)."""
    return totp(seed, int(time.time()) // 30 + 1)


# -- GetSessionToken ---------------------------------------------------------------------------


def test_session_token_of_a_user_has_the_users_permissions(
    deployment: Deployment, account: str
) -> None:
    name = unique("st")
    creds = new_user(deployment, name, allow(["iam:ListUsers", "sagemaker:ListModels"]))
    resp = deployment.client("sts", creds).get_session_token(DurationSeconds=900)
    c = resp["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    assert 800 < (c["Expiration"] - datetime.now(UTC)).total_seconds() <= 901
    s = session(resp)
    ident = deployment.client("sts", s).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{account}:user/{name}"
    assert ident["UserId"] == deployment.client("iam").get_user(UserName=name)["User"]["UserId"]
    sagemaker = deployment.client("sagemaker", s)
    sagemaker.list_models()
    with pytest.raises(ClientError) as e:
        sagemaker.list_endpoints()
    code, message = error(e)
    assert code == "AccessDeniedException"
    assert message.startswith(f"User: arn:aws:iam::{account}:user/{name} is not authorized")
    # "You cannot call any IAM API operations unless MFA authentication information is included"
    with pytest.raises(ClientError) as e:
        deployment.client("iam", s).list_users()
    assert error(e)[0] == "AccessDenied"
    deployment.client("iam", creds).list_users()  # the user's own keys still may
    with pytest.raises(ClientError) as e:
        deployment.client("sts", s).get_session_token()
    assert error(e) == ("AccessDenied", "Cannot call GetSessionToken with session credentials")
    cli = deployment.aws("sts", "get-caller-identity", creds=s)
    assert cli["Arn"] == f"arn:aws:iam::{account}:user/{name}"


def test_session_token_of_the_root_user_lasts_at_most_an_hour(deployment: Deployment) -> None:
    other = deployment.create_account("--root-access-key")
    root = Credentials(other["root_access_key_id"], other["root_secret_access_key"])
    resp = deployment.client("sts", root).get_session_token(DurationSeconds=7200)
    left = (resp["Credentials"]["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 3500 < left <= 3601
    ident = deployment.aws("sts", "get-caller-identity", creds=session(resp))
    assert ident["Arn"] == f"arn:aws:iam::{other['account_id']}:root"
    # The root user may not assume roles, whatever the trust policy says.
    admin = Credentials(other["admin_access_key_id"], other["admin_secret_access_key"])
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{other['account_id']}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = deployment.client("iam", admin).create_role(
        RoleName="for-root", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    for creds in (root, session(resp)):
        with pytest.raises(ClientError) as e:
            deployment.client("sts", creds).assume_role(RoleArn=arn, RoleSessionName="root")
        assert error(e) == ("AccessDenied", "Roles may not be assumed by root accounts.")
    deployment.client("sts", admin).assume_role(RoleArn=arn, RoleSessionName="admin")
    # The session carries GetSessionToken's limits for the root user too: no IAM without MFA,
    # no STS but AssumeRole and GetCallerIdentity; the root's own key has neither limit.
    with pytest.raises(ClientError) as e:
        deployment.client("iam", session(resp)).list_users()
    assert error(e)[0] == "AccessDenied"
    assert "GetSessionTokenWithoutMFA limits" in error(e)[1]
    with pytest.raises(ClientError) as e:
        deployment.client("sts", session(resp)).get_access_key_info(AccessKeyId=root.access_key_id)
    assert error(e)[0] == "AccessDenied"
    deployment.client("sagemaker", session(resp)).list_notebook_instances()
    deployment.client("iam", root).list_users()


def test_mfa_session_token_satisfies_mfa_conditions(deployment: Deployment, account: str) -> None:
    needs_mfa = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListUsers",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }
    name, creds, serial, seed = mfa_user(deployment, needs_mfa)
    with pytest.raises(ClientError):
        deployment.client("iam", creds).list_users()  # long-term keys: the key is absent
    plain = session(deployment.client("sts", creds).get_session_token())
    with pytest.raises(ClientError):
        deployment.client("iam", plain).list_users()  # present, "false"
    sts = deployment.client("sts", creds)
    with pytest.raises(ClientError) as e:
        wrong = f"{(int(next_code(seed)) + 1) % 1_000_000:06d}"
        sts.get_session_token(SerialNumber=serial, TokenCode=wrong)
    code, message = error(e)
    assert code == "AccessDenied"
    assert message.startswith("MultiFactorAuthentication failed")
    resp = sts.get_session_token(SerialNumber=serial, TokenCode=next_code(seed))
    deployment.client("iam", session(resp)).list_users()  # IAM too: the session has MFA
    # Another user's device does not authenticate this one.
    _, other_creds, _, _ = mfa_user(deployment)
    with pytest.raises(ClientError) as e:
        deployment.client("sts", other_creds).get_session_token(
            SerialNumber=serial, TokenCode=next_code(seed)
        )
    assert error(e) == (
        "AccessDenied",
        "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
        "serial number is valid and associated with this user.",
    )


def test_assume_role_with_mfa(deployment: Deployment, account: str) -> None:
    name, creds, serial, seed = mfa_user(deployment)
    role = unique("mfa-role")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:user/{name}"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }
    arn = deployment.client("iam").create_role(
        RoleName=role, AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    sts = deployment.client("sts", creds)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="no-mfa")
    assert error(e)[0] == "AccessDenied"
    resp = sts.assume_role(
        RoleArn=arn, RoleSessionName="with-mfa", SerialNumber=serial, TokenCode=next_code(seed)
    )
    ident = deployment.client("sts", session(resp)).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/with-mfa"


# -- GetFederationToken ------------------------------------------------------------------------


def test_federation_token_is_the_intersection(deployment: Deployment, account: str) -> None:
    name = unique("fed")
    creds = new_user(
        deployment, name, allow(["sts:GetFederationToken", "iam:ListUsers", "iam:ListRoles"])
    )
    sts = deployment.client("sts", creds)
    resp = sts.get_federation_token(
        Name="bob", Policy=json.dumps(allow(["iam:ListUsers", "iam:CreateUser"]))
    )
    assert resp["FederatedUser"] == {
        "FederatedUserId": f"{account}:bob",
        "Arn": f"arn:aws:sts::{account}:federated-user/bob",
    }
    assert resp["PackedPolicySize"] > 0
    s = session(resp)
    ident = deployment.client("sts", s).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{account}:federated-user/bob"
    assert ident["UserId"] == f"{account}:bob"
    cli = deployment.aws("sts", "get-caller-identity", creds=s)
    assert cli["Arn"] == f"arn:aws:sts::{account}:federated-user/bob"
    # Federated users "cannot call any IAM operations using the AWS CLI or AWS API".
    with pytest.raises(ClientError) as e:
        deployment.client("iam", s).list_users()
    assert error(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        deployment.client("sts", s).get_federation_token(Name="again")
    assert error(e) == ("AccessDenied", "Cannot call GetFederationToken with session credentials")


def test_federation_token_needs_permission(deployment: Deployment, account: str) -> None:
    name = unique("nofed")
    creds = new_user(deployment, name)
    with pytest.raises(ClientError) as e:
        deployment.client("sts", creds).get_federation_token(Name="carol")
    code, message = error(e)
    assert code == "AccessDenied"
    assert message == (
        f"User: arn:aws:iam::{account}:user/{name} is not authorized to perform: "
        f"sts:GetFederationToken on resource: arn:aws:sts::{account}:federated-user/carol "
        "because no identity-based policy allows the sts:GetFederationToken action"
    )


# -- GetAccessKeyInfo --------------------------------------------------------------------------


def test_get_access_key_info(deployment: Deployment, account: str) -> None:
    sts = deployment.client("sts")
    info = sts.get_access_key_info(AccessKeyId=deployment.admin.access_key_id)
    assert info["Account"] == account
    temp = session(sts.get_session_token())
    info = sts.get_access_key_info(AccessKeyId=temp.access_key_id)
    assert info["Account"] == account
    other = deployment.create_account()
    info = sts.get_access_key_info(AccessKeyId=other["admin_access_key_id"])
    assert info["Account"] == other["account_id"]


# -- expired and tampered tokens ---------------------------------------------------------------


def forged(d: Deployment, **changes: Any) -> Credentials:
    """A session token sealed with the deployment's own key (read from its data folder)."""
    now = datetime.now(UTC).replace(microsecond=0)
    user = d.client("iam").get_user(UserName="admin")["User"]
    facts = dict(
        kind="User",
        account_id=d.account["account_id"],
        access_key_id=new_session_key_id(d.account["account_id"]),
        secret_access_key=new_session_secret(),
        issued_at=now - timedelta(hours=2),
        expires_at=now - timedelta(hours=1),
        user_id=user["UserId"],
        user_name="admin",
        user_path="/",
    )
    facts.update(changes)
    f = SessionFacts(**facts)
    token = seal_session(Keyring.load(d.data_dir), f)
    return Credentials(f.access_key_id, f.secret_access_key, token)


def test_expired_token_is_refused(deployment: Deployment) -> None:
    expired = forged(deployment)
    with pytest.raises(ClientError) as e:
        deployment.client("sts", expired).get_caller_identity()
    code, message = error(e)
    assert code == "ExpiredToken"
    assert message == "The security token included in the request is expired"
    proc = deployment.aws("sts", "get-caller-identity", creds=expired, check=False)
    assert proc.returncode != 0 and "ExpiredToken" in proc.stderr
    # The same forged session, still valid, is accepted: the key and format are right.
    now = datetime.now(UTC).replace(microsecond=0)
    valid = forged(deployment, issued_at=now, expires_at=now + timedelta(minutes=15))
    assert deployment.client("sts", valid).get_caller_identity()["Arn"].endswith(":user/admin")


def test_tampered_and_foreign_tokens_are_refused(deployment: Deployment) -> None:
    good = session(deployment.client("sts").get_session_token())
    sts = deployment.client("sts", good)
    sts.get_caller_identity()
    token = good.session_token or ""
    i = len(token) // 2
    flipped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    cases = [
        Credentials(good.access_key_id, good.secret_access_key, flipped),
        # The token of one key id presented with another.
        Credentials(new_session_key_id(), good.secret_access_key, token),
        # A long-term key with a session token.
        Credentials(deployment.admin.access_key_id, deployment.admin.secret_access_key, token),
        # A temporary key id without its token.
        Credentials(good.access_key_id, good.secret_access_key, None),
        # A token sealed by another deployment's key.
        Credentials(good.access_key_id, good.secret_access_key, "QUJD" + token[4:]),
    ]
    for creds in cases:
        with pytest.raises(ClientError) as e:
            deployment.client("sts", creds).get_caller_identity()
        code, message = error(e)
        assert code == "InvalidClientTokenId", creds
        assert message == "The security token included in the request is invalid."
