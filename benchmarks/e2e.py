"""End to end: the same signed IAM/STS calls against sagegate and moto's server, in one run.

Run: .venv/bin/python benchmarks/e2e.py [--duration 5] [--rounds 5] [--workers 1]
                                        [--connections 4] [--ops NAME,...|all] [--json]

Starts both servers on free loopback ports with throwaway state: `sagegate serve` (after
`sagegate init`) and `python -m moto.server` with IAM enforcement on (INITIAL_NO_AUTH_ACTION_COUNT
lets exactly the three bootstrap calls through: create an admin user, give it an inline
`Allow * on *` policy, create its key; every later request is authenticated and authorized). Both get the same setup
through boto3: 20 users, each with an inline policy and an access key, and a caller user whose
inline policy allows the measured calls with conditions (region, source IP, username, time) and
carries a Deny statement, so the policy engine really evaluates (not admin).

The measured calls are pre-signed with botocore's SigV4Auth (fresh before every phase, so always
within the 5-minute window) and sent by one client thread over keep-alive connections
(`_loadgen.py`). Each phase runs for a fixed duration (or --requests) and stops by itself.
Per phase: requests/s (wall), server CPU per request (utime+stime of the server's process
tree from /proc, before and after), client CPU per request, and every response's status.

Phases: each workload alone, then the mix (weights in WORKLOADS). Rounds alternate which server
goes first; medians over rounds are reported, with the ratios and the issue-4 targets:
sagegate >= 10x moto's requests/s, at <= 1/10 of moto's server CPU per request.

Adding a workload (e.g. SageMaker): append to WORKLOADS. A workload a server answers with
501 / NotImplemented is skipped for both with a message, and left out of the mix.
Never part of the test suite; nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3  # noqa: E402
from _loadgen import PhaseResult, SignedRequest, run_phase, sign  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
N_USERS = 20
POOL = 64  # signed items per workload per phase (cycled; replaying a signed request is valid)
TARGET_RPS_RATIO = 10.0
TARGET_CPU_RATIO = 0.1


# --- the workload table ---------------------------------------------------------------------


@dataclass
class Ctx:
    """What params builders may use: the target's account and the setup's names."""

    account_id: str
    port: int
    key_id: str
    secret: str

    @staticmethod
    def user(i: int) -> str:
        return f"bench-user-{i % N_USERS:02d}"


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    params: Callable[[Ctx, int], dict[str, Any]]


@dataclass(frozen=True)
class Workload:
    name: str
    calls: tuple[Call, ...]  # run in order on one connection; later calls only if earlier ok
    weight: int  # share of items in the mix
    default: bool = True  # in the default --ops selection


def _one(service: str, op: str, params: Callable[[Ctx, int], dict[str, Any]]) -> tuple[Call]:
    return (Call(service, op, params),)


WORKLOADS: list[Workload] = [
    Workload("sts:GetCallerIdentity", _one("sts", "GetCallerIdentity", lambda c, i: {}), 3),
    Workload("iam:GetUser", _one("iam", "GetUser", lambda c, i: {"UserName": c.user(i)}), 3),
    Workload("iam:ListUsers", _one("iam", "ListUsers", lambda c, i: {"MaxItems": 10}), 2),
    Workload(
        "iam:ListAccessKeys",
        _one("iam", "ListAccessKeys", lambda c, i: {"UserName": c.user(i)}),
        2,
    ),
    Workload(
        "iam:GetUserPolicy",
        _one(
            "iam",
            "GetUserPolicy",
            lambda c, i: {"UserName": c.user(i), "PolicyName": "bench-inline"},
        ),
        2,
    ),
    Workload(
        "iam:CreateUser+DeleteUser",
        (
            Call("iam", "CreateUser", lambda c, i: {"UserName": f"bench-tmp-{i:05d}"}),
            Call("iam", "DeleteUser", lambda c, i: {"UserName": f"bench-tmp-{i:05d}"}),
        ),
        1,
    ),
    # SageMaker (issue 6).
    Workload(
        "sagemaker:ListNotebookInstances",
        _one("sagemaker", "ListNotebookInstances", lambda c, i: {"MaxResults": 10}),
        2,
    ),
    Workload(
        "sagemaker:DescribeNotebookInstance",
        _one(
            "sagemaker",
            "DescribeNotebookInstance",
            lambda c, i: {"NotebookInstanceName": "bench-nb"},
        ),
        2,
    ),
    # Create needs a fresh name each time: the item creates, stops and deletes its own notebook
    # (sagegate runs with SAGEGATE_SAGEMAKER_TRANSITION_SECONDS=0, so Pending -> InService and
    # Stopping -> Stopped happen at once, as moto's do), so cycling the signed items replays it.
    Workload(
        "sagemaker:CreateNotebookInstance+Stop+Delete",
        (
            Call(
                "sagemaker",
                "CreateNotebookInstance",
                lambda c, i: {
                    "NotebookInstanceName": f"bench-nb-{i:05d}",
                    "InstanceType": "ml.t3.medium",
                    "RoleArn": f"arn:aws:iam::{c.account_id}:role/bench-sagemaker",
                },
            ),
            Call(
                "sagemaker",
                "StopNotebookInstance",
                lambda c, i: {"NotebookInstanceName": f"bench-nb-{i:05d}"},
            ),
            Call(
                "sagemaker",
                "DeleteNotebookInstance",
                lambda c, i: {"NotebookInstanceName": f"bench-nb-{i:05d}"},
            ),
        ),
        1,
    ),
]


def caller_policy(account_id: str) -> dict[str, Any]:
    """Allows the measured calls under conditions, with a Deny that must be checked and not
    match. Moto ignores conditions it cannot evaluate (all but StringEquals, and it has no
    request values, so they pass) and authorizes IAM against resource "*": hence Allow
    statements use Resource "*" and the Deny names a resource that is never requested."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadIam",
                "Effect": "Allow",
                "Action": ["iam:Get*", "iam:List*"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:RequestedRegion": REGION},
                    "IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]},
                },
            },
            {
                "Sid": "WriteTempUsers",
                "Effect": "Allow",
                "Action": ["iam:CreateUser", "iam:DeleteUser"],
                "Resource": "*",
                "Condition": {
                    "StringLike": {"aws:username": "bench-caller*"},
                    "DateLessThan": {"aws:CurrentTime": "2100-01-01T00:00:00Z"},
                },
            },
            {
                "Sid": "ReadSageMaker",
                "Effect": "Allow",
                "Action": ["sagemaker:Describe*", "sagemaker:List*"],
                "Resource": "*",
            },
            {
                "Sid": "SmallNotebooks",
                "Effect": "Allow",
                "Action": [
                    "sagemaker:CreateNotebookInstance",
                    "sagemaker:StopNotebookInstance",
                    "sagemaker:DeleteNotebookInstance",
                ],
                "Resource": "*",
                "Condition": {
                    "ForAllValues:StringLike": {"sagemaker:InstanceTypes": ["ml.t3.*"]},
                },
            },
            {
                "Sid": "PassTheExecutionRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            },
            {
                "Sid": "ProtectAdmins",
                "Effect": "Deny",
                "Action": ["iam:Delete*", "iam:Put*", "iam:Attach*", "iam:*AccessKey*"],
                "Resource": [
                    f"arn:aws:iam::{account_id}:user/protected-*",
                    f"arn:aws:iam::{account_id}:user/bench-admin",
                ],
            },
        ],
    }


ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def user_policy(i: int) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"S3Read{i}",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::data-{i}", f"arn:aws:s3:::data-{i}/*"],
            }
        ],
    }


# --- servers ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start:\n{log.read_text()[-3000:]}")


@dataclass
class Target:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    account_id: str
    admin_key: str
    admin_secret: str
    caller_key: str = ""
    caller_secret: str = ""
    skipped: dict[str, str] = field(default_factory=dict)  # workload -> why

    def client(self, service: str, key: str | None = None, secret: str | None = None) -> Any:
        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name=REGION,
            aws_access_key_id=key or self.admin_key,
            aws_secret_access_key=secret or self.admin_secret,
            config=Config(retries={"max_attempts": 1}),
        )

    def ctx(self) -> Ctx:
        return Ctx(self.account_id, self.port, self.caller_key, self.caller_secret)


def _die_with_parent() -> None:
    """In the child before exec (Linux): get SIGTERM when the benchmark dies, however it dies,
    so no server outlives it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _sagegate_bin() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "sagegate"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("sagegate")
    if found:
        return [found]
    return [sys.executable, "-m", "sagegate.cli.main"]


def start_sagegate(tmp: Path, workers: int) -> Target:
    data = tmp / "sagegate-data"
    out = subprocess.run(
        [*_sagegate_bin(), "init", "--data-dir", str(data), "--json"],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"sagegate init failed ({out.returncode}):\n{out.stderr[-3000:]}")
    made = json.loads(out.stdout)
    port = _free_port()
    log = tmp / "sagegate.log"
    cmd = [*_sagegate_bin(), "serve", "--data-dir", str(data), "--port", str(port)]
    cmd += ["--workers", str(workers), "--log-level", "warning"]
    # Notebook states change at once, as moto's do (see the CreateNotebookInstance workload).
    env = dict(os.environ, SAGEGATE_SAGEMAKER_TRANSITION_SECONDS="0")
    proc = subprocess.Popen(
        cmd,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
        env=env,
    )
    _wait_port(port, proc, log)
    return Target(
        "sagegate",
        proc,
        port,
        made["account_id"],
        made["admin_access_key_id"],
        made["admin_secret_access_key"],
    )


def start_moto(tmp: Path) -> Target:
    port = _free_port()
    log = tmp / "moto.log"
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")  # exactly the 3 bootstrap calls
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
        preexec_fn=_die_with_parent,
    )
    _wait_port(port, proc, log)
    t = Target("moto", proc, port, "123456789012", "AKIDBOOTSTRAP00000000", "bootstrap")
    iam = t.client("iam")
    iam.create_user(UserName="bench-admin")  # unauthenticated 1/3
    iam.put_user_policy(  # 2/3 (moto loads AWS managed policies only on request)
        UserName="bench-admin", PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY)
    )
    key = iam.create_access_key(UserName="bench-admin")["AccessKey"]  # 3/3: enforcement on
    t.admin_key, t.admin_secret = key["AccessKeyId"], key["SecretAccessKey"]
    t.account_id = t.client("sts").get_caller_identity()["Account"]
    return t


def setup(t: Target, workloads: list[Workload]) -> None:
    iam = t.client("iam")
    for i in range(N_USERS):
        name = Ctx.user(i)
        iam.create_user(UserName=name)
        iam.put_user_policy(
            UserName=name, PolicyName="bench-inline", PolicyDocument=json.dumps(user_policy(i))
        )
        iam.create_access_key(UserName=name)
    iam.create_user(UserName="bench-caller")
    iam.put_user_policy(
        UserName="bench-caller",
        PolicyName="bench-caller",
        PolicyDocument=json.dumps(caller_policy(t.account_id)),
    )
    key = iam.create_access_key(UserName="bench-caller")["AccessKey"]
    t.caller_key, t.caller_secret = key["AccessKeyId"], key["SecretAccessKey"]
    if any(w.name.startswith("sagemaker:") for w in workloads):
        try:
            iam.create_role(
                RoleName="bench-sagemaker",
                AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST),
            )
            t.client("sagemaker").create_notebook_instance(
                NotebookInstanceName="bench-nb",
                InstanceType="ml.t3.medium",
                RoleArn=f"arn:aws:iam::{t.account_id}:role/bench-sagemaker",
            )
        except ClientError as e:
            print(f"  {t.name}: setup CreateNotebookInstance failed: {e}", file=sys.stderr)


def check_enforcement(t: Target) -> list[str]:
    """Both servers must authenticate and authorize: a bad key and a disallowed action fail."""
    problems = []
    try:
        t.client("iam", "AKIAIOSFODNN7EXAMPLE", "x" * 40).list_users()
        problems.append("a request with an unknown access key was accepted")
    except ClientError as e:
        if e.response["ResponseMetadata"]["HTTPStatusCode"] != 403:
            problems.append(f"unknown key: unexpected {e}")
    try:
        t.client("iam", t.caller_key, t.caller_secret).create_access_key(UserName=Ctx.user(0))
        problems.append("caller was allowed iam:CreateAccessKey (not in its policy)")
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("AccessDenied", "AccessDeniedException"):
            problems.append(f"CreateAccessKey by caller: expected AccessDenied, got {e}")
    return problems


def stop(t: Target) -> None:
    if t.proc.poll() is None:
        t.proc.terminate()
        try:
            t.proc.wait(15)
        except subprocess.TimeoutExpired:
            t.proc.kill()
            t.proc.wait()


# --- phases -------------------------------------------------------------------------------


def signed_items(t: Target, plan: list[tuple[Workload, int]]) -> list[list[SignedRequest]]:
    """Sign one item per (workload, index); an index is unique within a phase."""
    c = t.ctx()
    return [
        [
            sign(
                call.service,
                call.operation,
                call.params(c, i),
                port=t.port,
                key_id=t.caller_key,
                secret=t.caller_secret,
                region=REGION,
            )
            for call in w.calls
        ]
        for w, i in plan
    ]


def mix_plan(workloads: list[Workload]) -> list[tuple[Workload, int]]:
    bag = [w for w in workloads for _ in range(w.weight)]
    plan = []
    for i in range(max(POOL, len(bag) * 4)):
        plan.append((bag[i % len(bag)], i))
    random.Random(4).shuffle(plan)
    return plan


def probe(t: Target, w: Workload) -> str | None:
    """Run one item; return why the workload is to be skipped on this target, or None."""
    items = signed_items(t, [(w, 99_000)])
    r = run_phase(t.port, items, duration=30, connections=1, server_pid=t.proc.pid, max_requests=1)
    for op, st in r.per_op.items():
        for status, body in st.samples.items():
            text = body.decode("utf-8", "replace")
            if status == 501 or "NotImplemented" in text or "not yet implemented" in text:
                return f"{op} answered {status}: {_error_summary(text)}"
    return None


def _error_summary(text: str, limit: int = 300) -> str:
    head, _, body = text.partition("\r\n\r\n")
    status = head.split("\r\n", 1)[0]
    return f"{status} {' '.join(body.split())}"[:limit]


@dataclass
class Sample:
    rps: float
    server_us: float
    client_us: float
    done: int
    errors: dict[str, dict[int, int]]
    error_samples: dict[str, dict[int, str]]


def measure(t: Target, plan: list[tuple[Workload, int]], args: argparse.Namespace) -> Sample:
    items = signed_items(t, plan)
    r: PhaseResult = run_phase(
        t.port,
        items,
        duration=args.duration,
        connections=args.connections,
        server_pid=t.proc.pid,
        max_requests=args.requests,
    )
    done = max(r.done, 1)
    return Sample(
        rps=r.done / r.wall if r.wall > 0 else 0.0,
        server_us=r.server_cpu / done * 1e6,
        client_us=r.client_cpu / done * 1e6,
        done=r.done,
        errors={op: dict(s.errors) for op, s in r.per_op.items() if s.errors},
        error_samples={
            op: {st: _error_summary(b.decode("utf-8", "replace")) for st, b in s.samples.items()}
            for op, s in r.per_op.items()
            if s.samples
        },
    )


# --- report -------------------------------------------------------------------------------


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return rev + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def _med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def summarize(
    samples: dict[str, dict[str, list[Sample]]], names: list[str]
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        row: dict[str, Any] = {}
        for tgt in ("sagegate", "moto"):
            ss = samples[tgt].get(name, [])
            errs: dict[str, dict[str, int]] = {}
            examples: dict[str, str] = {}
            for s in ss:
                for op, by in s.errors.items():
                    for st, n in by.items():
                        d = errs.setdefault(op, {})
                        d[str(st)] = d.get(str(st), 0) + n
                for op, by in s.error_samples.items():
                    for st, text in by.items():
                        examples.setdefault(f"{op} {st}", text)
            row[tgt] = {
                "rps": _med([s.rps for s in ss]),
                "server_us": _med([s.server_us for s in ss]),
                "client_us": _med([s.client_us for s in ss]),
                "requests": sum(s.done for s in ss),
                "rounds": len(ss),
                "errors": errs,
                "error_examples": examples,
            }
        sg, mo = row["sagegate"], row["moto"]
        rps_ratio = sg["rps"] / mo["rps"] if mo["rps"] else float("nan")
        cpu_ratio = sg["server_us"] / mo["server_us"] if mo["server_us"] else float("nan")
        row["rps_ratio"] = rps_ratio
        row["cpu_ratio"] = cpu_ratio
        # the same ratios taken per round (sagegate and moto phases of a round run back to
        # back), then the median: less sensitive to the machine's load drifting over the run
        pairs = list(
            zip(samples["sagegate"].get(name, []), samples["moto"].get(name, []), strict=False)
        )
        row["paired_rps_ratio"] = _med([a.rps / b.rps for a, b in pairs if b.rps])
        row["paired_cpu_ratio"] = _med([a.server_us / b.server_us for a, b in pairs if b.server_us])
        row["rps_target_met"] = rps_ratio >= TARGET_RPS_RATIO
        row["cpu_target_met"] = cpu_ratio <= TARGET_CPU_RATIO
        row["has_errors"] = bool(sg["errors"] or mo["errors"])
        out[name] = row
    return out


def print_report(
    summary: dict[str, dict[str, Any]], skipped: dict[str, str], args: argparse.Namespace
) -> None:
    print()
    print(
        f"medians over {args.rounds} rounds, {args.duration:g} s per phase, "
        f"{args.connections} connections, sagegate --workers {args.workers}, "
        f"{os.cpu_count()} CPUs, load average {args.load_before} before / {_loadavg()} after, "
        f"sagegate {args.revision}"
    )
    hdr = (
        f"{'workload':34} {'sg req/s':>9} {'moto req/s':>10} {'x':>6}  "
        f"{'sg CPU µs':>9} {'moto CPU µs':>11} {'ratio':>6}  "
        f"{'client µs sg/moto':>17}  targets"
    )
    print(hdr)
    print("-" * len(hdr))
    for name, row in summary.items():
        sg, mo = row["sagegate"], row["moto"]
        met = ("10x " + ("ok" if row["rps_target_met"] else "NO")) + (
            ", 1/10 cpu " + ("ok" if row["cpu_target_met"] else "NO")
        )
        if row["has_errors"]:
            met += "  ** ERRORS **"
        print(
            f"{name:34} {sg['rps']:9.0f} {mo['rps']:10.0f} {row['rps_ratio']:6.1f}  "
            f"{sg['server_us']:9.0f} {mo['server_us']:11.0f} {row['cpu_ratio']:6.3f}  "
            f"{sg['client_us']:8.0f}/{mo['client_us']:<8.0f}  {met}"
        )
    for name, why in skipped.items():
        print(f"{name:34} skipped: {why}")
    errors = [(n, r) for n, r in summary.items() if r["has_errors"]]
    if errors:
        print()
        print("!" * 78)
        print("!! ERRORS: some responses were not 2xx; those comparisons are not valid")
        for name, row in errors:
            for tgt in ("sagegate", "moto"):
                for op, by in row[tgt]["errors"].items():
                    print(f"!!  {name} on {tgt}: {op} statuses {by}")
                for what, text in row[tgt]["error_examples"].items():
                    print(f"!!    {tgt} {what}: {text}")
        print("!" * 78)
    print(
        "x and ratio are ratios of the medians; per-round (paired) medians: "
        + ", ".join(
            f"{n} {r['paired_rps_ratio']:.1f}x/{r['paired_cpu_ratio']:.3f}"
            for n, r in summary.items()
        )
    )
    overall = summary.get("mix")
    if overall:
        print()
        ok = overall["rps_target_met"] and overall["cpu_target_met"] and not overall["has_errors"]
        print(
            f"overall (mix): sagegate {overall['rps_ratio']:.1f}x moto's requests/s "
            f"(target >= {TARGET_RPS_RATIO:g}x), server CPU per request "
            f"{overall['cpu_ratio']:.3f} of moto's (target <= {TARGET_CPU_RATIO:g}): "
            f"{'TARGETS MET' if ok else 'TARGETS NOT MET'}"
        )


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per phase (default 5)")
    ap.add_argument("--requests", type=int, default=None, help="stop a phase after N requests")
    ap.add_argument("--rounds", type=int, default=5, help="rounds, alternating who goes first")
    ap.add_argument("--workers", type=int, default=1, help="sagegate serve --workers")
    ap.add_argument("--connections", type=int, default=4, help="keep-alive connections")
    ap.add_argument(
        "--ops",
        default="default",
        help="comma-separated workload names or services (iam, sts, sagemaker), 'default', "
        "or 'all'; "
        "names: " + ", ".join(w.name for w in WORKLOADS),
    )
    ap.add_argument("--no-mix", action="store_true", help="skip the mixed phase")
    ap.add_argument("--json", action="store_true", help="print one JSON object (no table)")
    args = ap.parse_args(argv)

    if args.ops == "default":
        workloads = [w for w in WORKLOADS if w.default]
    elif args.ops == "all":
        workloads = list(WORKLOADS)
    else:
        wanted = [s.strip() for s in args.ops.split(",") if s.strip()]
        workloads = [
            w for w in WORKLOADS if any(w.name == x or w.name.split(":")[0] == x for x in wanted)
        ]
        if not workloads:
            ap.error(f"no workload matches {args.ops!r}")

    def say(msg: str) -> None:
        print(msg, file=sys.stderr if args.json else sys.stdout, flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below
    args.load_before = _loadavg()
    args.revision = _revision()
    tmp = Path(tempfile.mkdtemp(prefix="sagegate-e2e-"))
    targets: list[Target] = []
    try:
        say("starting sagegate and moto ...")
        targets = [start_sagegate(tmp, args.workers), start_moto(tmp)]
        for t in targets:
            setup(t, workloads)
            problems = check_enforcement(t)
            if problems:
                raise SystemExit(f"{t.name}: enforcement check failed: {problems}")
            say(
                f"  {t.name}: port {t.port}, pid {t.proc.pid}, account {t.account_id}, "
                "setup done, enforcement checked (bad key -> 403, CreateAccessKey -> AccessDenied)"
            )

        skipped: dict[str, str] = {}
        for w in workloads:
            for t in targets:
                why = probe(t, w)
                if why:
                    skipped[w.name] = f"{t.name}: {why}"
                    break
        for name, why in skipped.items():
            say(f"  skipping {name}: {why}")
        active = [w for w in workloads if w.name not in skipped]
        if not active:
            raise SystemExit("nothing to measure")
        phases: list[tuple[str, list[tuple[Workload, int]]]] = [
            (w.name, [(w, i) for i in range(POOL)]) for w in active
        ]
        if not args.no_mix:
            phases.append(("mix", mix_plan(active)))

        for t in targets:  # warm-up: caches, connections, JIT-less but lazy imports
            measure(t, phases[-1][1], argparse.Namespace(**{**vars(args), "duration": 1.0}))

        samples: dict[str, dict[str, list[Sample]]] = {"sagegate": {}, "moto": {}}
        for rnd in range(args.rounds):
            order = targets if rnd % 2 == 0 else targets[::-1]
            for t in order:
                for name, plan in phases:
                    s = measure(t, plan, args)
                    samples[t.name].setdefault(name, []).append(s)
                    flag = f"  errors {s.errors}" if s.errors else ""
                    say(
                        f"  round {rnd + 1} {t.name:8} {name:34} {s.rps:8.0f} req/s "
                        f"server {s.server_us:7.0f} µs/req client {s.client_us:5.0f} µs/req{flag}"
                    )
        names = [n for n, _ in phases]
        summary = summarize(samples, names)
        if args.json:
            print(
                json.dumps(
                    {
                        "config": {
                            "duration": args.duration,
                            "requests": args.requests,
                            "rounds": args.rounds,
                            "workers": args.workers,
                            "connections": args.connections,
                            "cpus": os.cpu_count(),
                            "load_average_before": args.load_before,
                            "load_average_after": _loadavg(),
                            "sagegate_revision": args.revision,
                            "targets": {
                                "rps_ratio": TARGET_RPS_RATIO,
                                "cpu_ratio": TARGET_CPU_RATIO,
                            },
                        },
                        "skipped": skipped,
                        "results": summary,
                        "rounds": {
                            tgt: {n: [s.__dict__ for s in ss] for n, ss in by.items()}
                            for tgt, by in samples.items()
                        },
                    },
                    indent=2,
                    default=str,
                )
            )
        else:
            print_report(summary, skipped, args)
        return 1 if any(r["has_errors"] for r in summary.values()) else 0
    finally:
        for t in targets:
            stop(t)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
