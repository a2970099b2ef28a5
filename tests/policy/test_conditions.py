"""Condition operators, one table per family.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
"""

from __future__ import annotations

from typing import Any

import pytest

from sagegate.policy import ConditionClause, Context, compile_condition
from sagegate.policy.conditions import parse_date, split_operator


def check(op: str, key: str, values: Any, ctx: dict[str, Any], *, variables: bool = True) -> bool:
    vals = (values,) if isinstance(values, str) else tuple(values)
    c = compile_condition(ConditionClause(op, key, vals), variables)
    missing: list[str] = []
    diag: list[str] = []
    return c.evaluate(Context.build(ctx), missing, diag)


def run(op: str, values: Any, ctx_value: Any) -> bool:
    ctx = {} if ctx_value is None else {"k:key": ctx_value}
    return check(op, "k:key", values, ctx)


# (operator, policy values, request value (None = key missing), expected)
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
STRING: list[tuple[str, Any, Any, bool]] = [
    ("StringEquals", "iamuser-admin", "iamuser-admin", True),  # doc example job-category
    ("StringEquals", "iamuser-admin", "IAMuser-admin", False),  # case-sensitive
    ("StringEquals", ["a", "b"], "b", True),  # several values: OR
    ("StringEquals", "a", None, False),  # missing key
    ("StringNotEquals", "a", "b", True),
    ("StringNotEquals", ["a", "b"], "b", False),  # NOR
    # reference_policies_elements_condition.html: "If the policy condition requires that the key
    # is not matched, such as StringNotLike or ArnNotLike, and the right key is not present,
    # the condition is true."
    ("StringNotEquals", "a", None, True),
    ("StringEqualsIgnoreCase", "ABC", "abc", True),
    ("StringNotEqualsIgnoreCase", "ABC", "abc", False),
    ("StringNotEqualsIgnoreCase", "ABC", "abd", True),
    ("StringLike", "home/*", "home/alice/x", True),
    ("StringLike", "home/?", "home/ab", False),
    ("StringLike", "home/??", "home/ab", True),
    ("StringLike", "Home/*", "home/a", False),  # case-sensitive
    ("StringNotLike", ["a*", "b*"], "cat", True),
    ("StringNotLike", ["a*", "b*"], "bat", False),
    ("StringLike", "*", None, False),  # "a wildcard matches any value as long as it is provided"
    ("StringNotLike", "*", None, True),
    ("StringEqualsIfExists", "a", None, True),
    ("StringEqualsIfExists", "a", "b", False),
    ("StringNotEqualsIfExists", "a", None, True),
]
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Numeric
NUMERIC: list[tuple[str, Any, Any, bool]] = [
    ("NumericEquals", "10", "10", True),
    ("NumericEquals", "10", "10.0", True),
    ("NumericLessThanEquals", "10", "10", True),  # doc: s3:max-keys <= 10
    ("NumericLessThanEquals", "10", "11", False),
    ("NumericLessThan", "10", "9", True),
    ("NumericGreaterThan", "10", "11", True),
    ("NumericGreaterThanEquals", "10", "9", False),
    ("NumericNotEquals", "10", "11", True),
    ("NumericNotEquals", ["10", "11"], "11", False),
    ("NumericEquals", "abc", "10", False),  # unparseable policy value
    ("NumericNotEquals", "abc", "10", False),
    ("NumericEquals", "10", "ten", False),  # unparseable request value
    ("NumericNotEquals", "10", "ten", False),
    ("NumericEquals", "10", None, False),
    ("NumericNotEquals", "10", None, True),
    ("NumericLessThanIfExists", "10", None, True),
    ("NumericEquals", "-1.5", "-1.50", True),
]
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
DATE: list[tuple[str, Any, Any, bool]] = [
    ("DateGreaterThan", "2020-01-01T00:00:01Z", "2020-01-01T00:00:02Z", True),
    ("DateGreaterThan", "2020-01-01T00:00:01Z", "2020-01-01T00:00:01Z", False),
    ("DateGreaterThanEquals", "2020-01-01T00:00:01Z", "2020-01-01T00:00:01Z", True),
    ("DateLessThan", "2020-01-01", "2019-12-31T23:59:59Z", True),
    ("DateEquals", "2020-01-01T00:00:00Z", "1577836800", True),  # epoch seconds
    ("DateEquals", "1577836800", "2020-01-01T01:00:00+01:00", True),  # offsets
    ("DateEquals", "2020-01-01T00:00:00.000Z", "2020-01-01T00:00:00Z", True),
    ("DateNotEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z", True),
    ("DateLessThanEquals", "2020-01-01T00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateLessThan", "not-a-date", "2020-01-01T00:00:00Z", False),
    ("DateLessThan", "2020-01-01T00:00:00Z", "yesterday", False),
    ("DateLessThan", "2020-01-01T00:00:00Z", None, False),
    ("DateNotEquals", "2020-01-01T00:00:00Z", None, True),
]
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Boolean
BOOL: list[tuple[str, Any, Any, bool]] = [
    ("Bool", "true", "true", True),
    ("Bool", "true", "TRUE", True),
    ("Bool", "false", "true", False),
    ("Bool", "true", None, False),
    ("BoolIfExists", "true", None, True),
    ("BoolIfExists", "false", "true", False),
    ("Bool", "yes", "true", False),
    ("Bool", "true", "1", False),
]
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_BinaryEquals
BINARY: list[tuple[str, Any, Any, bool]] = [
    ("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True),
    ("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5", False),
    ("BinaryEquals", "!!!", "QmluYXJ5", False),
    ("BinaryEquals", "QmluYXJ5", None, False),
]
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
IP: list[tuple[str, Any, Any, bool]] = [
    ("IpAddress", "203.0.113.0/24", "203.0.113.7", True),  # doc example
    ("IpAddress", "203.0.113.0/24", "203.0.114.7", False),
    ("IpAddress", ["203.0.113.0/24", "2001:DB8:1234:5678::/64"], "2001:db8:1234:5678::1", True),
    ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", False),
    ("IpAddress", "203.0.113.5", "203.0.113.5", True),  # a bare address is a /32
    ("IpAddress", "203.0.113.0/24", "::ffff:203.0.113.7", False),  # version mismatch
    ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", True),
    ("NotIpAddress", "203.0.113.0/24", "203.0.113.1", False),
    ("NotIpAddress", "203.0.113.0/24", None, True),
    ("IpAddress", "203.0.113.0/24", None, False),
    ("IpAddress", "bogus", "203.0.113.1", False),
    ("IpAddress", "203.0.113.0/24", "bogus", False),
    ("IpAddressIfExists", "203.0.113.0/24", None, True),
]
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
ARN: list[tuple[str, Any, Any, bool]] = [
    (
        "ArnEquals",
        "arn:aws:sns:us-east-1:123456789012:topic",
        "arn:aws:sns:us-east-1:123456789012:topic",
        True,
    ),
    ("ArnLike", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-east-1:123456789012:topic", True),
    ("ArnLike", "arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/a/b", True),
    (
        "ArnLike",
        "arn:aws:*:us-east-1:123456789012:x",
        "arn:aws:sns:eu-west-1:123456789012:x",
        False,
    ),
    # a wildcard does not span ':' between the six components
    ("ArnLike", "arn:aws:s*1:123456789012:x", "arn:aws:sns:us-east-1:123456789012:x", False),
    ("ArnLike", "arn:aws:sns:us-east-?:*:t", "arn:aws:sns:us-east-1:1:t", True),
    ("ArnLike", "arn:aws:sns:*:*:topic", "arn:aws:SNS:us-east-1:1:topic", False),  # case
    ("ArnEquals", "arn:aws:sns:*:*:*", "not-an-arn", False),
    ("ArnNotEquals", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b", True),
    ("ArnNotLike", "arn:aws:iam::1:role/*", "arn:aws:iam::1:role/b", False),
    ("ArnNotLike", "arn:aws:iam::1:role/*", None, True),
    ("ArnLike", "arn:aws:iam::1:role/*", None, False),
    ("ArnLike", "arn:aws:iam::1:role/x:y*", "arn:aws:iam::1:role/x:yz", True),  # 6th keeps ':'
]
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
NULL: list[tuple[str, Any, Any, bool]] = [
    ("Null", "true", None, True),  # doc: aws:TokenIssueTime absent
    ("Null", "true", "2020-01-01T00:00:00Z", False),
    ("Null", "false", "2020-01-01T00:00:00Z", True),
    ("Null", "false", None, False),
    ("Null", "true", (), True),  # an empty multivalued key is null
    ("Null", "maybe", None, False),
]


@pytest.mark.parametrize(("op", "values", "ctx", "expected"), STRING + NUMERIC + DATE + BOOL)
def test_scalar_operators(op: str, values: Any, ctx: Any, expected: bool) -> None:
    assert run(op, values, ctx) is expected


@pytest.mark.parametrize(("op", "values", "ctx", "expected"), BINARY + IP + ARN + NULL)
def test_other_operators(op: str, values: Any, ctx: Any, expected: bool) -> None:
    assert run(op, values, ctx) is expected


# Multivalued keys with set operators. Tables from "Creating a condition that tests multiple key
# values" and "Single-valued vs. multivalued context keys" (DynamoDB attributes, aws:TagKeys).
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
SETS = [
    ("ForAllValues:StringLike", ["PostDateTime", "Message", "Tags"], ("PostDateTime", "Message"), True),
    ("ForAllValues:StringLike", ["PostDateTime", "Message", "Tags"], ("PostDateTime", "UserName"), False),
    ("ForAnyValue:StringLike", ["ID", "PostDateTime"], ("UserName", "Message", "PostDateTime"), True),
    ("ForAnyValue:StringLike", ["ID", "PostDateTime"], ("UserName",), False),
    # missing key / empty set
    ("ForAllValues:StringEquals", ["a"], None, True),
    ("ForAllValues:StringEquals", ["a"], (), True),
    ("ForAllValues:StringEquals", ["a"], "", True),
    ("ForAnyValue:StringEquals", ["a"], None, False),
    ("ForAnyValue:StringEquals", ["a"], (), False),
    ("ForAnyValue:StringLike", ["*"], "", False),
    ("ForAnyValue:StringEqualsIfExists", ["a"], None, True),
    # negated, aws:TagKeys with DataClass/Owner
    ("ForAllValues:StringNotEquals", ["DataClass", "Owner"], None, True),
    ("ForAllValues:StringNotEquals", ["DataClass", "Owner"], ("DataClass", "Owner"), False),
    ("ForAllValues:StringNotEquals", ["DataClass", "Owner"], ("DataClass", "Dept"), False),
    ("ForAllValues:StringNotEquals", ["DataClass", "Owner"], ("Dept", "SIC"), True),
    ("ForAnyValue:StringNotEquals", ["DataClass", "Owner"], None, False),
    ("ForAnyValue:StringNotEquals", ["DataClass", "Owner"], ("DataClass", "Owner"), False),
    ("ForAnyValue:StringNotEquals", ["DataClass", "Owner"], ("DataClass", "Dept"), True),
    ("ForAnyValue:StringNotEquals", ["DataClass", "Owner"], ("Dept",), True),
    # a single value is a set of one
    ("ForAllValues:StringEquals", ["a", "b"], "a", True),
    ("ForAnyValue:StringEquals", ["a", "b"], "c", False),
    # other families with sets
    ("ForAnyValue:NumericGreaterThan", ["5"], ("1", "6"), True),
    ("ForAllValues:NumericGreaterThan", ["5"], ("1", "6"), False),
    ("ForAnyValue:IpAddress", ["10.0.0.0/8"], ("192.168.0.1", "10.1.2.3"), True),
    ("ForAllValues:ArnLike", ["arn:aws:iam::*:role/*"], ("arn:aws:iam::1:role/a", "arn:aws:iam::2:role/b"), True),
    # single-valued operator, multivalued request key: positive = any, negated = none
    ("StringEquals", ["a"], ("b", "a"), True),
    ("StringNotEquals", ["a"], ("b", "a"), False),
    ("StringNotEquals", ["a"], ("b", "c"), True),
]  # fmt: skip


@pytest.mark.parametrize(("op", "values", "ctx", "expected"), SETS)
def test_set_operators(op: str, values: Any, ctx: Any, expected: bool) -> None:
    assert run(op, values, ctx) is expected


def test_key_names_are_case_insensitive() -> None:
    assert check("StringEquals", "AWS:UserName", "alice", {"aws:username": "alice"})
    assert check("StringEquals", "aws:username", "alice", {"AWS:USERNAME": "alice"})
    assert not check("StringEquals", "aws:username", "Alice", {"aws:username": "alice"})


def test_unknown_operator_never_matches_and_is_recorded() -> None:
    c = compile_condition(ConditionClause("StringSortOf", "k", ("a",)), True)
    diag: list[str] = []
    assert not c.evaluate(Context.build({"k": "a"}), [], diag)
    assert diag and "StringSortOf" in diag[0]


def test_missing_keys_are_reported() -> None:
    c = compile_condition(
        ConditionClause("StringEqualsIfExists", "aws:PrincipalTag/x", ("a",)), True
    )
    missing: list[str] = []
    assert c.evaluate(Context.build({}), missing, [])
    assert missing == ["aws:PrincipalTag/x"]


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", ("", "StringEquals", False)),
        ("stringequals", ("", "StringEquals", False)),
        ("StringLikeIfExists", ("", "StringLike", True)),
        ("ForAnyValue:StringLikeIfExists", ("ForAnyValue", "StringLike", True)),
        ("ForAllValues:NumericLessThan", ("ForAllValues", "NumericLessThan", False)),
        ("NullIfExists", ("", None, True)),
        ("ForSomeValues:StringLike", ("", None, False)),
        ("IfExists", ("", None, False)),
    ],
)
def test_split_operator(operator: str, expected: tuple[str, str | None, bool]) -> None:
    assert split_operator(operator) == expected


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("2020-01-01", 1577836800.0),
        ("2020-01-01T00:00:00Z", 1577836800.0),
        ("2020-01-01T00:00Z", 1577836800.0),
        ("2020-01-01T00:00:00.500Z", 1577836800.5),
        ("2020-01-01T02:00:00+02:00", 1577836800.0),
        ("20200101T000000Z", 1577836800.0),
        ("1577836800", 1577836800.0),
        ("garbage", None),
        ("", None),
    ],
)
def test_parse_date(text: str, epoch: float | None) -> None:
    assert parse_date(text) == epoch
