"""`sagegate.policy.arn`: the ARN format of
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sagegate.policy.arn import Arn, is_valid_arn, parse_arn
from sagegate.policy.errors import InvalidArn, PolicyError

# (ARN, partition, service, region, account, resource) -- examples from the ARN page and the
# SageMaker / IAM / STS resource-type tables of the Service Authorization Reference.
VALID = [
    ("arn:aws:iam::123456789012:user/johndoe", "aws", "iam", "", "123456789012", "user/johndoe"),
    ("arn:aws:iam::123456789012:root", "aws", "iam", "", "123456789012", "root"),
    ("arn:aws:s3:::my_corporate_bucket/exampleobject.png", "aws", "s3", "", "", "my_corporate_bucket/exampleobject.png"),
    ("arn:aws:sns:us-east-1:123456789012:example-sns-topic-name", "aws", "sns", "us-east-1", "123456789012", "example-sns-topic-name"),
    ("arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0e9801d129EXAMPLE", "aws", "ec2", "us-east-1", "123456789012", "vpc/vpc-0e9801d129EXAMPLE"),
    ("arn:aws:sts::123456789012:assumed-role/Role/session", "aws", "sts", "", "123456789012", "assumed-role/Role/session"),
    ("arn:aws:sagemaker:us-west-2:111122223333:training-job/my-job", "aws", "sagemaker", "us-west-2", "111122223333", "training-job/my-job"),
    ("arn:aws:lambda:us-east-1:123456789012:function:my-function:1", "aws", "lambda", "us-east-1", "123456789012", "function:my-function:1"),
    ("arn:aws-cn:iam::123456789012:role/a/b/c", "aws-cn", "iam", "", "123456789012", "role/a/b/c"),
    ("arn:aws:iam::aws:policy/AdministratorAccess", "aws", "iam", "", "aws", "policy/AdministratorAccess"),
    ("arn:*:s3:::bucket/${aws:username}/*", "*", "s3", "", "", "bucket/${aws:username}/*"),
]  # fmt: skip

INVALID = [
    "",
    "*",
    "arn",
    "arn:aws",
    "arn:aws:s3",
    "arn:aws:s3:::",
    "arn:aws:s3::",
    "urn:aws:s3:::bucket",
    "arn::s3:::bucket",
    "arn:aws::::bucket",
    "ARN:aws:s3:::bucket",
]


@pytest.mark.parametrize(("text", "partition", "service", "region", "account", "resource"), VALID)
def test_parse_valid(
    text: str, partition: str, service: str, region: str, account: str, resource: str
) -> None:
    arn = parse_arn(text)
    assert arn == Arn(partition, service, region, account, resource)
    assert str(arn) == text
    assert is_valid_arn(text)


@pytest.mark.parametrize("text", INVALID)
def test_parse_invalid(text: str) -> None:
    with pytest.raises(InvalidArn) as info:
        parse_arn(text)
    assert info.value.value == text
    assert isinstance(info.value, PolicyError) and isinstance(info.value, ValueError)
    assert not is_valid_arn(text)


def test_resource_type() -> None:
    assert parse_arn("arn:aws:iam::123456789012:user/a/b").resource_type == "user"
    assert parse_arn("arn:aws:lambda:r:1:function:f").resource_type == "function"
    assert parse_arn("arn:aws:s3:::bucket").resource_type == ""


def test_frozen() -> None:
    arn = parse_arn("arn:aws:s3:::bucket")
    with pytest.raises(AttributeError):
        arn.service = "iam"  # type: ignore[misc]


def test_error_message_is_bounded() -> None:
    text = "x" * 1_000_000
    with pytest.raises(InvalidArn) as info:
        parse_arn(text)
    assert len(str(info.value)) < 400


_field = st.text(alphabet=st.characters(blacklist_characters=":"), min_size=1, max_size=20)
_maybe_empty = st.text(alphabet=st.characters(blacklist_characters=":"), max_size=20)


@given(_field, _field, _maybe_empty, _maybe_empty, st.text(min_size=1, max_size=40))
def test_round_trip(p: str, s: str, r: str, a: str, res: str) -> None:
    arn = Arn(p, s, r, a, res)
    assert parse_arn(str(arn)) == arn


@given(st.text(max_size=80))
def test_never_raises_other_errors(text: str) -> None:
    try:
        arn = parse_arn(text)
    except InvalidArn:
        assert not is_valid_arn(text)
    else:
        assert str(arn) == text
