"""Policy variables: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"""

from __future__ import annotations

from typing import Any

import pytest

from sagegate.policy import (
    ConditionClause,
    Context,
    PolicySet,
    compile_condition,
    compile_template,
    evaluate,
)

from ._build import A, compiled, request, role_session, user

HOME = [
    {"Action": ["s3:ListBucket"], "Effect": "Allow", "Resource": ["arn:aws:s3:::mybucket"],
     "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}},
    {"Action": ["s3:GetObject", "s3:PutObject"], "Effect": "Allow",
     "Resource": ["arn:aws:s3:::mybucket/${aws:username}/*"]},
]  # fmt: skip


def allowed(doc: Any, action: str, resource: str, principal: Any = None, ctx: Any = None) -> bool:
    ps = PolicySet(identity=(compiled(doc),))
    return evaluate(request(action, resource, principal, ctx), ps).allowed


@pytest.mark.parametrize(
    ("action", "resource", "ctx", "expected"),
    [
        ("s3:GetObject", "arn:aws:s3:::mybucket/alice/notes.txt", None, True),
        ("s3:GetObject", "arn:aws:s3:::mybucket/bob/notes.txt", None, False),
        ("s3:ListBucket", "arn:aws:s3:::mybucket", {"s3:prefix": "alice/2024"}, True),
        ("s3:ListBucket", "arn:aws:s3:::mybucket", {"s3:prefix": "bob/2024"}, False),
    ],
)
def test_home_directory_example(action: str, resource: str, ctx: Any, expected: bool) -> None:
    assert allowed(HOME, action, resource, user("alice"), ctx) is expected


def test_without_version_variables_are_literal() -> None:
    # "If you don't include the Version element ... variables like ${aws:username} are treated
    # as literal strings in the policy."
    doc = {"Statement": HOME}
    assert not allowed(doc, "s3:GetObject", "arn:aws:s3:::mybucket/alice/x", user("alice"))
    assert allowed(doc, "s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/x", user("alice"))
    old = {"Version": "2008-10-17", "Statement": HOME}
    assert allowed(old, "s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/x", user("alice"))


def test_variable_with_no_value_matches_no_resource() -> None:
    # "the resource that includes a policy variable with no value will not match any resource";
    # aws:username is not present for a role session (principal key table).
    assert not allowed(
        HOME, "s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/x", role_session()
    )
    assert not allowed(HOME, "s3:GetObject", "arn:aws:s3:::mybucket//x", role_session())


def test_variable_with_no_value_in_conditions() -> None:
    # "StringEquals or StringLike do not match ... Inverted condition operators like
    # StringNotEquals or StringNotLike do match against a null value" — the doc's example:
    doc = [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}},
           {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]  # fmt: skip
    res = "arn:aws:s3:::amzn-s3-demo-bucket/o"
    tag = {"s3:ExistingObjectTag/Team": "red"}
    # "Access is explicitly denied when aws:principaltag/Team is not set."
    assert not allowed(doc, "s3:GetObject", res, user(), tag)
    assert allowed(doc, "s3:GetObject", res, user(), {**tag, "aws:PrincipalTag/Team": "red"})
    assert not allowed(doc, "s3:GetObject", res, user(), {**tag, "aws:PrincipalTag/Team": "blue"})


def test_default_values() -> None:
    # "${aws:PrincipalTag/team, 'company-wide'}"
    doc = [{"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'company-wide'}/*"}]  # fmt: skip
    assert allowed(doc, "s3:GetObject", "arn:aws:s3:::bucket/company-wide/x")
    assert not allowed(doc, "s3:GetObject", "arn:aws:s3:::bucket/ml/x")
    ctx = {"aws:PrincipalTag/team": "ml"}
    assert allowed(doc, "s3:GetObject", "arn:aws:s3:::bucket/ml/x", ctx=ctx)
    assert not allowed(doc, "s3:GetObject", "arn:aws:s3:::bucket/company-wide/x", ctx=ctx)


def test_multivalued_key_as_variable_has_no_value() -> None:
    # "you cannot use a multivalued context key as a policy variable"
    doc = [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:TagKeys}"}
    ]
    assert not allowed(doc, "s3:GetObject", "arn:aws:s3:::b/a", ctx={"aws:TagKeys": ["a"]})
    doc2 = [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/${aws:TagKeys, 'd'}",
        }
    ]
    assert allowed(doc2, "s3:GetObject", "arn:aws:s3:::b/d", ctx={"aws:TagKeys": ["a", "b"]})


def test_special_characters() -> None:
    # ${*} ${?} ${$} are a literal *, ? and $
    doc = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${*}${?}${$}"}]
    assert allowed(doc, "s3:GetObject", "arn:aws:s3:::b/*?$")
    assert not allowed(doc, "s3:GetObject", "arn:aws:s3:::b/xy$")
    assert not allowed(doc, "s3:GetObject", "arn:aws:s3:::b/*x$")


def test_substituted_value_is_literal_not_a_wildcard() -> None:
    doc = [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/p}",
        }
    ]
    ctx = {"aws:PrincipalTag/p": "a*"}
    assert allowed(doc, "s3:GetObject", "arn:aws:s3:::b/a*", ctx=ctx)
    assert not allowed(doc, "s3:GetObject", "arn:aws:s3:::b/abc", ctx=ctx)


def test_variable_names_are_case_insensitive() -> None:
    doc = [
        {
            "Effect": "Allow",
            "Action": "iam:GetUser",
            "Resource": f"arn:aws:iam::{A}:user/${{AWS:UserName}}",
        }
    ]
    assert allowed(doc, "iam:GetUser", f"arn:aws:iam::{A}:user/alice", user("alice"))


@pytest.mark.parametrize(
    ("op", "value", "ctx", "expected"),
    [
        ("StringEquals", "${aws:username}", {"k": "alice", "aws:username": "alice"}, True),
        ("StringEquals", "x-${aws:username}", {"k": "x-alice", "aws:username": "alice"}, True),
        ("StringEqualsIgnoreCase", "${aws:username}", {"k": "ALICE", "aws:username": "alice"}, True),
        ("StringLike", "${aws:username}*", {"k": "alice2", "aws:username": "alice"}, True),
        ("StringLike", "${aws:username}", {"k": "alice", "aws:username": "al*"}, False),
        ("StringLike", "${*}", {"k": "*"}, True),
        ("StringLike", "${*}", {"k": "x"}, False),
        ("StringEquals", "${aws:username}", {"k": "alice"}, False),
        ("StringNotEquals", "${aws:username}", {"k": "alice"}, True),
        ("StringNotLike", "${aws:username}", {"k": "alice"}, True),
        ("ArnLike", "arn:aws:iam::*:user/${aws:username}", {"k": "arn:aws:iam::1:user/alice", "aws:username": "alice"}, True),
        ("ArnEquals", "arn:aws:iam::*:user/${aws:username}", {"k": "arn:aws:iam::1:user/bob", "aws:username": "alice"}, False),
        # not for numeric/date/bool/ip operators: the text stays literal (and is unparseable)
        ("NumericEquals", "${aws:n}", {"k": "5", "aws:n": "5"}, False),
    ],
)  # fmt: skip
def test_variables_in_condition_values(op: str, value: str, ctx: Any, expected: bool) -> None:
    c = compile_condition(ConditionClause(op, "k", (value,)), True)
    assert c.evaluate(Context.build(ctx), [], []) is expected


def test_template_compilation() -> None:
    assert compile_template("plain", True) is None
    assert compile_template("${aws:username}", False) is None
    t = compile_template("a/${aws:username}/${aws:PrincipalTag/x, 'd''q'}/${", True)
    assert t is not None
    assert t.keys == ("aws:username", "aws:principaltag/x")
    ctx = Context.build({"aws:username": "u"})
    assert t.text(ctx) == "a/u/d'q/${"
    assert compile_template("${}", True) is None  # not a variable: literal
