"""Wildcard matching: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
and the ARN operators of https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""

from __future__ import annotations

import pytest

from sagegate.policy.matching import Glob, arn_like, like, split_arn


@pytest.mark.parametrize(
    ("pattern", "kind"),
    [("*", "any"), ("iam:getuser", "exact"), ("iam:*", "prefix"), ("iam:*user", "regex"),
     ("a?c", "regex"), ("a*b*", "regex")],
)  # fmt: skip
def test_glob_classification(pattern: str, kind: str) -> None:
    assert Glob(pattern).kind == kind


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*", "", True),
        ("a*", "a", True),
        ("a*c", "abbc", True),
        ("a*c", "abbd", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("a.c", "abc", False),  # regex metacharacters are literal
        ("a[b]c", "a[b]c", True),
        ("a+", "aa", False),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/x:y/z", True),
        ("x*", "x\ny", True),
    ],
)
def test_like(pattern: str, value: str, expected: bool) -> None:
    assert like(pattern, value) is expected
    assert Glob(pattern).matches(value) is expected


def test_ignore_case() -> None:
    g = Glob("IAM:Get*", ignore_case=True)
    assert g.matches("iam:getuser")
    assert like("ABC", "abc", ignore_case=True)


def test_arn_like() -> None:
    assert split_arn("arn:aws:iam::1:role/a:b") == ("arn", "aws", "iam", "", "1", "role/a:b")
    assert split_arn("arn:aws:iam") is None
    assert arn_like("arn:aws:iam::*:role/*", "arn:aws:iam::1:role/x")
    assert not arn_like("arn:*:role/x", "arn:aws:iam::1:role/x")
