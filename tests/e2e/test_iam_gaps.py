"""IAM's smaller gaps through boto3 and the AWS CLI (issue 4): the reserved `aws:` tag prefix,
user resource tags on the credential calls, policy version ids that are never reused, and the
credential report as a stored snapshot."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user
from tests.e2e.test_providers import THUMB, metadata

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
DOC = json.dumps(allow("s3:GetObject"))


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


# -- the reserved aws: prefix --------------------------------------------------------------------

RESERVED = [{"Key": "aws:owner", "Value": "me"}]


def _entities(d: Deployment, n: str) -> dict[str, Any]:
    """One entity of each taggable IAM kind, named after `n`; returns how to address each."""
    iam = d.client("iam")
    account = d.account["account_id"]
    iam.create_user(UserName=f"{n}-u")
    iam.create_role(RoleName=f"{n}-r", AssumeRolePolicyDocument=TRUST)
    policy = iam.create_policy(PolicyName=f"{n}-p", PolicyDocument=DOC)["Policy"]["Arn"]
    iam.create_instance_profile(InstanceProfileName=f"{n}-ip")
    mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{n}-mfa")["VirtualMFADevice"]
    oidc = iam.create_open_id_connect_provider(
        Url=f"https://{n}.example.com", ThumbprintList=[THUMB]
    )["OpenIDConnectProviderArn"]
    saml = iam.create_saml_provider(Name=f"{n}-saml", SAMLMetadataDocument=metadata())
    assert oidc == f"arn:aws:iam::{account}:oidc-provider/{n}.example.com"
    return {
        "user": {"UserName": f"{n}-u"},
        "role": {"RoleName": f"{n}-r"},
        "policy": {"PolicyArn": policy},
        "profile": {"InstanceProfileName": f"{n}-ip"},
        "mfa": {"SerialNumber": mfa["SerialNumber"]},
        "oidc": {"OpenIDConnectProviderArn": oidc},
        "saml": {"SAMLProviderArn": saml["SAMLProviderArn"]},
    }


TAG_CALLS = [
    ("user", "tag_user", "untag_user", "list_user_tags"),
    ("role", "tag_role", "untag_role", "list_role_tags"),
    ("policy", "tag_policy", "untag_policy", "list_policy_tags"),
    ("profile", "tag_instance_profile", "untag_instance_profile", "list_instance_profile_tags"),
    ("mfa", "tag_mfa_device", "untag_mfa_device", "list_mfa_device_tags"),
    ("oidc", "tag_open_id_connect_provider", "untag_open_id_connect_provider",
     "list_open_id_connect_provider_tags"),
    ("saml", "tag_saml_provider", "untag_saml_provider", "list_saml_provider_tags"),
]  # fmt: skip


def test_tag_and_untag_refuse_the_aws_prefix_on_every_kind(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    ids = _entities(deployment, "resv")
    for kind, tag, untag, list_tags in TAG_CALLS:
        for bad in (RESERVED, [{"Key": "ok", "Value": "x"}, {"Key": "AWS:Team", "Value": "x"}]):
            with pytest.raises(ClientError) as e:
                getattr(iam, tag)(**ids[kind], Tags=bad)
            code, message, status = error(e)
            assert (code, status) == ("InvalidInput", 400), kind
            assert "aws:" in message and "reserved" in message, kind
        with pytest.raises(ClientError) as e:
            getattr(iam, tag)(**ids[kind], Tags=[{"Key": "owner", "Value": "aws:me"}])
        assert error(e)[0] == "InvalidInput", kind
        # Nothing of a refused request is written, not even its good tags.
        assert getattr(iam, list_tags)(**ids[kind])["Tags"] == [], kind
        with pytest.raises(ClientError) as e:
            getattr(iam, untag)(**ids[kind], TagKeys=["fine", "aws:owner"])
        assert error(e)[:1] == ("InvalidInput",), kind
        # An ordinary tag still works.
        getattr(iam, tag)(**ids[kind], Tags=[{"Key": "awsome", "Value": "yes"}])
        getattr(iam, untag)(**ids[kind], TagKeys=["awsome"])


def test_creates_with_reserved_tags_create_nothing(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    creates: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        (
            "user",
            lambda: iam.create_user(UserName="resv-c-u", Tags=RESERVED),
            lambda: iam.get_user(UserName="resv-c-u"),
        ),
        (
            "role",
            lambda: iam.create_role(
                RoleName="resv-c-r", AssumeRolePolicyDocument=TRUST, Tags=RESERVED
            ),
            lambda: iam.get_role(RoleName="resv-c-r"),
        ),
        (
            "profile",
            lambda: iam.create_instance_profile(InstanceProfileName="resv-c-ip", Tags=RESERVED),
            lambda: iam.get_instance_profile(InstanceProfileName="resv-c-ip"),
        ),
    ]
    for kind, create, get in creates:
        with pytest.raises(ClientError) as e:
            create()
        assert error(e)[0] == "InvalidInput", kind
        with pytest.raises(ClientError) as e:
            get()
        assert error(e)[0] == "NoSuchEntity", kind
    refused: list[Callable[[], Any]] = [
        lambda: iam.create_policy(PolicyName="resv-c-p", PolicyDocument=DOC, Tags=RESERVED),
        lambda: iam.create_virtual_mfa_device(VirtualMFADeviceName="resv-c-mfa", Tags=RESERVED),
        lambda: iam.create_open_id_connect_provider(
            Url="https://resv-c.example.com", ThumbprintList=[THUMB], Tags=RESERVED
        ),
        lambda: iam.create_saml_provider(
            Name="resv-c-saml", SAMLMetadataDocument=metadata(), Tags=RESERVED
        ),
    ]
    for create in refused:
        with pytest.raises(ClientError) as e:
            create()
        assert error(e)[0] == "InvalidInput"
    names = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert "resv-c-p" not in names
    serials = [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    assert not any(s.endswith("/resv-c-mfa") for s in serials)
    assert not any(
        p["Arn"].endswith("resv-c.example.com")
        for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    )
    assert not any(
        p["Arn"].endswith("/resv-c-saml") for p in iam.list_saml_providers()["SAMLProviderList"]
    )


def test_reserved_prefix_through_the_cli(deployment: Deployment) -> None:
    deployment.aws("iam", "create-user", "--user-name", "resv-cli")
    proc = deployment.aws(
        "iam", "tag-user", "--user-name", "resv-cli", "--tags", "Key=aws:x,Value=1", check=False
    )
    assert proc.returncode != 0
    assert "InvalidInput" in proc.stderr and "reserved" in proc.stderr
    assert deployment.aws("iam", "list-user-tags", "--user-name", "resv-cli")["Tags"] == []


# -- user resource tags on the credential calls --------------------------------------------------


def _team_x_only(action: str | list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": action,
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:ResourceTag/team": "x"}},
            }
        ],
    }


def test_create_access_key_only_for_users_tagged_team_x(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    creds = new_user(deployment, "rt-keymaker", _team_x_only("iam:CreateAccessKey"))
    iam.create_user(UserName="rt-in-x", Tags=[{"Key": "team", "Value": "x"}])
    iam.create_user(UserName="rt-in-y", Tags=[{"Key": "team", "Value": "y"}])
    iam.create_user(UserName="rt-untagged")
    me = deployment.client("iam", creds)

    key = me.create_access_key(UserName="rt-in-x")["AccessKey"]
    assert key["UserName"] == "rt-in-x"
    for name in ("rt-in-y", "rt-untagged"):
        with pytest.raises(ClientError) as e:
            me.create_access_key(UserName=name)
        code, message, status = error(e)
        assert (code, status) == ("AccessDenied", 403)
        assert message.startswith(
            f"User: arn:aws:iam::{account}:user/rt-keymaker is not authorized to perform: "
            f"iam:CreateAccessKey on resource: arn:aws:iam::{account}:user/{name}"
        )
    # Retagging the user changes the decision on the next request.
    iam.tag_user(UserName="rt-in-y", Tags=[{"Key": "TEAM", "Value": "x"}])
    assert me.create_access_key(UserName="rt-in-y")["AccessKey"]["UserName"] == "rt-in-y"
    # aws:ResourceTag works the same way.
    aws_key = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListAccessKeys",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/team": "x"}},
            }
        ],
    }
    lister = deployment.client("iam", new_user(deployment, "rt-lister", aws_key))
    assert len(lister.list_access_keys(UserName="rt-in-x")["AccessKeyMetadata"]) == 1
    with pytest.raises(ClientError) as e:
        lister.list_access_keys(UserName="rt-untagged")
    assert error(e)[0] == "AccessDenied"


def test_credential_calls_carry_the_users_tags(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    actions = [
        "iam:UpdateAccessKey",
        "iam:DeleteAccessKey",
        "iam:GetAccessKeyLastUsed",
        "iam:CreateLoginProfile",
        "iam:GetLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:DeleteLoginProfile",
        "iam:ListMFADevices",
        "iam:DeactivateMFADevice",
    ]
    me = deployment.client("iam", new_user(deployment, "rt-admin", _team_x_only(actions)))
    iam.create_user(UserName="rt-cx", Tags=[{"Key": "team", "Value": "x"}])
    iam.create_user(UserName="rt-cy", Tags=[{"Key": "team", "Value": "y"}])
    kx = iam.create_access_key(UserName="rt-cx")["AccessKey"]["AccessKeyId"]
    ky = iam.create_access_key(UserName="rt-cy")["AccessKey"]["AccessKeyId"]

    assert me.get_access_key_last_used(AccessKeyId=kx)["UserName"] == "rt-cx"
    me.update_access_key(UserName="rt-cx", AccessKeyId=kx, Status="Inactive")
    me.create_login_profile(UserName="rt-cx", Password="Str0ng!Passw0rd")
    me.get_login_profile(UserName="rt-cx")
    me.update_login_profile(UserName="rt-cx", PasswordResetRequired=True)
    me.delete_login_profile(UserName="rt-cx")
    assert me.list_mfa_devices(UserName="rt-cx")["MFADevices"] == []
    me.delete_access_key(UserName="rt-cx", AccessKeyId=kx)

    iam.create_login_profile(UserName="rt-cy", Password="Str0ng!Passw0rd")
    denied: list[Callable[[], Any]] = [
        lambda: me.get_access_key_last_used(AccessKeyId=ky),
        lambda: me.update_access_key(UserName="rt-cy", AccessKeyId=ky, Status="Inactive"),
        lambda: me.delete_access_key(UserName="rt-cy", AccessKeyId=ky),
        lambda: me.create_login_profile(UserName="rt-cy", Password="Str0ng!Passw0rd"),
        lambda: me.get_login_profile(UserName="rt-cy"),
        lambda: me.update_login_profile(UserName="rt-cy", PasswordResetRequired=True),
        lambda: me.delete_login_profile(UserName="rt-cy"),
        lambda: me.list_mfa_devices(UserName="rt-cy"),
        lambda: me.deactivate_mfa_device(
            UserName="rt-cy", SerialNumber="arn:aws:iam::000000000000:mfa/none"
        ),
    ]
    for call in denied:
        with pytest.raises(ClientError) as e:
            call()
        assert error(e)[0] == "AccessDenied"
    assert iam.get_access_key_last_used(AccessKeyId=ky)["UserName"] == "rt-cy"


def test_get_access_key_last_used_is_authorized_on_the_owner(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    iam = deployment.client("iam")
    own = allow("iam:GetAccessKeyLastUsed", f"arn:aws:iam::{account}:user/${{aws:username}}")
    creds = new_user(deployment, "rt-self", own)
    me = deployment.client("iam", creds)
    assert me.get_access_key_last_used(AccessKeyId=creds.access_key_id)["UserName"] == "rt-self"
    iam.create_user(UserName="rt-other", Path="/team/")
    other = iam.create_access_key(UserName="rt-other")["AccessKey"]["AccessKeyId"]
    with pytest.raises(ClientError) as e:
        me.get_access_key_last_used(AccessKeyId=other)
    code, message, _ = error(e)
    assert code == "AccessDenied"
    assert f"on resource: arn:aws:iam::{account}:user/team/rt-other" in message


# -- policy version ids ------------------------------------------------------------------------


def test_policy_version_ids_are_never_reused(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    arn = iam.create_policy(PolicyName="gaps-versions", PolicyDocument=DOC)["Policy"]["Arn"]
    assert (
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC)["PolicyVersion"]["VersionId"]
        == "v2"
    )
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    made = deployment.aws(
        "iam", "create-policy-version", "--policy-arn", arn, "--policy-document", DOC,
        "--set-as-default",
    )  # fmt: skip
    assert made["PolicyVersion"] == {
        "VersionId": "v3",
        "IsDefaultVersion": True,
        "CreateDate": made["PolicyVersion"]["CreateDate"],
    }
    listed = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed] == [
        ("v3", True),
        ("v1", False),
    ]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
