"""Policy evaluation: sagegate's compiled evaluator vs moto's (moto.iam.access_control).

Run: .venv/bin/python benchmarks/policy.py [--passes N]

Two principals, one with 10 policies / 50 statements and one with 20 policies / 1,000
statements (wildcard actions and resources, about a third with conditions, some denies), and
500 mixed requests (actions in and out of the policies, several services, resources, context
keys). Both evaluators run on the same requests in the same process. For sagegate, the time is
`evaluate(request, policy_set)`; the policies are parsed and compiled once beforehand, the
request contexts built beforehand (as the server does once per request). For moto, the
`IAMPolicy` objects are built once beforehand too (moto's server re-parses the JSON on every
request; we do not charge it for that) and the loop is moto's own `check_action_permitted`:
every policy's `is_action_permitted(action, resource)`, deny wins.

Moto has no conditions (a statement with a Condition block and no request values evaluates as
DENIED), no `?` wildcard and case-sensitive actions, so decisions are compared on the subset of
requests where no statement whose action matches carries a condition; the script prints how
many agree.

Reported: median over passes of the mean process CPU time per decision (µs), the ratio
moto / sagegate, and for sagegate the per-request distribution (wall clock, median of passes).
Targets: <= 10 µs at 50 statements, <= 100 µs at 1,000, >= 15x faster than moto.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sagegate.policy import (  # noqa: E402
    Context,
    PolicyKind,
    PolicySet,
    PrincipalInfo,
    Request,
    compile_policy,
    evaluate,
    parse,
)

ACCOUNT = "111122223333"
SERVICES: dict[str, list[str]] = {
    "iam": ["CreateUser", "GetUser", "DeleteUser", "ListUsers", "CreateRole", "GetRole",
            "ListRoles", "AttachUserPolicy", "PutUserPolicy", "CreateAccessKey",
            "ListAccessKeys", "TagUser", "GetPolicy", "CreatePolicy", "ListPolicies"],
    "s3": ["GetObject", "PutObject", "DeleteObject", "ListBucket", "GetBucketPolicy",
           "PutBucketPolicy", "ListAllMyBuckets"],
    "sagemaker": ["CreateModel", "DescribeModel", "DeleteModel", "ListModels",
                  "CreateTrainingJob", "DescribeTrainingJob", "StopTrainingJob",
                  "CreateEndpoint", "InvokeEndpoint", "ListEndpoints", "CreateNotebookInstance"],
    "sts": ["AssumeRole", "GetCallerIdentity", "GetSessionToken"],
    "ec2": ["RunInstances", "DescribeInstances", "TerminateInstances"],
    "dynamodb": ["GetItem", "PutItem", "Query", "Scan"],
    "logs": ["CreateLogGroup", "PutLogEvents", "DescribeLogStreams"],
}  # fmt: skip
USERS = ["alice", "bob", "carol", "dave", "erin"]


def resource_for(service: str, rng: random.Random) -> str:
    name = rng.choice(USERS)
    return {
        "iam": f"arn:aws:iam::{ACCOUNT}:{rng.choice(['user', 'role', 'policy'])}/{name}",
        "s3": f"arn:aws:s3:::bucket-{rng.randint(1, 4)}/{name}/obj{rng.randint(1, 9)}",
        "sagemaker": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:{rng.choice(['model', 'endpoint', 'training-job'])}/{name}-{rng.randint(1, 5)}",
        "sts": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "ec2": f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-{rng.randint(1000, 9999)}",
        "dynamodb": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t{rng.randint(1, 5)}",
        "logs": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:g{rng.randint(1, 5)}",
    }[service]


def action_pattern(rng: random.Random) -> str:
    service = rng.choice(list(SERVICES))
    op = rng.choice(SERVICES[service])
    roll = rng.random()
    if roll < 0.45:
        return f"{service}:{op}"
    if roll < 0.6:
        return f"{service}:{op[: rng.randint(3, 6)]}*"  # prefix
    if roll < 0.7:
        return f"{service}:*{op[-4:]}"  # suffix
    if roll < 0.8:
        return f"{service}:*{op[2:6]}*"  # infix
    if roll < 0.995:
        return f"{service}:*{op[-3:]}" if roll < 0.96 else f"{service}:*"
    return "*"


def resource_pattern(rng: random.Random) -> str:
    service = rng.choice(list(SERVICES))
    full = resource_for(service, rng)
    roll = rng.random()
    if roll < 0.2:
        return "*"
    if roll < 0.55:
        return full
    if roll < 0.8:
        return full[: full.rindex("/") + 1] + "*" if "/" in full else full + "*"
    if roll < 0.9:
        return full.replace(ACCOUNT, "*", 1)
    return f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"


CONDITIONS: list[Callable[[random.Random], dict[str, Any]]] = [
    lambda r: {"StringEquals": {"aws:username": r.sample(USERS, 2)}},
    lambda r: {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}},
    lambda r: {"Bool": {"aws:SecureTransport": "true"}},
    lambda r: {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
    lambda r: {"StringLike": {"aws:PrincipalTag/team": ["ml-*", "data"]}},
    lambda r: {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
    lambda r: {"NumericLessThanEquals": {"s3:max-keys": "100"}},
    lambda r: {"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner", "team"]}},
]


def make_policies(rng: random.Random, n_policies: int, per_policy: int) -> list[dict[str, Any]]:
    docs = []
    for _ in range(n_policies):
        statements = []
        for i in range(per_policy):
            if rng.random() < 0.12:  # denies are narrow, as in real guard-rail policies
                service = rng.choice(list(SERVICES))
                st: dict[str, Any] = {
                    "Sid": f"S{i}",
                    "Effect": "Deny",
                    "Action": sorted({f"{service}:{rng.choice(SERVICES[service])}"}),
                    "Resource": [resource_for(service, rng)],
                }
            else:
                st = {
                    "Sid": f"S{i}",
                    "Effect": "Allow",
                    "Action": sorted({action_pattern(rng) for _ in range(rng.randint(1, 4))}),
                    "Resource": sorted({resource_pattern(rng) for _ in range(rng.randint(1, 2))}),
                }
            if rng.random() < 1 / 3:
                st["Condition"] = rng.choice(CONDITIONS)(rng)
            statements.append(st)
        docs.append({"Version": "2012-10-17", "Statement": statements})
    return docs


def make_requests(rng: random.Random, n: int) -> list[Request]:
    out = []
    for _ in range(n):
        service = rng.choice(list(SERVICES))
        op = rng.choice(SERVICES[service])
        if rng.random() < 0.1:
            op = "Unlisted" + op  # an action no exact pattern names
        name = rng.choice(USERS)
        principal = PrincipalInfo(
            arn=f"arn:aws:iam::{ACCOUNT}:user/{name}", account=ACCOUNT, type="User",
            userid=f"AIDA{name.upper()}", username=name,
        )  # fmt: skip
        ctx: dict[str, Any] = {
            "aws:username": name,
            "aws:userid": principal.userid,
            "aws:SourceIp": rng.choice(["10.1.2.3", "203.0.113.9", "192.168.4.4"]),
            "aws:SecureTransport": rng.choice([True, False]),
            "aws:CurrentTime": "2026-11-27T21:00:00Z",
            "aws:RequestedRegion": rng.choice(["us-east-1", "eu-west-1"]),
            "aws:PrincipalArn": principal.arn,
        }
        if rng.random() < 0.5:
            ctx["aws:PrincipalTag/team"] = rng.choice(["ml-core", "data", "web"])
        if rng.random() < 0.3:
            ctx["aws:TagKeys"] = rng.sample(["owner", "team", "cost"], 2)
        resource = resource_for(service, rng) if rng.random() < 0.9 else "*"
        out.append(Request(f"{service}:{op}", resource, principal, Context.build(ctx)))
    return out


def time_passes(fn: Callable[[], object], passes: int, n: int) -> float:
    """Median over passes of the mean µs per decision."""
    fn()  # warm-up (fills the per-action candidate index)
    samples = []
    for _ in range(passes):
        # process CPU time: robust against other processes competing for the CPU
        t0 = time.process_time()
        fn()
        samples.append((time.process_time() - t0) / n * 1e6)
    return statistics.median(samples)


def per_request_us(
    fn: Callable[[Request], object], requests: list[Request], passes: int
) -> list[float]:
    """For each request, the median over passes of one timed call (µs)."""
    timings: list[list[float]] = [[] for _ in requests]
    clock = time.perf_counter
    for _ in range(passes):
        for i, r in enumerate(requests):
            t0 = clock()
            fn(r)
            timings[i].append((clock() - t0) * 1e6)
    return [statistics.median(t) for t in timings]


def moto_subset(doc: dict[str, Any]) -> dict[str, Any]:
    """The part of a document moto understands: no Condition, no '?' wildcard, no variables."""
    statements = []
    for st in doc["Statement"]:
        raw = st["Action"] + st["Resource"]
        if any("?" in x or "$" in x for x in raw):
            continue
        statements.append({k: v for k, v in st.items() if k != "Condition"})
    return {"Version": doc["Version"], "Statement": statements}


def run(label: str, docs: list[dict[str, Any]], requests: list[Request], passes: int) -> float:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    compiled = tuple(
        compile_policy(parse(json.dumps(d), PolicyKind.IDENTITY, max_size=10**6), f"p{i}")
        for i, d in enumerate(docs)
    )
    policy_set = PolicySet(identity=compiled)
    moto_policies = [IAMPolicy(json.dumps(d)) for d in docs]

    def moto_decide(r: Request, pols: list[Any] = moto_policies) -> bool:
        permitted = False
        for p in pols:
            result = p.is_action_permitted(r.action, r.resource)
            if result == PermissionResult.DENIED:
                return False
            if result == PermissionResult.PERMITTED:
                permitted = True
        return permitted

    def ours() -> list[bool]:
        return [evaluate(r, policy_set).allowed for r in requests]

    def moto() -> list[bool]:
        return [moto_decide(r) for r in requests]

    # Agreement, on what moto supports: the same documents without their Condition blocks and
    # without statements using '?' or policy variables.
    plain = [moto_subset(d) for d in docs]
    plain_set = PolicySet(
        identity=tuple(
            compile_policy(parse(json.dumps(d), PolicyKind.IDENTITY, max_size=10**6), f"p{i}")
            for i, d in enumerate(plain)
        )
    )
    plain_moto = [IAMPolicy(json.dumps(d)) for d in plain]
    a = [evaluate(r, plain_set).allowed for r in requests]
    b = [moto_decide(r, plain_moto) for r in requests]
    agree = sum(x == y for x, y in zip(a, b, strict=True))

    n_statements = sum(len(d["Statement"]) for d in docs)
    n_cond = sum(1 for d in docs for s in d["Statement"] if "Condition" in s)
    n_deny = sum(1 for d in docs for s in d["Statement"] if s["Effect"] == "Deny")
    ours_us = time_passes(ours, passes, len(requests))
    moto_us = time_passes(moto, max(3, passes // 3), len(requests))
    decisions = ours()
    allowed = sum(decisions)
    per = per_request_us(lambda r: evaluate(r, policy_set), requests, passes)
    denied_per = [t for t, ok in zip(per, decisions, strict=True) if not ok]
    q = statistics.quantiles(per, n=10)
    print(f"{label}: {len(docs)} policies, {n_statements} statements ({n_cond} with conditions, "
          f"{n_deny} denies); {len(requests)} requests, {allowed} allowed")  # fmt: skip
    print(f"  sagegate  {ours_us:9.2f} µs/decision (CPU time, median of {passes} passes)")
    print(
        f"            per request: median {statistics.median(per):.2f} µs, p90 {q[-1]:.2f} µs, "
        f"max {max(per):.2f} µs; denied requests median "
        f"{statistics.median(denied_per) if denied_per else 0:.2f} µs"
    )
    print(f"  moto      {moto_us:9.2f} µs/decision")
    print(f"  ratio     {moto_us / ours_us:9.1f}x faster")
    print(
        f"  same decision as moto on {agree}/{len(requests)} requests "
        f"(condition-free variant, {sum(a)} allowed)"
    )
    for i in range(len(requests)):
        if a[i] != b[i]:
            print(
                f"  MISMATCH {requests[i].action} {requests[i].resource}: ours={a[i]} moto={b[i]}"
            )
    return moto_us / ours_us


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=15)
    ap.add_argument("--seed", type=int, default=20261127)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    requests = make_requests(rng, 500)
    run("50 statements", make_policies(rng, 10, 5), requests, args.passes)
    run("1,000 statements", make_policies(rng, 20, 50), requests, args.passes)


if __name__ == "__main__":
    main()
