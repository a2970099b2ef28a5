"""Console passwords and the account password policy through boto3 and the AWS CLI."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_login_profile_lifecycle(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="pw-alice")
    made = iam.create_login_profile(
        UserName="pw-alice", Password="Str0ng-Passw0rd", PasswordResetRequired=True
    )["LoginProfile"]
    assert made["UserName"] == "pw-alice" and made["PasswordResetRequired"] is True
    got = iam.get_login_profile(UserName="pw-alice")["LoginProfile"]
    assert got["CreateDate"] == made["CreateDate"] and got["PasswordResetRequired"] is True

    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="pw-alice", Password="Str0ng-Passw0rd")
    assert error(e) == (
        "EntityAlreadyExists",
        "Login Profile for user pw-alice already exists.",
        409,
    )

    iam.update_login_profile(UserName="pw-alice", PasswordResetRequired=False)
    assert (
        iam.get_login_profile(UserName="pw-alice")["LoginProfile"]["PasswordResetRequired"] is False
    )
    iam.update_login_profile(UserName="pw-alice", Password="An0ther-Passw0rd")

    iam.delete_login_profile(UserName="pw-alice")
    with pytest.raises(ClientError) as e:
        iam.get_login_profile(UserName="pw-alice")
    assert error(e) == ("NoSuchEntity", "Login Profile for User pw-alice cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.delete_login_profile(UserName="pw-alice")
    assert error(e)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="pw-nobody", Password="Str0ng-Passw0rd")
    assert error(e) == ("NoSuchEntity", "The user with name pw-nobody cannot be found.", 404)


def test_default_policy_rejects_weak_passwords(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="pw-weak")
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="pw-weak", Password="password")
    assert error(e) == (
        "PasswordPolicyViolation",
        "Password does not conform to the account password policy.",
        400,
    )


def test_account_password_policy(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert error(e) == (
        "NoSuchEntity",
        f"The Password Policy with domain name {account} cannot be found.",
        404,
    )
    iam.update_account_password_policy(
        MinimumPasswordLength=12,
        RequireSymbols=True,
        RequireNumbers=True,
        MaxPasswordAge=90,
        PasswordReusePrevention=3,
        AllowUsersToChangePassword=True,
    )
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy == {
        "MinimumPasswordLength": 12,
        "RequireSymbols": True,
        "RequireNumbers": True,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": True,
        "ExpirePasswords": True,
        "MaxPasswordAge": 90,
        "PasswordReusePrevention": 3,
        "HardExpiry": False,
    }
    iam.create_user(UserName="pw-policy")
    for bad in ("Sh0rt!", "NoSymbolsButLong123", "no-numbers-at-all!"):
        with pytest.raises(ClientError) as e:
            iam.create_login_profile(UserName="pw-policy", Password=bad)
        assert error(e)[0] == "PasswordPolicyViolation"
    iam.create_login_profile(UserName="pw-policy", Password="long-enough-1!")
    with pytest.raises(ClientError) as e:  # reuse of the current password
        iam.update_login_profile(UserName="pw-policy", Password="long-enough-1!")
    assert error(e)[0] == "PasswordPolicyViolation"

    cli = deployment.aws("iam", "get-account-password-policy")
    assert cli["PasswordPolicy"]["MinimumPasswordLength"] == 12
    deployment.aws("iam", "delete-account-password-policy")
    gone = deployment.aws("iam", "delete-account-password-policy", check=False)
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr


def test_change_password_is_the_callers_own(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    own = f"arn:aws:iam::{account}:user/pw-self"
    creds = new_user(deployment, "pw-self", allow("iam:ChangePassword", own))
    admin = deployment.client("iam")
    admin.create_login_profile(
        UserName="pw-self", Password="First-Passw0rd", PasswordResetRequired=True
    )
    me = deployment.client("iam", creds)
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword="not-it-0!", NewPassword="Second-Passw0rd")
    assert error(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword="First-Passw0rd", NewPassword="weak")
    assert error(e)[0] == "PasswordPolicyViolation"
    me.change_password(OldPassword="First-Passw0rd", NewPassword="Second-Passw0rd")
    # A changed password clears PasswordResetRequired.
    assert (
        admin.get_login_profile(UserName="pw-self")["LoginProfile"]["PasswordResetRequired"]
        is False
    )
    deployment.aws(
        "iam",
        "change-password",
        "--old-password",
        "Second-Passw0rd",
        "--new-password",
        "Third-Passw0rd",
        creds=creds,
    )

    # Without iam:ChangePassword on its own ARN a user may not change its password.
    other = new_user(deployment, "pw-denied")
    admin.create_login_profile(UserName="pw-denied", Password="First-Passw0rd")
    with pytest.raises(ClientError) as e:
        deployment.client("iam", other).change_password(
            OldPassword="First-Passw0rd", NewPassword="Second-Passw0rd"
        )
    code, message, _ = error(e)
    assert code == "AccessDenied" and "iam:ChangePassword" in message
    assert f"arn:aws:iam::{account}:user/pw-denied" in message


def test_login_profile_authorized_on_the_users_arn(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    creds = new_user(
        deployment,
        "pw-helpdesk",
        allow(
            ["iam:CreateLoginProfile", "iam:GetLoginProfile"],
            f"arn:aws:iam::{account}:user/support/*",
        ),
    )
    admin = deployment.client("iam")
    admin.create_user(UserName="pw-helped", Path="/support/")
    admin.create_user(UserName="pw-not-helped")
    helpdesk = deployment.client("iam", creds)
    helpdesk.create_login_profile(UserName="pw-helped", Password="Helped-Passw0rd")
    assert (
        helpdesk.get_login_profile(UserName="pw-helped")["LoginProfile"]["UserName"] == "pw-helped"
    )
    with pytest.raises(ClientError) as e:
        helpdesk.create_login_profile(UserName="pw-not-helped", Password="Helped-Passw0rd")
    assert error(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        helpdesk.update_account_password_policy(MinimumPasswordLength=8)
    assert error(e)[0] == "AccessDenied"


def test_login_profile_cli(deployment: Deployment) -> None:
    deployment.aws("iam", "create-user", "--user-name", "pw-cli")
    made = deployment.aws(
        "iam",
        "create-login-profile",
        "--user-name",
        "pw-cli",
        "--password",
        "Cli-Passw0rd!",
        "--password-reset-required",
    )
    assert made["LoginProfile"]["PasswordResetRequired"] is True
    got = deployment.aws("iam", "get-login-profile", "--user-name", "pw-cli")
    assert got["LoginProfile"]["UserName"] == "pw-cli"
    deployment.aws("iam", "delete-login-profile", "--user-name", "pw-cli")
    gone = deployment.aws("iam", "get-login-profile", "--user-name", "pw-cli", check=False)
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr


def test_delete_user_refused_while_login_profile_remains(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="pw-keeper")
    iam.create_login_profile(UserName="pw-keeper", Password="Keeper-Passw0rd")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="pw-keeper")
    assert error(e) == (
        "DeleteConflict",
        "Cannot delete entity, must delete login profile first.",
        409,
    )
