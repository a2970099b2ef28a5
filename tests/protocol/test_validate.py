"""Constraint validation: AWS's message texts, paths, codes, and Java-regex semantics."""

from __future__ import annotations

from typing import Any

import pytest

from sagegate.protocol import ValidationError, compile_java_pattern, operation_model, validate

P1 = "1 validation error detected: "
USER = r"[\w+=,.@-]+"

CASES: list[tuple[str, str, dict[str, Any], str | None]] = [
    ("iam", "GetUser", {"UserName": "alice@example.com"}, None),
    ("iam", "GetUser", {}, None),
    (
        "iam",
        "GetUser",
        {"UserName": "x y"},
        P1 + "Value 'x y' at 'userName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {USER}",
    ),
    (
        "iam",
        "GetUser",
        {"UserName": "bé"},  # \w is ASCII-only in Java
        P1 + "Value 'bé' at 'userName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {USER}",
    ),
    (
        "iam",
        "CreateUser",
        {},
        P1 + "Value null at 'userName' failed to satisfy constraint: Member must not be null",
    ),
    (
        "iam",
        "CreateRole",
        {"RoleName": "r" * 65, "AssumeRolePolicyDocument": "{}"},
        P1 + f"Value '{'r' * 65}' at 'roleName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64",
    ),
    (
        "iam",
        "CreateUser",
        {"UserName": ""},
        "2 validation errors detected: Value '' at 'userName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; Value '' at 'userName' failed to "
        f"satisfy constraint: Member must satisfy regular expression pattern: {USER}",
    ),
    (
        "iam",
        "ListUsers",
        {"MaxItems": 0},
        P1 + "Value '0' at 'maxItems' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    ),
    (
        "iam",
        "CreateLoginProfile",  # passwordType is sensitive: the value is never echoed
        {"UserName": "bob", "Password": "s3cret\x01"},
        P1 + "Value at 'password' failed to satisfy constraint: Member must satisfy regular "
        r"expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+",
    ),
    (
        "sts",
        "AssumeRole",
        {
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "RoleSessionName": "sess",
            "DurationSeconds": 100,
        },
        P1 + "Value '100' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900",
    ),
    (
        "sts",
        "AssumeRole",
        {
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "RoleSessionName": "sess",
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, {"arn": "short"}],
        },
        P1 + "Value 'short' at 'policyArns.2.member.arn' failed to satisfy constraint: "
        "Member must have length greater than or equal to 20",
    ),
    (
        "sts",
        "AssumeRole",
        {
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "RoleSessionName": "sess",
            "PolicyArns": [],
        },
        None,
    ),
    (
        "sts",
        "AssumeRole",
        {"RoleArn": "arn:aws:iam::123456789012:role/r"},
        P1 + "Value null at 'roleSessionName' failed to satisfy constraint: "
        "Member must not be null",
    ),
    (
        "sts",
        "AssumeRoleWithWebIdentity",  # webIdentityTokenType is sensitive
        {
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "RoleSessionName": "sess",
            "WebIdentityToken": "abc",
        },
        P1 + "Value at 'webIdentityToken' failed to satisfy constraint: "
        "Member must have length greater than or equal to 4",
    ),
    (
        "sagemaker",
        "CreateNotebookInstance",
        {
            "NotebookInstanceName": "nb-1",
            "InstanceType": "ml.t3.medium",
            "RoleArn": "arn:aws:iam::123456789012:role/SageMaker",
            "VolumeSizeInGB": 4,
        },
        P1 + "Value '4' at 'volumeSizeInGB' failed to satisfy constraint: "
        "Member must have value greater than or equal to 5",
    ),
    (
        "sagemaker",
        "DescribeNotebookInstance",
        {"NotebookInstanceName": "-bad"},
        P1 + "Value '-bad' at 'notebookInstanceName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9])*",
    ),
    (
        "sagemaker",
        "CreateModel",
        {
            "ModelName": "m",
            "PrimaryContainer": {"Environment": {"1BAD": "v", "GOOD": "v"}},
        },
        P1 + "Value at 'primaryContainer.environment' failed to satisfy constraint: Map keys "
        "must satisfy constraint: [Member must satisfy regular expression pattern: "
        "[a-zA-Z_][a-zA-Z0-9_]*]",
    ),
]


@pytest.mark.parametrize(("service", "operation", "params", "message"), CASES)
def test_validation_messages(
    service: str, operation: str, params: dict[str, Any], message: str | None
) -> None:
    op = operation_model(service, operation)
    if message is None:
        validate(op, params)
        return
    with pytest.raises(ValidationError) as info:
        validate(op, params)
    err = info.value
    assert err.message == message
    assert err.code == ("ValidationException" if service == "sagemaker" else "ValidationError")
    assert err.status == 400 and err.sender_fault


def test_enum_message_lists_the_model_values_in_order() -> None:
    op = operation_model("sagemaker", "CreateNotebookInstance")
    params = {
        "NotebookInstanceName": "nb",
        "InstanceType": "ml.bogus",
        "RoleArn": "arn:aws:iam::123456789012:role/SM",
    }
    with pytest.raises(ValidationError) as info:
        validate(op, params)
    enum = op.input_shape.members["InstanceType"].enum
    assert info.value.errors == (
        "Value 'ml.bogus' at 'instanceType' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(enum)}]",
    )


def test_secret_never_in_message() -> None:
    op = operation_model("iam", "CreateLoginProfile")
    secret = "hunter2\x00" + "x" * 200
    with pytest.raises(ValidationError) as info:
        validate(op, {"UserName": "bob", "Password": secret})
    assert "hunter2" not in info.value.message
    assert "hunter2" not in str(info.value)


def test_lengths_count_utf16_code_units() -> None:
    op = operation_model("iam", "TagUser")
    # tagValueType: max 256; 128 x U+1D400 are 256 UTF-16 units (ok), 129 are 258 (too long).
    ok = {"UserName": "bob", "Tags": [{"Key": "k", "Value": "𝐀" * 128}]}
    validate(op, ok)
    too_long = {"UserName": "bob", "Tags": [{"Key": "k", "Value": "𝐀" * 129}]}
    with pytest.raises(ValidationError) as info:
        validate(op, too_long)
    assert "at 'tags.1.member.value'" in info.value.message
    assert "Member must have length less than or equal to 256" in info.value.message


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        (r"[\w+=,.@-]+", "a_b", True),
        (r"[\w+=,.@-]+", "é", False),  # Java \w is ASCII
        (r"[\w+=,.@-]+", "ab\n", False),  # full match, not search
        (r"\d+", "١٢", False),  # Java \d is ASCII (Arabic-Indic digits are not)
        (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "Ünïcödé 12", True),
        (r"arn:[\p{Alnum}\-]+:lambda:.*", "arn:aws:lambda:x", True),
        (r"arn:[\p{Alnum}\-]+:lambda:.*", "arn:äws:lambda:x", False),  # POSIX classes: ASCII
        (r"[\S\s]*", "a\u00a0b\n", True),  # Java \S: anything but ASCII whitespace
        (r"\S(.*\S)?", "\u00a0", True),
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*", "a😀\t", True),
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*", "\x01", False),
        (
            r"(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*/)?([a-zA-Z0-9]([a-zA-Z0-9\-]){0,62})(?<!-)",
            "nb-1",
            True,
        ),
        (
            r"(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*/)?([a-zA-Z0-9]([a-zA-Z0-9\-]){0,62})(?<!-)",
            "nb-",
            False,
        ),
    ],
)
def test_java_patterns(pattern: str, text: str, matches: bool) -> None:
    compiled = compile_java_pattern(pattern)
    assert compiled is not None
    assert (compiled.fullmatch(text) is not None) is matches


def test_every_model_pattern_compiles() -> None:
    from sagegate.protocol import SERVICES, service_model

    for service in SERVICES:
        model = service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern is not None:
                assert compile_java_pattern(pattern) is not None, (service, name, pattern)


def test_untranslatable_pattern_is_skipped() -> None:
    assert compile_java_pattern("[z-a]") is None


def test_remembered_valid_strings_change_no_answer() -> None:
    """Strings that met a shape's constraints are remembered (bounded); nothing else is."""
    from sagegate.protocol.models import input_plan
    from sagegate.protocol.validate import MAX_REMEMBERED

    op = operation_model("iam", "CreateUser")
    plan = input_plan("iam", "CreateUser")
    assert plan is not None
    node = plan.members["UserName"][1]
    for _ in range(2):
        validate(op, {"UserName": "ok-name"})
    assert "ok-name" in node.valid
    for _ in range(2):
        with pytest.raises(ValidationError) as e:
            validate(op, {"UserName": "bad name!"})
        assert "regular expression pattern" in str(e.value)
    assert "bad name!" not in node.valid
    for i in range(MAX_REMEMBERED + 5):
        validate(op, {"UserName": f"u{i}"})
    assert len(node.valid) <= MAX_REMEMBERED
