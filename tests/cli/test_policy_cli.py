"""`sagegate policy validate | simulate`, run as the installed command (no server)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

SAGEGATE = str(Path(sys.executable).parent / "sagegate")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SAGEGATE, "policy", *args], capture_output=True, text=True, input=stdin, timeout=60
    )


def write(tmp: Path, name: str, document: Any) -> str:
    path = tmp / name
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2))
    return str(path)


IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadHome",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::home/${aws:username}/*",
        },
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ],
}


def test_validate_ok_and_errors_with_json_path(tmp_path: Path) -> None:
    ok = run("validate", write(tmp_path, "ok.json", IDENTITY))
    assert ok.returncode == 0 and ok.stdout.startswith("OK:")
    assert "identity policy (2 statements)" in ok.stdout

    bad = dict(IDENTITY, Statement=[{"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}])
    out = run("validate", write(tmp_path, "bad.json", bad))
    assert out.returncode == 1
    assert 'MalformedPolicyDocument: Resource bucket must be in ARN format or "*".' in out.stderr
    assert "Statement[0].Resource" in out.stderr

    out = run("validate", write(tmp_path, "ok2.json", IDENTITY), "--kind", "resource")
    assert out.returncode == 1 and "Missing required field Principal" in out.stderr

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    assert run("validate", write(tmp_path, "trust.json", trust), "--kind", "trust").returncode == 0
    out = run("validate", "-", stdin='{"Version": "2012-10-17", "Statement": [')
    assert out.returncode == 1 and "Syntax errors in policy." in out.stderr
    assert run("validate", str(tmp_path / "missing.json")).returncode == 2


def test_simulate_text_output(tmp_path: Path) -> None:
    policy = write(tmp_path, "identity.json", IDENTITY)
    out = run(
        "simulate", "--policy", policy,
        "--action", "s3:GetObject", "--action", "s3:PutObject",
        "--resource", "arn:aws:s3:::home/alice/notes.txt",
        "--context", "aws:username=alice", "--context", "aws:SecureTransport=true",
        "--caller-arn", "arn:aws:iam::111122223333:user/alice",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "s3:GetObject on arn:aws:s3:::home/alice/notes.txt: allowed"
    assert lines[1] == f"  Allow: identity policy {policy}, statement 0 (Sid ReadHome)"
    assert "s3:PutObject on arn:aws:s3:::home/alice/notes.txt: implicitDeny" in lines
    assert (
        "  AccessDenied: User: arn:aws:iam::111122223333:user/alice is not authorized to perform: "
        "s3:PutObject on resource: arn:aws:s3:::home/alice/notes.txt because no identity-based "
        "policy allows the s3:PutObject action"
    ) in lines


def test_simulate_json_deny_boundary_and_missing_keys(tmp_path: Path) -> None:
    policy = write(tmp_path, "identity.json", IDENTITY)
    boundary = write(
        tmp_path,
        "boundary.json",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}],
        },
    )
    out = run(
        "simulate", "--policy", policy, "--json",
        "--action", "s3:GetObject",
        "--resource", "arn:aws:s3:::home/alice/a", "--resource", "arn:aws:s3:::home/bob/b",
        "--context", "aws:username=alice", "--context", "aws:SecureTransport=false",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)["Results"]
    assert [(r["Resource"], r["Decision"]) for r in results] == [
        ("arn:aws:s3:::home/alice/a", "explicitDeny"),
        ("arn:aws:s3:::home/bob/b", "explicitDeny"),
    ]
    assert results[0]["MatchedStatements"] == [
        {"Policy": policy, "Sid": "TlsOnly", "Index": 1, "Effect": "Deny", "Layer": "identity"}
    ]
    assert results[0]["Message"].endswith(
        f"with an explicit deny in an identity-based policy: {policy}"
    )

    out = run(
        "simulate", "--policy", policy, "--boundary", boundary, "--json",
        "--action", "s3:GetObject", "--resource", "arn:aws:s3:::home/alice/a",
        "--context", "aws:username=alice",
    )  # fmt: skip
    (r,) = json.loads(out.stdout)["Results"]
    assert r["Decision"] == "implicitDeny" and r["Reason"] == "no_boundary_allow"
    assert r["MissingContextKeys"] == ["aws:SecureTransport"]
    assert "because no permissions boundary allows the s3:GetObject action" in r["Message"]


def test_simulate_resource_policy_lists_and_errors(tmp_path: Path) -> None:
    caller = "arn:aws:iam::111122223333:user/carol"
    bucket = write(
        tmp_path,
        "bucket.json",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": caller},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::shared/*",
                    "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}},
                }
            ],
        },
    )
    empty = write(tmp_path, "none.json", {"Version": "2012-10-17", "Statement": []})
    nothing = write(
        tmp_path,
        "nothing.json",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
        },
    )
    base = ["simulate", "--policy", nothing, "--resource-policy", bucket, "--json",
            "--action", "s3:GetObject", "--resource", "arn:aws:s3:::shared/k"]  # fmt: skip
    out = run(*base, "--caller-arn", caller, "--context", "aws:TagKeys=team,owner")
    assert json.loads(out.stdout)["Results"][0]["Decision"] == "allowed"
    out = run(*base, "--caller-arn", caller, "--context", "aws:TagKeys=owner,")
    assert json.loads(out.stdout)["Results"][0]["Decision"] == "implicitDeny"
    # Another account owns the bucket: the identity side must allow too.
    out = run(*base, "--caller-arn", caller, "--context", "aws:TagKeys=team,",
              "--resource-owner", "999988887777")  # fmt: skip
    assert json.loads(out.stdout)["Results"][0]["Reason"] == "no_identity_allow"

    assert run(*base).returncode == 2  # --caller-arn is required with a resource policy

    trust = write(
        tmp_path,
        "trust.json",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"}
            ],
        },
    )
    out = run("simulate", "--policy", nothing, "--resource-policy", trust, "--json",
              "--action", "sts:AssumeRole", "--resource", "arn:aws:iam::111122223333:role/r",
              "--caller-arn", caller)  # fmt: skip
    assert json.loads(out.stdout)["Results"][0]["Decision"] == "allowed"
    out = run("simulate", "--policy", empty, "--action", "s3:GetObject")
    assert out.returncode == 1 and "MalformedPolicyDocument" in out.stderr
    assert (
        run("simulate", "--policy", nothing, "--action", "s3:Get", "--context", "x").returncode == 2
    )
