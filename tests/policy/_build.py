"""Build `ast.Policy` values from JSON-shaped dicts, without the parser (test helper)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sagegate.policy import ast


def _strs(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(_scalar(v) for v in value)


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _principal(value: Any) -> ast.Principal:
    if value == "*":
        return ast.Principal(wildcard=True)
    entries: list[tuple[str, str]] = []
    for typ, vals in value.items():
        for v in _strs(vals):
            entries.append((typ, v))
    return ast.Principal(entries=tuple(entries))


def statement(index: int, st: Mapping[str, Any]) -> ast.Statement:
    conditions: list[ast.ConditionClause] = []
    for op, block in (st.get("Condition") or {}).items():
        for key, vals in block.items():
            values = (_scalar(vals),) if not isinstance(vals, list) else tuple(map(_scalar, vals))
            conditions.append(ast.ConditionClause(op, key, values))
    return ast.Statement(
        index=index,
        effect=st["Effect"],
        sid=st.get("Sid"),
        principal=_principal(st["Principal"]) if "Principal" in st else None,
        not_principal=_principal(st["NotPrincipal"]) if "NotPrincipal" in st else None,
        actions=_strs(st["Action"]) if "Action" in st else None,
        not_actions=_strs(st["NotAction"]) if "NotAction" in st else None,
        resources=_strs(st["Resource"]) if "Resource" in st else None,
        not_resources=_strs(st["NotResource"]) if "NotResource" in st else None,
        conditions=tuple(conditions),
    )


def policy(
    doc: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    kind: ast.PolicyKind = ast.PolicyKind.IDENTITY,
) -> ast.Policy:
    """A dict like a JSON policy document, or just a list of statements (Version 2012-10-17)."""
    if not isinstance(doc, Mapping):
        doc = {"Version": "2012-10-17", "Statement": list(doc)}
    sts = doc["Statement"]
    if isinstance(sts, Mapping):
        sts = [sts]
    return ast.Policy(
        statements=tuple(statement(i, s) for i, s in enumerate(sts)),
        version=doc.get("Version"),
        kind=kind,
    )


# --- principals and requests -----------------------------------------------------------------

A = "111122223333"
B = "444455556666"


def user(name: str = "alice", account: str = A) -> Any:
    from sagegate.policy import PrincipalInfo

    return PrincipalInfo(
        arn=f"arn:aws:iam::{account}:user/{name}",
        account=account,
        type="User",
        userid=f"AIDA{name.upper()}",
        username=name,
    )


def role_session(role: str = "R", session: str = "s", account: str = A) -> Any:
    from sagegate.policy import PrincipalInfo

    return PrincipalInfo(
        arn=f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        account=account,
        type="AssumedRole",
        userid=f"AROA{role.upper()}:{session}",
        role_arn=f"arn:aws:iam::{account}:role/{role}",
    )


def root(account: str = A) -> Any:
    from sagegate.policy import PrincipalInfo

    return PrincipalInfo(
        arn=f"arn:aws:iam::{account}:root", account=account, type="Account", userid=account,
        is_root=True,
    )  # fmt: skip


def compiled(doc: Any, policy_id: str = "arn:aws:iam::111122223333:policy/P", **kw: Any) -> Any:
    from sagegate.policy import compile_policy

    return compile_policy(policy(doc, **kw), policy_id)


def request(
    action: str,
    resource: str = "*",
    principal: Any = None,
    context: Mapping[str, Any] | None = None,
    resource_account: str | None = None,
) -> Any:
    from sagegate.policy import Context, Request

    p = principal if principal is not None else user()
    ctx = {"aws:username": p.username} if p.username else {}
    ctx["aws:userid"] = p.userid
    ctx.update(context or {})
    return Request(action, resource, p, Context.build(ctx), resource_account)
