"""The simulator's logic without a server: statement positions, context entries, context keys
and the EvaluationResult shapes (IAM API Reference: SimulateCustomPolicy, EvaluationResult,
ResourceSpecificResult, Statement, Position; AWS CLI examples for simulate-custom-policy and
get-context-keys-for-custom-policy)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sagegate.iam.simulation import (
    Simulation,
    context_from_entries,
    context_keys,
    evaluation_result,
    source_policy,
    statement_positions,
)
from sagegate.policy import Context, PolicyKind, PrincipalInfo, parse
from sagegate.protocol.errors import ServiceError

ACCOUNT = "111122223333"
ALICE = PrincipalInfo(f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT, "User", "AIDA1", "alice")
CLI_EXAMPLE = (
    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
    '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
)


def doc(*statements: dict[str, Any], version: str = "2012-10-17", indent: int | None = None) -> str:
    return json.dumps({"Version": version, "Statement": list(statements)}, indent=indent)


def stmt(effect: str, action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def sim(*docs: str, **kw: Any) -> Simulation:
    identity = tuple(
        source_policy(f"PolicyInputList.{i}", "IAM Policy", d) for i, d in enumerate(docs, 1)
    )
    return Simulation(principal=kw.pop("principal", ALICE), identity=identity, **kw)


# -- positions ---------------------------------------------------------------------------------


def test_positions_of_the_cli_example() -> None:
    # simulate-custom-policy example: StartPosition {1, 38}, EndPosition {1, 167}.
    assert statement_positions(CLI_EXAMPLE) == (((1, 38), (1, 167)),)


def test_positions_in_a_pretty_printed_list() -> None:
    text = doc(stmt("Allow", "s3:*"), stmt("Deny", "s3:Delete*"), indent=2)
    # {\n  "Version": ..,\n  "Statement": [\n    {   <- line 4, brace in column 5
    assert statement_positions(text) == (((4, 6), (8, 6)), ((9, 6), (13, 6)))


def test_positions_skip_other_elements_and_strings_with_braces() -> None:
    text = (
        '{"Id": "a{b}[c]", "Statement" : [ {"Sid":"}{","Effect":"Allow","Action":"*",'
        '"Resource":"*"} ], "Version": "2012-10-17"}'
    )
    ((start, end),) = statement_positions(text)
    assert start == (1, text.index('{"Sid"') + 2)
    assert end == (1, text.index("} ]") + 2)


def test_positions_of_unreadable_text_are_empty() -> None:
    assert statement_positions("not json") == ()
    assert statement_positions('{"Statement": 3}') == ()


# -- context entries -----------------------------------------------------------------------------


def entry(name: str, values: list[str], typ: str) -> dict[str, Any]:
    return {"ContextKeyName": name, "ContextKeyValues": values, "ContextKeyType": typ}


def test_context_entries_types() -> None:
    ctx = context_from_entries(
        [
            entry("aws:CurrentTime", ["2019-04-25T11:00:00Z"], "date"),
            entry("aws:TagKeys", ["a", "b"], "stringList"),
            entry("aws:MultiFactorAuthPresent", ["TRUE"], "boolean"),
            entry("aws:SourceIp", ["10.0.0.1"], "ip"),
            entry("s3:max-keys", ["10"], "numeric"),
            entry("aws:PrincipalTag/x", ["one"], "stringList"),
        ]
    )
    assert ctx["aws:currenttime"] == "2019-04-25T11:00:00Z"
    assert ctx["aws:TagKeys"] == ("a", "b")
    assert ctx["aws:MultiFactorAuthPresent"] == "true"
    assert ctx["aws:principaltag/x"] == ("one",)
    assert ctx["s3:max-keys"] == "10"


@pytest.mark.parametrize(
    ("typ", "value"),
    [("ip", "10.0.0.300"), ("numeric", "ten"), ("boolean", "yes"), ("date", "yesterday"),
     ("binary", "%%%"), ("dateList", "x")],
)  # fmt: skip
def test_context_entries_reject_values_of_the_wrong_type(typ: str, value: str) -> None:
    with pytest.raises(ServiceError) as e:
        context_from_entries([entry("k:key", [value], typ)])
    assert e.value.code == "InvalidInput"


# -- context keys --------------------------------------------------------------------------------


def test_context_keys_of_the_cli_example() -> None:
    text = CLI_EXAMPLE.replace(
        '"Resource":"*"', '"Resource":"arn:aws:dynamodb:::table/${aws:username}"'
    )
    assert context_keys([parse(text)]) == ["aws:username", "aws:CurrentTime"]


def test_context_keys_casing_defaults_escapes_and_version() -> None:
    first = doc(
        stmt(
            "Allow",
            "s3:*",
            "arn:aws:s3:::b/${aws:PrincipalTag/team, 'all'}/${*}",
            Condition={
                "StringEquals": {"s3:prefix": "${aws:userid}/", "aws:RequestedRegion": "x"},
                "Bool": {"AWS:SecureTransport": "true"},
            },
        )
    )
    second = doc(
        stmt("Allow", "s3:*", "arn:aws:s3:::b/${aws:username}",
             Condition={"StringLike": {"aws:securetransport": "t", "s3:Prefix": "p"}}),
        version="2008-10-17",
    )  # fmt: skip
    assert context_keys([parse(first), parse(second)]) == [
        "aws:PrincipalTag/team",
        "s3:prefix",
        "aws:userid",
        "aws:RequestedRegion",
        "AWS:SecureTransport",
    ]


# -- evaluation results ------------------------------------------------------------------------


def test_result_for_all_resources_has_no_per_resource_part() -> None:
    s = sim(
        CLI_EXAMPLE,
        context=context_from_entries([entry("aws:CurrentTime", ["2019-01-01"], "date")]),
    )
    assert evaluation_result(s, "dynamodb:CreateBackup", None) == {
        "EvalActionName": "dynamodb:CreateBackup",
        "EvalResourceName": "*",
        "EvalDecision": "allowed",
        "MatchedStatements": [
            {
                "SourcePolicyId": "PolicyInputList.1",
                "SourcePolicyType": "IAM Policy",
                "StartPosition": {"Line": 1, "Column": 38},
                "EndPosition": {"Line": 1, "Column": 167},
            }
        ],
        "MissingContextValues": [],
    }


def test_missing_context_values_include_resource_variables() -> None:
    text = doc(stmt("Allow", "s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))
    r = evaluation_result(sim(text), "s3:GetObject", ["arn:aws:s3:::home/alice/f"])
    assert r["EvalDecision"] == "implicitDeny"
    assert r["MissingContextValues"] == ["aws:username"]
    assert r["ResourceSpecificResults"][0]["MissingContextValues"] == ["aws:username"]
    ctx = Context.build({"aws:username": "alice"})
    r = evaluation_result(sim(text, context=ctx), "s3:GetObject", ["arn:aws:s3:::home/alice/f"])
    assert r["EvalDecision"] == "allowed" and r["MissingContextValues"] == []


def test_several_resources_report_the_most_restrictive_decision() -> None:
    text = doc(stmt("Allow", "s3:*"), stmt("Deny", "s3:GetObject", "arn:aws:s3:::b/secret/*"))
    resources = ["arn:aws:s3:::b/ok", "arn:aws:s3:::b/secret/x", "arn:aws:s3:::b/ok2"]
    r = evaluation_result(sim(text), "s3:GetObject", resources)
    assert r["EvalDecision"] == "explicitDeny"
    assert r["EvalResourceName"] == "*"
    assert [m["StartPosition"]["Column"] for m in r["MatchedStatements"]] == [
        text.index('{"Effect": "Deny"') + 2
    ]
    assert [x["EvalResourceDecision"] for x in r["ResourceSpecificResults"]] == [
        "allowed",
        "explicitDeny",
        "allowed",
    ]
    assert r["EvalDecisionDetails"] == {}
    one = evaluation_result(sim(text), "s3:GetObject", ["arn:aws:s3:::b/ok"])
    assert one["EvalResourceName"] == "arn:aws:s3:::b/ok" and one["EvalDecision"] == "allowed"


def test_boundary_decision_detail() -> None:
    boundary = source_policy(
        "PermissionsBoundaryPolicyInputList.1", "IAM Policy", doc(stmt("Allow", "s3:Get*")),
        PolicyKind.BOUNDARY,
    )  # fmt: skip
    s = sim(doc(stmt("Allow", "s3:*")), boundary=boundary)
    get = evaluation_result(s, "s3:GetObject", None)
    put = evaluation_result(s, "s3:PutObject", ["arn:aws:s3:::b/k"])
    assert get["EvalDecision"] == "allowed"
    assert get["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert put["EvalDecision"] == "implicitDeny"
    assert put["ResourceSpecificResults"][0]["PermissionsBoundaryDecisionDetail"] == {
        "AllowedByPermissionsBoundary": False
    }


def resource_policy(principal: str, effect: str = "Allow") -> Any:
    text = doc(stmt(effect, "s3:GetObject", "arn:aws:s3:::b/*", Principal={"AWS": principal}))
    return source_policy("ResourcePolicy", "resource", text, PolicyKind.RESOURCE)


def test_resource_policy_same_account_and_cross_account() -> None:
    rp = resource_policy(ALICE.arn)
    same = evaluation_result(sim(doc(stmt("Allow", "sqs:*")), resource=rp), "s3:GetObject",
                             ["arn:aws:s3:::b/k"])  # fmt: skip
    assert same["EvalDecision"] == "allowed"
    assert same["MatchedStatements"][0]["SourcePolicyId"] == "ResourcePolicy"
    assert same["MatchedStatements"][0]["SourcePolicyType"] == "resource"

    cross = sim(doc(stmt("Allow", "sqs:*")), resource=rp, resource_owner="999988887777")
    r = evaluation_result(cross, "s3:GetObject", ["arn:aws:s3:::b/k"])
    assert r["EvalDecision"] == "implicitDeny"
    assert r["EvalDecisionDetails"] == {"IAM Policy": "implicitDeny", "Resource Policy": "allowed"}
    both = sim(doc(stmt("Allow", "s3:*")), resource=rp, resource_owner="999988887777")
    assert evaluation_result(both, "s3:GetObject", None)["EvalDecision"] == "implicitDeny"
    r = evaluation_result(both, "s3:GetObject", ["arn:aws:s3:::b/k"])
    assert r["EvalDecision"] == "allowed"
    assert r["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
    assert {m["SourcePolicyId"] for m in r["MatchedStatements"]} == {
        "PolicyInputList.1",
        "ResourcePolicy",
    }

    denied = sim(doc(stmt("Allow", "s3:*")), resource=resource_policy(ALICE.arn, "Deny"))
    r = evaluation_result(denied, "s3:GetObject", ["arn:aws:s3:::b/k"])
    assert r["EvalDecision"] == "explicitDeny"
    assert r["MatchedStatements"][0]["SourcePolicyId"] == "ResourcePolicy"


def test_organization_policies_gate_every_level() -> None:
    def scp(action: str, effect: str = "Allow") -> Any:
        return source_policy("OrderedOrganizationPolicyInputList.1.1", "none",
                             doc(stmt(effect, action)))  # fmt: skip

    base = doc(stmt("Allow", "s3:*"))
    open_ = sim(base, organizations=((scp("*"),), (scp("s3:*"),)))
    r = evaluation_result(open_, "s3:GetObject", None)
    assert r["EvalDecision"] == "allowed"
    assert r["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}
    closed = sim(base, organizations=((scp("*"),), (scp("ec2:*"),)))
    r = evaluation_result(closed, "s3:GetObject", None)
    assert r["EvalDecision"] == "implicitDeny" and r["MatchedStatements"] == []
    assert r["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": False}
    denying = sim(base, organizations=((scp("*"), scp("s3:GetObject", "Deny")),))
    r = evaluation_result(denying, "s3:GetObject", None)
    assert r["EvalDecision"] == "explicitDeny" and r["MatchedStatements"] == []


def test_malformed_input_policies() -> None:
    with pytest.raises(ServiceError) as e:
        source_policy("PolicyInputList.1", "IAM Policy", '{"Statement": [')
    assert (e.value.code, e.value.message) == (
        "MalformedPolicyDocument",
        "Syntax errors in policy.",
    )
    with pytest.raises(ServiceError) as e:
        source_policy("ResourcePolicy", "resource", doc(stmt("Allow", "s3:*")), PolicyKind.RESOURCE)
    assert e.value.code == "MalformedPolicyDocument"


def test_missing_context_values_include_condition_variables_and_keys() -> None:
    text = doc(
        stmt("Allow", "s3:ListBucket", "arn:aws:s3:::b",
             Condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"}}),
        stmt("Deny", "s3:ListBucket", "*",
             Condition={"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}),
        stmt("Allow", "ec2:*", "*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
    )  # fmt: skip
    r = evaluation_result(sim(text), "s3:ListBucket", ["arn:aws:s3:::b"])
    assert r["MissingContextValues"] == ["aws:RequestedRegion", "s3:prefix", "aws:username"]
    # The missing region makes the negated condition true: the Deny applies.
    assert r["EvalDecision"] == "explicitDeny"
    ctx = Context.build(
        {"aws:username": "al", "s3:prefix": "home/al/x", "aws:RequestedRegion": "eu-west-1"}
    )
    r = evaluation_result(sim(text, context=ctx), "s3:ListBucket", ["arn:aws:s3:::b"])
    assert r["EvalDecision"] == "allowed" and r["MissingContextValues"] == []
