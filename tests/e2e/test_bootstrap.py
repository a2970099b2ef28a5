"""Account bootstrap (issue 2, point 2): `sagegate init`, `sagegate account create`, first serve."""

from __future__ import annotations

import re
import socket
import subprocess
import time

from tests.e2e.harness import SAGEGATE, Credentials, Deployment


def test_init_json_creates_root_and_admin(fresh: Deployment) -> None:
    acct = fresh.init("--root-email", "owner@example.com")
    assert re.fullmatch(r"\d{12}", acct["account_id"])
    assert acct["root_email"] == "owner@example.com"
    assert len(acct["root_password"]) >= 16
    assert acct["admin_access_key_id"].startswith("AKIA")
    assert len(acct["admin_secret_access_key"]) == 40
    assert "root_access_key_id" not in acct  # root gets no key unless asked for

    fresh.start()
    iam = fresh.client("iam")
    user = iam.get_user()["User"]
    assert user["UserName"] == "admin"
    assert user["Arn"] == f"arn:aws:iam::{acct['account_id']}:user/admin"
    attached = iam.list_attached_user_policies(UserName="admin")["AttachedPolicies"]
    assert attached == [
        {
            "PolicyName": "AdministratorAccess",
            "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        }
    ]
    assert len(iam.list_access_keys()["AccessKeyMetadata"]) == 1


def test_init_twice_refuses_and_account_create_adds(fresh: Deployment) -> None:
    first = fresh.init("--root-password", "Correct-Horse-9")
    assert first["root_password"] == "Correct-Horse-9"
    again = fresh.run_cli("init", *fresh.store_args(), "--json", check=False)
    assert again.returncode == 1
    assert "already has an account" in again.stderr

    second = fresh.create_account()
    assert second["account_id"] != first["account_id"]
    fresh.start()
    sts = fresh.client(
        "sts", Credentials(second["admin_access_key_id"], second["admin_secret_access_key"])
    )
    assert sts.get_caller_identity()["Account"] == second["account_id"]


def test_root_access_key_only_when_asked_with_warning(fresh: Deployment) -> None:
    out = fresh.run_cli("init", *fresh.store_args(), "--json", "--root-access-key")
    assert "warning" in out.stderr.lower()
    import json

    acct = json.loads(out.stdout)
    fresh.account = acct
    fresh.start()
    root = Credentials(acct["root_access_key_id"], acct["root_secret_access_key"])
    ident = fresh.client("sts", root).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{acct['account_id']}:root"
    assert ident["UserId"] == acct["account_id"]
    # Root may do anything in its own account without any policy.
    fresh.client("iam", root).create_user(UserName="made-by-root")


def test_first_serve_of_empty_folder_bootstraps_and_prints_once(fresh: Deployment) -> None:
    port = fresh.port
    args = [SAGEGATE, "serve", *fresh.store_args(), "--port", str(port)]
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        try:
            lines = []
            deadline = time.monotonic() + 60
            assert proc.stdout is not None
            while time.monotonic() < deadline:
                line = proc.stdout.readline()
                lines.append(line)
                if "sts get-caller-identity" in line or not line:
                    break
            text = "".join(lines)
            key = re.search(r"access key id\s+(AKIA\w+)", text)
            secret = re.search(r"secret key\s+(\S+)", text)
            assert key and secret, text
            fresh.account = {
                "admin_access_key_id": key.group(1),
                "admin_secret_access_key": secret.group(1),
            }
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
            assert fresh.aws("sts", "get-caller-identity")["Arn"].endswith(":user/admin")
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
    # A second start of the same folder creates nothing and prints no credentials.
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        time.sleep(3)
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "secret key" not in out
