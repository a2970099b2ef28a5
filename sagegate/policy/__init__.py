"""IAM policy language: parse, compile, evaluate, explain. Pure: stdlib and `regex` only.

Typical use::

    pol = compile_policy(parse(document), "arn:aws:iam::111122223333:policy/P")
    decision = evaluate(Request(action, resource, principal, Context.build(keys)),
                        PolicySet(identity=(pol,)))
    if not decision.allowed:
        raise AccessDenied(denial_message(request, decision))
"""

from __future__ import annotations

from .arn import Arn, is_valid_arn, parse_arn
from .ast import ConditionClause, Effect, Policy, PolicyKind, Principal, Statement
from .compile import (
    CompiledPolicy,
    CompiledStatement,
    PrincipalMatch,
    compile_policy,
)
from .conditions import OPERATORS, CompiledCondition, compile_condition
from .context import (
    Context,
    ContextValue,
    PrincipalInfo,
    PrincipalType,
    Request,
    context_entries,
    iso_time,
    principal_context,
)
from .errors import InvalidArn, MalformedPolicyDocument, PolicyError, PolicySizeExceeded
from .evaluate import PolicySet, evaluate
from .explain import Decision, MatchedStatement, Reason, denial_message, explain
from .matching import Glob, arn_like, like
from .parse import parse
from .variables import Template, compile_template

__all__ = [
    "OPERATORS",
    "Arn",
    "CompiledCondition",
    "CompiledPolicy",
    "CompiledStatement",
    "ConditionClause",
    "Context",
    "ContextValue",
    "Decision",
    "Effect",
    "Glob",
    "InvalidArn",
    "MalformedPolicyDocument",
    "MatchedStatement",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicySet",
    "PolicySizeExceeded",
    "Principal",
    "PrincipalInfo",
    "PrincipalMatch",
    "PrincipalType",
    "Reason",
    "Request",
    "Statement",
    "Template",
    "arn_like",
    "compile_condition",
    "compile_policy",
    "compile_template",
    "context_entries",
    "denial_message",
    "evaluate",
    "explain",
    "is_valid_arn",
    "like",
    "parse",
    "parse_arn",
    "principal_context",
    "iso_time",
]
