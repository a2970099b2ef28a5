"""`sagegate policy validate | simulate`: the policy engine offline, without a server.

`validate` checks one document the way IAM would on upload (IAM API Reference,
*MalformedPolicyDocument*; *IAM JSON policy grammar*; size quotas from *IAM and AWS STS quotas*)
and prints AWS's message with the JSON path of the fault. `simulate` evaluates actions on
resources against identity policies, an optional permissions boundary and resource-based policy,
with the request context given on the command line, like IAM's SimulateCustomPolicy (IAM API
Reference), and prints each decision, its decisive statements and its explanation
(the AccessDenied text for a denial).

Only `sagegate.policy` is used here: no store, no server.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sagegate.policy import (
    CompiledPolicy,
    Context,
    Decision,
    MalformedPolicyDocument,
    PolicyKind,
    PolicySet,
    PrincipalInfo,
    Request,
    compile_policy,
    denial_message,
    evaluate,
    explain,
    parse,
)

KINDS = {k.value: k for k in PolicyKind if k is not PolicyKind.SCP}
DEFAULT_CALLER = "arn:aws:iam::123456789012:user/simulated-user"


class UsageError(Exception):
    """Bad command-line input: printed, exit status 2."""


def add_parser(sub: Any) -> None:
    """Add `policy validate` and `policy simulate` to the `sagegate` subcommands."""
    policy = sub.add_parser("policy", help="validate and simulate IAM policies offline")
    cmds = policy.add_subparsers(dest="policy_command", required=True)

    validate = cmds.add_parser("validate", help="check a policy document as IAM would")
    validate.add_argument("file", help="the policy document (JSON); - for standard input")
    validate.add_argument("--kind", choices=sorted(KINDS), default="identity")

    sim = cmds.add_parser("simulate", help="decide actions on resources against policies")
    sim.add_argument("--policy", action="append", required=True, metavar="FILE",
                     help="an identity-based policy (repeatable)")  # fmt: skip
    sim.add_argument("--boundary", metavar="FILE", help="a permissions boundary policy")
    sim.add_argument("--resource-policy", metavar="FILE", help="a resource-based policy")
    sim.add_argument("--session-policy", action="append", metavar="FILE", default=None,
                     help="a session policy (repeatable)")  # fmt: skip
    sim.add_argument("--action", action="append", required=True, help="e.g. s3:GetObject")
    sim.add_argument("--resource", action="append", metavar="ARN", help='default "*"')
    sim.add_argument("--context", action="append", default=[], metavar="KEY=VALUE[,VALUE]",
                     help="a condition key and its value(s); several values make a list")  # fmt: skip
    sim.add_argument("--caller-arn", default=None, help=f"the caller (default {DEFAULT_CALLER})")
    sim.add_argument("--resource-owner", metavar="ACCOUNT",
                     help="account that owns the resources (default: the ARN's, else the caller's)")  # fmt: skip
    sim.add_argument("--json", action="store_true", help="print one JSON document")


def run(args: argparse.Namespace) -> int:
    try:
        if args.policy_command == "validate":
            return _validate(args.file, KINDS[args.kind])
        return _simulate(args)
    except UsageError as e:
        print(f"sagegate policy: {e}", file=sys.stderr)
        return 2


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}") from None


def _validate(path: str, kind: PolicyKind) -> int:
    try:
        policy = parse(_read(path), kind)
    except MalformedPolicyDocument as e:
        print(f"{path}: MalformedPolicyDocument: {e.describe()}", file=sys.stderr)
        return 1
    n = len(policy.statements)
    print(f"OK: {path} is a valid {kind.value} policy ({n} statement{'s' if n != 1 else ''})")
    return 0


def _load(path: str, kind: PolicyKind) -> CompiledPolicy:
    try:
        return compile_policy(parse(_read(path), kind), path)
    except MalformedPolicyDocument as e:
        raise _Malformed(f"{path}: MalformedPolicyDocument: {e.describe()}") from None


class _Malformed(Exception):
    pass


def _load_resource(path: str) -> CompiledPolicy:
    """A resource-based policy, or a role's trust policy (which has no Resource element)."""
    try:
        return _load(path, PolicyKind.RESOURCE)
    except _Malformed:
        try:
            return _load(path, PolicyKind.TRUST)
        except _Malformed:
            pass
        raise


def parse_context(items: list[str]) -> Context:
    """`key=value[,value]` items: one value is single-valued, several (or a trailing comma) a
    list; `key=` an empty list."""
    values: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--context {item!r}: expected KEY=VALUE[,VALUE]")
        parts = raw.split(",") if raw else []
        multi = len(parts) != 1
        parts = [p for p in parts if p != ""] if multi else parts
        values[key.strip()] = tuple(parts) if multi else parts[0]
    return Context.build(values)


def _principal(arn: str) -> PrincipalInfo:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[4].isdigit():
        raise UsageError(f"--caller-arn {arn!r} is not an IAM user or role ARN")
    account, resource = parts[4], parts[5]
    name = resource.rsplit("/", 1)[-1]
    if resource.startswith("role/"):
        return PrincipalInfo(arn, account, "AssumedRole", name, role_arn=arn)
    if resource == "root":
        return PrincipalInfo(arn, account, "Account", account, is_root=True)
    return PrincipalInfo(arn, account, "User", name, username=name)


def _owner(explicit: str | None, resource: str, principal: PrincipalInfo) -> str:
    if explicit:
        return explicit
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[4]:
        return parts[4]
    return principal.account


def _simulate(args: argparse.Namespace) -> int:
    try:
        identity = tuple(_load(p, PolicyKind.IDENTITY) for p in args.policy)
        boundary = None if args.boundary is None else _load(args.boundary, PolicyKind.BOUNDARY)
        rp = None if args.resource_policy is None else _load_resource(args.resource_policy)
        session = (
            None
            if args.session_policy is None
            else tuple(_load(p, PolicyKind.SESSION) for p in args.session_policy)
        )
    except _Malformed as e:
        print(str(e), file=sys.stderr)
        return 1
    if rp is not None and args.caller_arn is None:
        raise UsageError("--caller-arn is required with --resource-policy")
    principal = _principal(args.caller_arn or DEFAULT_CALLER)
    context = parse_context(args.context)
    policies = PolicySet(identity=identity, boundary=boundary, session=session, resource=rp)
    results = []
    for action in args.action:
        for resource in args.resource or ["*"]:
            owner = _owner(args.resource_owner, resource, principal) if rp is not None else None
            request = Request(action, resource, principal, context, resource_account=owner)
            results.append(_result(request, evaluate(request, policies)))
    if args.json:
        print(json.dumps({"Results": results}, indent=2))
    else:
        for r in results:
            _print(r)
    return 0


def _result(request: Request, decision: Decision) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Action": request.action,
        "Resource": request.resource,
        "Decision": decision.effect,
        "Allowed": decision.allowed,
        "Reason": decision.reason.value,
        "MatchedStatements": [
            {
                "Policy": m.policy_id,
                "Sid": m.sid,
                "Index": m.index,
                "Effect": m.effect,
                "Layer": m.layer,
            }
            for m in decision.matched
        ],
        "MissingContextKeys": list(decision.missing_context_keys),
        "Explanation": explain(decision),
    }
    if not decision.allowed:
        out["Message"] = denial_message(request, decision)
    if decision.diagnostics:
        out["Diagnostics"] = list(decision.diagnostics)
    return out


def _print(r: dict[str, Any]) -> None:
    print(f"{r['Action']} on {r['Resource']}: {r['Decision']}")
    for m in r["MatchedStatements"]:
        sid = f" (Sid {m['Sid']})" if m["Sid"] else ""
        print(f"  {m['Effect']}: {m['Layer']} policy {m['Policy']}, statement {m['Index']}{sid}")
    if r["MissingContextKeys"]:
        print("  missing context keys: " + ", ".join(r["MissingContextKeys"]))
    print(f"  why: {r['Explanation']}")
    if "Message" in r:
        print(f"  AccessDenied: {r['Message']}")
