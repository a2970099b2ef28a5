"""Table-driven tests of `sagegate.policy.parse`: AWS's rules and AWS's message texts.

Each case cites where the rule comes from. Message texts that AWS's documentation does not
print were taken from the live service as recorded in public bug reports and in moto's test
suite, which was written against real IAM responses:
MOTO = https://github.com/getmoto/moto/blob/master/tests/test_iam/test_iam_policies.py
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sagegate.policy import ast
from sagegate.policy.ast import PolicyKind
from sagegate.policy.errors import MalformedPolicyDocument, PolicyError, PolicySizeExceeded
from sagegate.policy.limits import (
    DEFAULT_MAX_SIZE,
    MANAGED_POLICY_MAX,
    MAX_DOCUMENT_CHARS,
    size_without_whitespace,
)
from sagegate.policy.parse import parse

UG = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
ELEMENTS = UG + "reference_policies_elements.html"
GRAMMAR = UG + "reference_policies_grammar.html"
VERSION = UG + "reference_policies_elements_version.html"
SID = UG + "reference_policies_elements_sid.html"
EFFECT = UG + "reference_policies_elements_effect.html"
PRINCIPAL = UG + "reference_policies_elements_principal.html"
ACTION = UG + "reference_policies_elements_action.html"
RESOURCE = UG + "reference_policies_elements_resource.html"
CONDITION = UG + "reference_policies_elements_condition_operators.html"
QUOTAS = UG + "reference_iam-quotas.html"
TRUST = UG + "id_roles_terms-and-concepts.html"
MOTO = "https://github.com/getmoto/moto/blob/master/tests/test_iam/test_iam_policies.py"

SYNTAX = "Syntax errors in policy."
LEGACY = "The policy failed legacy parsing"
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
TWO_COLONS = "Actions/Condition can contain only one colon."
SID_UNIQUE = "Statement IDs (SID) in a single policy must be unique."
SID_ALNUM = (
    "Statement IDs (SID) must be alpha-numeric. "
    "Check that your input satisfies the regular expression [0-9A-Za-z]*"
)
VERSION_2012 = "Policy document must be version 2012-10-17 or greater."
NO_PRINCIPAL_ALLOWED = "Policy document should not specify a principal."
TRUST_NO_PRINCIPAL = (
    "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: "
    "The passed in policy has a statement with no principals!"
)
TRUST_ACTIONS = (
    "Trust Policy statement actions can only be sts:AssumeRole, "
    "sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"
)
IAM_PATH = (
    'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, '
    "instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, "
    "oidc-provider/, report/, access-report/."
)

V = "2012-10-17"
BUCKET = "arn:aws:s3:::example_bucket"


def stmt(**elements: Any) -> dict[str, Any]:
    """A statement: Effect Allow, Action s3:ListBucket, Resource BUCKET unless overridden;
    an element given as None is left out."""
    base: dict[str, Any] = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}
    base.update(elements)
    return {k: v for k, v in base.items() if v is not None}


def doc(*statements: dict[str, Any], version: str | None = V, **top: Any) -> str:
    body: dict[str, Any] = {}
    if version is not None:
        body["Version"] = version
    body.update(top)
    body["Statement"] = statements[0] if len(statements) == 1 else list(statements)
    return json.dumps(body)


def trust(**elements: Any) -> str:
    base: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "sagemaker.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    base.update(elements)
    return doc({k: v for k, v in base.items() if v is not None})


def raises(
    document: str, kind: PolicyKind = PolicyKind.IDENTITY, **kw: Any
) -> MalformedPolicyDocument:
    with pytest.raises(MalformedPolicyDocument) as info:
        parse(document, kind, **kw)
    return info.value


# (case id, document, kind, expected message, expected JSON path or None to skip, source URL)
# fmt: off
INVALID: list[tuple[str, str, PolicyKind, str, str | None, str]] = [
    # --- JSON and document shape (GRAMMAR; texts from MOTO) ---
    ("not-json", "This is not a json document", PolicyKind.IDENTITY, SYNTAX, "", MOTO),
    ("json-array", "[]", PolicyKind.IDENTITY, SYNTAX, "", GRAMMAR),
    ("json-trailing-garbage", doc(stmt()) + "x", PolicyKind.IDENTITY, SYNTAX, "", GRAMMAR),
    ("nan-constant", '{"Statement": NaN}', PolicyKind.IDENTITY, SYNTAX, "", GRAMMAR),
    ("unknown-top-element", doc(stmt(), **{"Extra field": "value"}), PolicyKind.IDENTITY, SYNTAX, "Extra field", MOTO),
    ("missing-statement", json.dumps({"Version": V}), PolicyKind.IDENTITY, SYNTAX, "", MOTO),
    ("statement-empty-list", json.dumps({"Version": V, "Statement": []}), PolicyKind.IDENTITY, SYNTAX, "Statement", MOTO),
    ("statement-string", json.dumps({"Version": V, "Statement": "afd"}), PolicyKind.IDENTITY, SYNTAX, "Statement", GRAMMAR),
    ("statement-list-of-string", json.dumps({"Version": V, "Statement": ["afd"]}), PolicyKind.IDENTITY, SYNTAX, "Statement[0]", MOTO),
    ("version-unknown", doc(stmt(), version="2013-10-17"), PolicyKind.IDENTITY, SYNTAX, "Version", MOTO),
    ("version-number", json.dumps({"Version": 2012, "Statement": stmt()}), PolicyKind.IDENTITY, SYNTAX, "Version", VERSION),
    ("id-list", doc(stmt(), Id=["cd3a324d2343d942772346-34234234423404-4c2242343242349d1642ee"]), PolicyKind.IDENTITY, SYNTAX, "Id", MOTO),
    ("id-object", doc(stmt(), Id={}), PolicyKind.IDENTITY, SYNTAX, "Id", MOTO),
    ("unknown-statement-element", doc(stmt(**{"Extra field": "value"})), PolicyKind.IDENTITY, SYNTAX, "Statement.Extra field", MOTO),
    ("duplicate-key-top", '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}', PolicyKind.IDENTITY, SYNTAX, "Version", GRAMMAR),
    ("duplicate-key-statement", '{"Statement": [{"Effect": "Allow", "Action": "*", "Action": "s3:*", "Resource": "*"}]}', PolicyKind.IDENTITY, SYNTAX, "Statement[0].Action", GRAMMAR),
    ("duplicate-key-condition", '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true", "aws:SecureTransport": "false"}}}}', PolicyKind.IDENTITY, SYNTAX, "Statement.Condition.Bool.aws:SecureTransport", GRAMMAR),
    # --- Effect (EFFECT: "Allow" or "Deny", case-sensitive) ---
    ("effect-missing", doc(stmt(Effect=None)), PolicyKind.IDENTITY, SYNTAX, "Statement", MOTO),
    ("effect-invalid", doc(stmt(Effect="invalid")), PolicyKind.IDENTITY, SYNTAX, "Statement.Effect", MOTO),
    ("effect-list", doc(stmt(Effect=["Allow"])), PolicyKind.IDENTITY, SYNTAX, "Statement.Effect", EFFECT),
    ("effect-wrong-case", doc(stmt(Effect="denY")), PolicyKind.IDENTITY, LEGACY, "Statement.Effect", MOTO),
    # --- Sid (SID: [A-Za-z0-9]; unique in a policy) ---
    ("sid-object", doc(stmt(Sid={})), PolicyKind.IDENTITY, SYNTAX, "Statement.Sid", MOTO),
    ("sid-list", doc(stmt(Sid=[])), PolicyKind.IDENTITY, SYNTAX, "Statement.Sid", MOTO),
    ("sid-dash", doc(stmt(Sid="autogenerated-id")), PolicyKind.IDENTITY, SID_ALNUM, "Statement.Sid", SID),
    ("sid-space", doc(stmt(Sid="Space Space")), PolicyKind.IDENTITY, SID_ALNUM, "Statement.Sid", SID),
    ("sid-duplicate", doc(stmt(Sid="sdf"), {"Sid": "sdf", "Effect": "Allow"}), PolicyKind.IDENTITY, SID_UNIQUE, "Statement[1].Sid", SID),
    # --- Action / NotAction (ACTION) ---
    ("action-and-notaction", doc(stmt(NotAction="s3:ListBucket", Action="iam:dsf")), PolicyKind.IDENTITY, SYNTAX, "Statement", MOTO),
    ("action-object", doc(stmt(Action={})), PolicyKind.IDENTITY, SYNTAX, "Statement.Action", MOTO),
    ("action-nested-list", doc(stmt(Action=[[]])), PolicyKind.IDENTITY, SYNTAX, "Statement.Action[0]", MOTO),
    ("action-number", doc(stmt(Action=["s3:GetObject", 5])), PolicyKind.IDENTITY, SYNTAX, "Statement.Action[1]", ACTION),
    ("action-null", doc(stmt(Action=["s3:GetObject", None])), PolicyKind.IDENTITY, SYNTAX, "Statement.Action[1]", ACTION),
    ("action-missing", doc(stmt(Action=None)), PolicyKind.IDENTITY, NO_ACTIONS, "Statement", MOTO),
    ("action-empty-list", doc(stmt(Action=[])), PolicyKind.IDENTITY, NO_ACTIONS, "Statement", MOTO),
    ("action-no-vendor", doc(stmt(Action="invalid")), PolicyKind.IDENTITY, NO_VENDOR, "Statement.Action", MOTO),
    ("notaction-empty-string", doc(stmt(Action=None, NotAction="")), PolicyKind.IDENTITY, NO_VENDOR, "Statement.NotAction", MOTO),
    ("action-vendor-space", doc(stmt(Action="a a:ListBucket")), PolicyKind.IDENTITY, "Vendor a a is not valid", "Statement.Action", MOTO),
    ("action-vendor-wildcard", doc(stmt(Action="s3*:GetObject")), PolicyKind.IDENTITY, "Vendor s3* is not valid", "Statement.Action", ACTION),
    ("action-two-colons", doc(stmt(Action="s3:List:Bucket")), PolicyKind.IDENTITY, TWO_COLONS, "Statement.Action", MOTO),
    ("action-two-colons-second-statement", doc(stmt(Action="s3s:ListBucket"), stmt(Action=["s3:Get*", "s:3s:ListBucket"])), PolicyKind.IDENTITY, TWO_COLONS, "Statement[1].Action[1]", MOTO),
    # --- Resource / NotResource (RESOURCE) ---
    ("resource-and-notresource", doc(stmt(NotResource=[])), PolicyKind.IDENTITY, SYNTAX, "Statement", MOTO),
    ("resource-object", doc(stmt(Resource={"a": BUCKET})), PolicyKind.IDENTITY, SYNTAX, "Statement.Resource", MOTO),
    ("resource-list-with-object", doc(stmt(Effect="Deny", Resource=["adfdf", {}])), PolicyKind.IDENTITY, SYNTAX, "Statement.Resource[1]", MOTO),
    ("resource-missing", doc(stmt(Resource=None)), PolicyKind.IDENTITY, NO_RESOURCES, "Statement", MOTO),
    ("resource-empty-list", doc(stmt(Resource=[])), PolicyKind.IDENTITY, NO_RESOURCES, "Statement", MOTO),
    ("resource-not-arn", doc(stmt(Resource="invalid resource")), PolicyKind.IDENTITY, 'Resource invalid resource must be in ARN format or "*".', "Statement.Resource", MOTO),
    ("resource-empty-string", doc(stmt(Resource="")), PolicyKind.IDENTITY, 'Resource  must be in ARN format or "*".', "Statement.Resource", MOTO),
    ("resource-in-list", doc(stmt(Resource=["*", "adf"])), PolicyKind.IDENTITY, 'Resource adf must be in ARN format or "*".', "Statement.Resource[1]", MOTO),
    ("resource-bad-partition", doc(stmt(Action=None, NotAction="s3s:ListBucket", Resource="a:bsdfdsafsad")), PolicyKind.IDENTITY, 'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".', "Statement.Resource", MOTO),
    ("resource-bad-partition-2", doc(stmt(Resource="a:b:cadfsdf")), PolicyKind.IDENTITY, 'Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".', "Statement.Resource", MOTO),
    ("resource-bad-partition-long", doc(stmt(Resource="a:b:c:d:e:f:g:h")), PolicyKind.IDENTITY, 'Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".', "Statement.Resource", MOTO),
    ("resource-missing-arn-prefix", doc(stmt(Resource="aws:s3:::example_bucket")), PolicyKind.IDENTITY, 'Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".', "Statement.Resource", MOTO),
    ("resource-error-partition", doc(stmt(Resource=["arn:error:s3:::example_bucket", "arn:aws:s3:::b"])), PolicyKind.IDENTITY, 'Partition "error" is not valid for resource "arn:error:s3:::example_bucket".', "Statement.Resource[0]", MOTO),
    ("resource-not-arn-prefix", doc(stmt(Resource="urn:aws:s3:::example_bucket")), PolicyKind.IDENTITY, 'Resource urn:aws:s3:::example_bucket must be in ARN format or "*".', "Statement.Resource", RESOURCE),
    ("resource-no-vendor", doc(stmt(Resource="arn:aws")), PolicyKind.IDENTITY, "Resource vendor must be fully qualified and cannot contain regexes.", "Statement.Resource", MOTO),
    ("resource-vendor-wildcard", doc(stmt(Resource="arn:aws:s*:::bucket")), PolicyKind.IDENTITY, "Resource vendor must be fully qualified and cannot contain regexes.", "Statement.Resource", RESOURCE),
    ("resource-iam-path", doc(stmt(Resource="arn:aws:iam:::example_bucket")), PolicyKind.IDENTITY, IAM_PATH, "Statement.Resource", MOTO),
    ("resource-iam-region", doc(stmt(Resource="arn:aws:iam:us-east-1::example_bucket")), PolicyKind.IDENTITY, "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.", "Statement.Resource", MOTO),
    ("resource-s3-region", doc(stmt(Resource="arn:aws:s3:us-east-1::example_bucket")), PolicyKind.IDENTITY, "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.", "Statement.Resource", MOTO),
    ("resource-legacy-four-fields", doc(stmt(Resource="arn:aws:s3::example_bucket")), PolicyKind.IDENTITY, LEGACY, "Statement.Resource", MOTO),
    ("resource-legacy-no-service", doc(stmt(Resource="arn:aws::fdsasf")), PolicyKind.IDENTITY, LEGACY, "Statement.Resource", MOTO),
    ("notresource-legacy", doc(stmt(Resource=None, NotResource="arn:aws:s3::example_bucket")), PolicyKind.IDENTITY, LEGACY, "Statement.NotResource", MOTO),
    # --- Condition (CONDITION) ---
    ("condition-list", doc(stmt(Condition=[])), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition", MOTO),
    ("condition-string", doc(stmt(Condition="a")), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition", MOTO),
    ("condition-block-string", doc(stmt(Condition={"a": "b"})), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition.a", MOTO),
    ("condition-block-list", doc(stmt(Condition={"DateGreaterThan": []})), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition.DateGreaterThan", MOTO),
    ("condition-value-object", doc(stmt(Condition={"DateGreaterThan": {"a": {}}})), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition.DateGreaterThan.a", MOTO),
    ("condition-value-nested-list", doc(stmt(Condition={"StringEquals": {"a": ["x", ["y"]]}})), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition.StringEquals.a[1]", CONDITION),
    ("condition-value-null", doc(stmt(Condition={"StringEquals": {"a": None}})), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition.StringEquals.a", CONDITION),
    ("condition-unknown-operator", doc(stmt(Condition={"x": {"a": "1"}})), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition.x", MOTO),
    ("condition-operator-wrong-case", doc(stmt(Condition={"stringequals": {"a": "1"}})), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition.stringequals", CONDITION),
    ("condition-double-colon-prefix", doc(stmt(Condition={"ForAnyValue::StringEqualsIfExists": {"a": "asf"}})), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition.ForAnyValue::StringEqualsIfExists", MOTO),
    ("condition-null-ifexists", doc(stmt(Condition={"NullIfExists": {"aws:TokenIssueTime": "true"}})), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition.NullIfExists", CONDITION),
    ("condition-two-set-prefixes", doc(stmt(Condition={"ForAnyValue:ForAllValues:StringEquals": {"a": "b"}})), PolicyKind.IDENTITY, SYNTAX, None, CONDITION),
    ("condition-bad-date", doc(stmt(Condition={"DateGreaterThan": {"a": "sdfdsf"}})), PolicyKind.IDENTITY, LEGACY, "Statement.Condition.DateGreaterThan.a", MOTO),
    ("condition-bad-month", doc(stmt(Condition={"DateLessThanEquals": {"a": "234-13"}})), PolicyKind.IDENTITY, LEGACY, None, MOTO),
    ("condition-bad-offset", doc(stmt(Condition={"DateLessThanEquals": {"a": "2016-12-13t2:00:00.593194+1"}})), PolicyKind.IDENTITY, LEGACY, None, MOTO),
    ("condition-bad-fraction", doc(stmt(Condition={"DateLessThanEquals": {"a": "2016-12-13t2:00:00.1999999999+10:59"}})), PolicyKind.IDENTITY, LEGACY, None, MOTO),
    ("condition-second-60", doc(stmt(Condition={"DateEquals": {"a": "2020-01-01T00:00:60Z"}})), PolicyKind.IDENTITY, LEGACY, None, MOTO),
    ("condition-hour-24", doc(stmt(Condition={"DateEquals": {"a": "2020-01-01T24:00:00Z"}})), PolicyKind.IDENTITY, LEGACY, None, MOTO),
    ("condition-day-32", doc(stmt(Condition={"DateEquals": {"a": "2020-01-32"}})), PolicyKind.IDENTITY, LEGACY, None, MOTO),
    ("condition-date-in-list", doc(stmt(Condition={"DateEquals": {"a": ["2020-01-01", "x"]}})), PolicyKind.IDENTITY, LEGACY, "Statement.Condition.DateEquals.a", MOTO),
    ("condition-epoch-too-big", doc(stmt(Condition={"DateLessThan": {"a": "9223372036854775808"}})), PolicyKind.IDENTITY, LEGACY, None, MOTO),
    # --- Principal in policies that cannot have one (PRINCIPAL) ---
    ("identity-with-principal", doc(stmt(Principal={"AWS": "arn:aws:iam::111122223333:root"})), PolicyKind.IDENTITY, NO_PRINCIPAL_ALLOWED, "Statement.Principal", PRINCIPAL),
    ("boundary-with-notprincipal", doc(stmt(NotPrincipal={"AWS": "111122223333"})), PolicyKind.BOUNDARY, NO_PRINCIPAL_ALLOWED, "Statement.NotPrincipal", PRINCIPAL),
    ("session-with-principal", doc(stmt(Principal="*")), PolicyKind.SESSION, NO_PRINCIPAL_ALLOWED, "Statement.Principal", PRINCIPAL),
    ("principal-and-notprincipal", doc(stmt(Principal="*", NotPrincipal="*")), PolicyKind.RESOURCE, SYNTAX, "Statement", PRINCIPAL),
    ("notprincipal-with-allow", doc(stmt(NotPrincipal={"AWS": "111122223333"})), PolicyKind.RESOURCE, SYNTAX, "Statement.NotPrincipal", UG + "reference_policies_elements_notprincipal.html"),
    ("principal-string-not-star", doc(stmt(Principal="arn:aws:iam::111122223333:root")), PolicyKind.RESOURCE, SYNTAX, "Statement.Principal", PRINCIPAL),
    ("principal-unknown-type", doc(stmt(Principal={"User": "bob"})), PolicyKind.RESOURCE, SYNTAX, "Statement.Principal.User", PRINCIPAL),
    ("principal-empty-object", doc(stmt(Principal={})), PolicyKind.RESOURCE, SYNTAX, "Statement.Principal", PRINCIPAL),
    ("principal-empty-list", doc(stmt(Principal={"AWS": []})), PolicyKind.RESOURCE, SYNTAX, "Statement.Principal.AWS", PRINCIPAL),
    ("resource-policy-no-principal", doc(stmt()), PolicyKind.RESOURCE, "Missing required field Principal", "Statement", PRINCIPAL),
    # --- Principal values (PRINCIPAL; text: https://github.com/hashicorp/terraform/issues/35086) ---
    ("principal-aws-garbage", trust(Principal={"AWS": "foo"}), PolicyKind.TRUST, 'Invalid principal in policy: "AWS":"foo"', "Statement.Principal.AWS", PRINCIPAL),
    ("principal-aws-short-account", trust(Principal={"AWS": ["111122223333", "12345"]}), PolicyKind.TRUST, 'Invalid principal in policy: "AWS":"12345"', "Statement.Principal.AWS[1]", PRINCIPAL),
    ("principal-aws-wildcard-arn", trust(Principal={"AWS": "arn:aws:iam::111122223333:role/*"}), PolicyKind.TRUST, 'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/*"', None, PRINCIPAL),
    ("principal-aws-11-digit-account-arn", trust(Principal={"AWS": "arn:aws:iam::12345678901:root"}), PolicyKind.TRUST, 'Invalid principal in policy: "AWS":"arn:aws:iam::12345678901:root"', "Statement.Principal.AWS", PRINCIPAL),
    ("principal-aws-bad-partition", trust(Principal={"AWS": "arn:aws-xx:iam::111122223333:root"}), PolicyKind.TRUST, 'Invalid principal in policy: "AWS":"arn:aws-xx:iam::111122223333:root"', None, PRINCIPAL),
    ("principal-aws-group", trust(Principal={"AWS": "arn:aws:iam::111122223333:group/devs"}), PolicyKind.TRUST, 'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:group/devs"', None, PRINCIPAL),
    ("principal-service-bare-domain", trust(Principal={"Service": "amazonaws.com"}), PolicyKind.TRUST, 'Invalid principal in policy: "SERVICE":"amazonaws.com"', None, PRINCIPAL),
    ("principal-federated-garbage", trust(Principal={"Federated": "not a provider"}), PolicyKind.TRUST, 'Invalid principal in policy: "FEDERATED":"not a provider"', None, PRINCIPAL),
    ("principal-canonical-short", doc(stmt(Principal={"CanonicalUser": "abc"})), PolicyKind.RESOURCE, 'Invalid principal in policy: "CANONICALUSER":"abc"', None, PRINCIPAL),
    # --- Trust policies (TRUST; texts from https://github.com/localstack/localstack/issues/6644,
    #     https://github.com/terraform-aws-modules/terraform-aws-iam/issues/47, moto) ---
    ("trust-with-resource", trust(Resource="*"), PolicyKind.TRUST, "Has prohibited field Resource.", "Statement.Resource", TRUST),
    ("trust-with-notresource", trust(NotResource="*"), PolicyKind.TRUST, "Has prohibited field NotResource.", "Statement.NotResource", TRUST),
    ("trust-with-notprincipal", trust(Principal=None, Effect="Deny", NotPrincipal={"AWS": "111122223333"}), PolicyKind.TRUST, "Has prohibited field NotPrincipal.", "Statement.NotPrincipal", UG + "reference_policies_elements_notprincipal.html"),
    ("trust-no-principal", trust(Principal=None), PolicyKind.TRUST, TRUST_NO_PRINCIPAL, "Statement", TRUST),
    ("trust-wrong-action", trust(Action=["sts:AssumeRole", "s3:GetObject"]), PolicyKind.TRUST, TRUST_ACTIONS, "Statement.Action", TRUST),
    ("trust-sts-non-assume", trust(Action="sts:GetCallerIdentity"), PolicyKind.TRUST, TRUST_ACTIONS, "Statement.Action", TRUST),
    ("trust-wildcard-matching-nothing", trust(Action="sts:Get*"), PolicyKind.TRUST, TRUST_ACTIONS, "Statement.Action", TRUST),
    ("trust-no-action", trust(Action=None), PolicyKind.TRUST, NO_ACTIONS, "Statement", TRUST),
    # --- Characters and size (QUOTAS) ---
    ("empty-document", "", PolicyKind.IDENTITY, SYNTAX, "", QUOTAS),
    ("control-character", doc(stmt(Sid="A\x01")).replace("\\u0001", "\x01"), PolicyKind.IDENTITY, SYNTAX, "", QUOTAS),
    ("char-above-u00ff", doc(stmt(Resource="arn:aws:s3:::caf\u0100")).replace("\\u0100", "\u0100"), PolicyKind.IDENTITY, SYNTAX, "", QUOTAS),
    ("escaped-char-above-u00ff", doc(stmt(Resource="arn:aws:s3:::caf\u4e2d")), PolicyKind.IDENTITY, SYNTAX, "Statement.Resource", QUOTAS),
    ("escaped-nul", doc(stmt(Condition={"StringEquals": {"aws:username": "a\x00"}})), PolicyKind.IDENTITY, SYNTAX, "Statement.Condition.StringEquals.aws:username", QUOTAS),
]
# fmt: on


@pytest.mark.parametrize(
    ("document", "kind", "message", "path"),
    [pytest.param(d, k, m, p, id=i) for i, d, k, m, p, _url in INVALID],
)
def test_invalid(document: str, kind: PolicyKind, message: str, path: str | None) -> None:
    err = raises(document, kind)
    assert str(err) == message
    assert err.message == message
    if path is not None:
        assert err.path == path
    assert err.describe().startswith(message)


# --- AWS reports one error, chosen by stage, not by position (MOTO) ---------------------------

# fmt: off
PRIORITY: list[tuple[str, str, str]] = [
    # a syntax error anywhere beats everything
    ("syntax-beats-legacy", doc(stmt(Effect="allow"), stmt(Condition=[])), SYNTAX),
    # legacy parsing (Effect case, dates, short ARNs) beats duplicate Sids and missing actions
    ("legacy-beats-sid", doc(stmt(Sid="sdf", Effect="aLLow"), {"Sid": "sdf", "Effect": "Allow"}), LEGACY),
    ("legacy-beats-missing-action", doc({"Effect": "Allow", "Condition": {"DateGreaterThan": {"a": "x"}}}), LEGACY),
    ("legacy-beats-missing-action-2", doc({"Effect": "Allow", "Resource": "arn:aws:s3::example_bucket"}), LEGACY),
    # duplicate Sid beats a missing action
    ("sid-beats-actions", doc(stmt(Sid="sdf"), {"Sid": "sdf", "Effect": "Allow"}), SID_UNIQUE),
    # a missing action in statement 1 beats a bad resource in statement 0
    ("actions-beat-resource", doc(stmt(Resource="nope"), {"Effect": "Deny"}), NO_ACTIONS),
    # a bad resource beats a bad action, even in the same statement
    ("resource-beats-action", doc(stmt(Action="s:3:ListBucket", Resource="sdfsadf")), 'Resource sdfsadf must be in ARN format or "*".'),
    # a bad action beats a missing resource
    ("action-beats-no-resource", doc({"Effect": "Allow", "Action": "invalid"}), NO_VENDOR),
]
# fmt: on


@pytest.mark.parametrize(
    ("document", "message"), [pytest.param(d, m, id=i) for i, d, m in PRIORITY]
)
def test_error_priority(document: str, message: str) -> None:
    assert str(raises(document)) == message


def test_version_required_for_managed_policies() -> None:
    # CreatePolicy requires 2012-10-17 (MOTO): absent and 2008-10-17 both fail, before legacy errors
    for document in (
        doc(stmt(), version=None),
        doc(stmt(), version="2008-10-17"),
        doc(stmt(Effect="denY"), version=None),
    ):
        err = raises(document, require_version_2012=True)
        assert str(err) == VERSION_2012
        assert err.path == "Version"
    assert parse(doc(stmt()), require_version_2012=True).version == V
    # syntax errors still come first
    assert str(raises(doc(stmt(Effect="x"), version=None), require_version_2012=True)) == SYNTAX


def test_version_optional_by_default() -> None:
    # VERSION: a policy without Version is treated as 2008-10-17 (no policy variables)
    policy = parse(doc(stmt(), version=None))
    assert policy.version is None
    assert not policy.variables_enabled
    assert parse(doc(stmt(), version="2008-10-17")).version == "2008-10-17"
    assert parse(doc(stmt())).variables_enabled


# --- sizes (QUOTAS) -------------------------------------------------------------------------


def padded(target: int, whitespace: int = 0) -> str:
    """An identity policy of exactly `target` characters without whitespace."""
    base = doc(stmt(Sid=""))
    base = base.replace(" ", "")
    extra = target - len(base)
    assert extra >= 0
    text = base.replace('"Sid":""', '"Sid":"' + "A" * extra + '"')
    assert size_without_whitespace(text) == target
    return text.replace(",", "," + " " * whitespace, 1)


def test_size_limits_per_kind() -> None:
    assert DEFAULT_MAX_SIZE[PolicyKind.BOUNDARY] == MANAGED_POLICY_MAX == 6144
    assert DEFAULT_MAX_SIZE[PolicyKind.TRUST] == 2048
    assert DEFAULT_MAX_SIZE[PolicyKind.IDENTITY] == 10240
    ok = parse(padded(6144), PolicyKind.BOUNDARY)
    assert ok.source_size == 6144
    with pytest.raises(PolicySizeExceeded) as info:
        parse(padded(6145), PolicyKind.BOUNDARY)
    err = info.value
    assert str(err) == "Cannot exceed quota for PolicySize: 6144"
    assert (err.quota, err.limit, err.size) == ("PolicySize", 6144, 6145)
    assert isinstance(err, MalformedPolicyDocument)


def test_whitespace_is_not_counted() -> None:
    text = padded(6144, whitespace=5000)
    assert len(text) > 11000
    assert parse(text, PolicyKind.BOUNDARY).source_size == 6144


def test_max_size_override_and_trust_quota_name() -> None:
    with pytest.raises(PolicySizeExceeded) as info:
        parse(padded(2049), PolicyKind.TRUST)
    assert str(info.value) == "Cannot exceed quota for ACLSizePerRole: 2048"
    with pytest.raises(PolicySizeExceeded):
        parse(padded(200), max_size=199)
    assert parse(padded(200), max_size=200).source_size == 200


def test_raw_length_cap_is_the_api_limit() -> None:
    text = doc(stmt()) + " " * MAX_DOCUMENT_CHARS
    err = raises(text)
    assert str(err) == SYNTAX and not isinstance(err, PolicySizeExceeded)


def test_non_text_input() -> None:
    assert str(raises(b"{}")) == SYNTAX  # type: ignore[arg-type]


# --- the parsed form ------------------------------------------------------------------------


def test_parsed_form_keeps_everything_as_written() -> None:
    policy = parse(
        doc(
            stmt(
                Sid="First",
                Effect="Deny",
                Action=["S3:GetObject", "s3:Put*"],
                Resource="arn:aws:s3:::bucket/${aws:username}/*",
                Condition={
                    "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "b?"]},
                    "NumericLessThanEquals": {"s3:max-keys": 10, "x:ratio": 0.5},
                    "Bool": {"aws:SecureTransport": False, "aws:ViaAWSService": [True]},
                    "DateGreaterThan": {"aws:CurrentTime": "2019-07-16T12:00:00Z"},
                },
            ),
            stmt(
                NotAction="iam:*",
                Action=None,
                NotResource=["arn:aws:iam::*:user/admin"],
                Resource=None,
            ),
            Id="MyPolicy",
        )
    )
    assert policy.id == "MyPolicy"
    assert policy.kind is PolicyKind.IDENTITY
    first, second = policy.statements
    assert (first.index, first.path, first.sid, first.effect) == (
        0,
        "Statement[0]",
        "First",
        "Deny",
    )
    assert first.actions == ("S3:GetObject", "s3:Put*")
    assert first.resources == ("arn:aws:s3:::bucket/${aws:username}/*",)
    assert first.not_actions is None and first.not_resources is None
    assert first.principal is None and first.not_principal is None
    assert first.conditions == (
        ast.ConditionClause(
            "ForAnyValue:StringLikeIfExists",
            "aws:TagKeys",
            ("a*", "b?"),
            "Statement[0].Condition.ForAnyValue:StringLikeIfExists.aws:TagKeys",
        ),
        ast.ConditionClause(
            "NumericLessThanEquals",
            "s3:max-keys",
            ("10",),
            "Statement[0].Condition.NumericLessThanEquals.s3:max-keys",
        ),
        ast.ConditionClause(
            "NumericLessThanEquals",
            "x:ratio",
            ("0.5",),
            "Statement[0].Condition.NumericLessThanEquals.x:ratio",
        ),
        ast.ConditionClause(
            "Bool",
            "aws:SecureTransport",
            ("false",),
            "Statement[0].Condition.Bool.aws:SecureTransport",
        ),
        ast.ConditionClause(
            "Bool", "aws:ViaAWSService", ("true",), "Statement[0].Condition.Bool.aws:ViaAWSService"
        ),
        ast.ConditionClause(
            "DateGreaterThan",
            "aws:CurrentTime",
            ("2019-07-16T12:00:00Z",),
            "Statement[0].Condition.DateGreaterThan.aws:CurrentTime",
        ),
    )
    assert all(type(v) is str for c in first.conditions for v in c.values)
    assert second.not_actions == ("iam:*",) and second.actions is None
    assert second.not_resources == ("arn:aws:iam::*:user/admin",) and second.resources is None


def test_number_text_is_preserved() -> None:
    policy = parse(doc(stmt(Condition={"NumericEquals": {"a": 1}})).replace("1}", "1.50e+3}"))
    assert policy.statements[0].conditions[0].values == ("1.50e+3",)
    huge = "9" * 5000  # beyond Python's int-from-text digit limit: kept as text, no error
    text = doc(stmt(Condition={"NumericEquals": {"a": 1}})).replace(": 1}", f": {huge}}}")
    assert parse(text).statements[0].conditions[0].values == (huge,)


def test_single_statement_object_path() -> None:
    policy = parse(doc(stmt()))
    assert policy.statements[0].path == "Statement"
    assert policy.statements[0].index == 0


def test_principals_normalised() -> None:
    # PRINCIPAL: "AWS": "123456789012" is the same as "arn:aws:iam::123456789012:root"
    policy = parse(
        doc(
            stmt(
                Principal={
                    "AWS": [
                        "111122223333",
                        "arn:aws:iam::111122223333:user/division_abc/subdivision_xyz/Bob",
                        "arn:aws:iam::444455556666:role/service-role/MyRole",
                        "arn:aws:sts::444455556666:assumed-role/MyRole/session-1",
                        "arn:aws:sts::444455556666:federated-user/carol",
                        "arn:aws-cn:iam::444455556666:root",
                        "*",
                    ],
                    "Service": "sagemaker.amazonaws.com",
                    "Federated": [
                        "arn:aws:iam::111122223333:saml-provider/ExampleOrgSSOProvider",
                        "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
                        "cognito-identity.amazonaws.com",
                    ],
                    "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
                }
            )
        ),
        PolicyKind.RESOURCE,
    )
    principal = policy.statements[0].principal
    assert principal is not None and not principal.wildcard
    assert principal.entries[0] == ("AWS", "arn:aws:iam::111122223333:root")
    assert principal.entries[1][1].endswith(":user/division_abc/subdivision_xyz/Bob")
    assert ("AWS", "*") in principal.entries
    assert ("Service", "sagemaker.amazonaws.com") in principal.entries
    assert len(principal.entries) == 12
    star = parse(doc(stmt(Principal="*")), PolicyKind.RESOURCE).statements[0].principal
    assert star == ast.Principal(wildcard=True)


def test_sid_rules() -> None:
    # SID: empty Sids are allowed and may repeat (MOTO valid documents)
    parse(doc(stmt(Sid=""), stmt(Sid="")))
    # resource policies of other services accept spaces in Sid (S3 and KMS examples)
    parse(doc(stmt(Sid="Allow VPC Flow Logs", Principal="*")), PolicyKind.RESOURCE)
    # uniqueness is case-sensitive
    parse(doc(stmt(Sid="Abc"), stmt(Sid="abc")))


def test_unknown_operator_with_empty_block_is_ignored() -> None:
    # MOTO valid documents: {"a": {}} and {"x": {}, "y": {}} are accepted by IAM
    policy = parse(doc(stmt(Condition={"x": {}, "y": {}, "StringEquals": {}})))
    assert policy.statements[0].conditions == ()


def test_every_operator_form_is_accepted() -> None:
    # CONDITION: every operator, each with ...IfExists (except Null), each with a set prefix
    bases = [
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
        "StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
        "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
        "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
        "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals",
        "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
    ]  # fmt: skip
    operators = []
    for base in bases:
        for prefix in ("", "ForAnyValue:", "ForAllValues:"):
            operators.append(prefix + base)
            if base != "Null":
                operators.append(prefix + base + "IfExists")
    condition = {op: {"k:x": "2020-01-01T00:00:00Z"} for op in operators}
    policy = parse(doc(stmt(Condition=condition)), max_size=100_000)
    assert [c.operator for c in policy.statements[0].conditions] == operators


def test_valid_dates() -> None:
    # MOTO valid documents: the date forms IAM accepts
    for value in (
        "2019-07-01T13:20:15Z",
        "2016-12-13T21:20:37.593194+00:00",
        "2016-12-13t2:00:00.593194+23",
        "-292275054",
        "01T",
        "1563278400",
        "2020-01-01",
    ):
        parse(doc(stmt(Condition={"DateLessThan": {"aws:CurrentTime": value}})))


def test_lenient_aws_shapes_accepted() -> None:
    # MOTO valid documents: IAM accepts these odd but legal forms
    for resource in (
        "arn:aws:fdsasf",
        "arn:aws:s33:::example_bucket",
        "arn:aws:invalid-service:us-east-1::example_bucket",
        "arn:aws:ec2:region:account-id:instance/*",
        "arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point/object/*",
        "arn:aws:iam::*:*",
        "arn:*:s3:::bucket",
    ):
        parse(doc(stmt(Resource=resource)))
    for action in ("iam: asdf safdsf af ", "s3-s:ListBucket", "s3.s:ListBucket", "*", "*:Get*"):
        parse(doc(stmt(Action=action)))


def test_trust_policy_actions() -> None:
    # TRUST: the assume-role family, session tags, source identity, and wildcards over them
    for actions in (
        ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
        "STS:assumerole",
        "sts:AssumeRole*",
        "sts:*",
        "*",
    ):
        parse(trust(Action=actions), PolicyKind.TRUST)


def test_errors_are_policy_errors() -> None:
    err = raises("{")
    assert isinstance(err, PolicyError)
    assert err.detail.startswith("invalid JSON")
    assert "Statement[1].Effect" in raises(doc(stmt(), stmt(Effect="x"))).describe()


# --- AWS's own example policies parse -------------------------------------------------------

# fmt: off
EXAMPLES: list[tuple[str, PolicyKind, dict[str, Any]]] = [
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws-dates.html
    ("aws-dates", PolicyKind.IDENTITY, {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": "service-prefix:action-name",
            "Resource": "*",
            "Condition": {
                "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
                "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"},
            },
        }],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-requested-region.html
    ("deny-requested-region", PolicyKind.IDENTITY, {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyAllOutsideRequestedRegions",
            "Effect": "Deny",
            "NotAction": [
                "cloudfront:*", "iam:*", "route53:*", "support:*",
            ],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3"]}},
        }],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-ip.html
    ("deny-ip", PolicyKind.IDENTITY, {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
                "Bool": {"aws:ViaAWSService": "false"},
            },
        },
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_iam_mfa-selfmanage-cred.html
    ("mfa-self-manage", PolicyKind.IDENTITY, {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowViewAccountInfo", "Effect": "Allow", "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"], "Resource": "*"},
            {"Sid": "AllowManageOwnPasswords", "Effect": "Allow", "Action": ["iam:ChangePassword", "iam:GetUser"], "Resource": "arn:aws:iam::*:user/${aws:username}"},
            {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow", "Action": ["iam:CreateVirtualMFADevice"], "Resource": "arn:aws:iam::*:mfa/*"},
            {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
             "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"],
             "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
        ],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_s3_home-directory-console.html
    ("s3-home-directory", PolicyKind.IDENTITY, {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowListingOfUserFolder", "Action": ["s3:ListBucket"], "Effect": "Allow",
             "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket"],
             "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*", "${aws:username}"]}}},
            {"Sid": "AllowAllS3ActionsInUserFolder", "Effect": "Allow", "Action": ["s3:*"],
             "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*"]},
        ],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_ec2-start-stop-match-tags.html
    ("ec2-abac", PolicyKind.IDENTITY, {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/Project": "${aws:PrincipalTag/Project}"}}},
            {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
        ],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
    ("permissions-boundary", PolicyKind.BOUNDARY, {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-service.html (EC2 trust)
    ("trust-service", PolicyKind.TRUST, {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
    ("trust-external-id", PolicyKind.TRUST, {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"},
                      "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "Unique ID Assigned by Example Corp"}}},
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_saml.html
    ("trust-saml", PolicyKind.TRUST, {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                       "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/PROVIDER-NAME"},
                       "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html (GitHub OIDC)
    ("trust-oidc-github", PolicyKind.TRUST, {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow",
                       "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
                       "Action": "sts:AssumeRoleWithWebIdentity",
                       "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                                     "StringLike": {"token.actions.githubusercontent.com:sub": "repo:GitHubOrg/GitHubRepo:ref:refs/heads/GitHubBranch"}}}],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html (trust with TagSession)
    ("trust-session-tags", PolicyKind.TRUST, {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "AllowIamUserAssumeRole", "Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"AWS": "arn:aws:iam::123456789012:user/test-session-tags"},
                       "Condition": {"StringLike": {"aws:RequestTag/Project": "*"}}},
                      {"Sid": "AllowPassSessionTags", "Effect": "Allow", "Action": "sts:TagSession",
                       "Principal": {"AWS": "arn:aws:iam::123456789012:user/test-session-tags"},
                       "Condition": {"StringLike": {"aws:RequestTag/Project": "*"},
                                     "StringEquals": {"aws:RequestTag/CostCenter": ["12345", "67890"]},
                                     "ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "CostCenter"]}}}],
    }),
    # https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html (execution role trust)
    ("sagemaker-execution-role-trust", PolicyKind.TRUST, {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }),
    # https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_id-based-policy-examples.html
    ("sagemaker-instance-types-and-vpc", PolicyKind.IDENTITY, {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "EnforceInstanceType", "Effect": "Allow",
             "Action": ["sagemaker:CreateTrainingJob", "sagemaker:CreateHyperParameterTuningJob"],
             "Resource": "*",
             "Condition": {"ForAllValues:StringLike": {"sagemaker:InstanceTypes": ["ml.c5.*"]}}},
            {"Sid": "SageMakerJobsVpc", "Effect": "Allow",
             "Action": ["sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob"],
             "Resource": "*",
             "Condition": {"StringEquals": {"sagemaker:VpcSubnets": ["subnet-a1234"], "sagemaker:VpcSecurityGroupIds": ["sg12345"]}}},
            {"Sid": "DenyUnencryptedVolumes", "Effect": "Deny", "Action": "sagemaker:CreateTrainingJob",
             "Resource": "arn:aws:sagemaker:*:*:training-job/*",
             "Condition": {"Null": {"sagemaker:VolumeKmsKey": "true"}}},
            {"Sid": "LockdownNotebooks", "Effect": "Allow", "Action": "sagemaker:CreateNotebookInstance",
             "Resource": "arn:aws:sagemaker:us-west-2:111122223333:notebook-instance/${aws:username}-*",
             "Condition": {"StringEquals": {"sagemaker:RootAccess": "Disabled", "aws:RequestTag/team": "${aws:PrincipalTag/team}"}}},
            {"Sid": "PassExecutionRole", "Effect": "Allow", "Action": "iam:PassRole",
             "Resource": "arn:aws:iam::111122223333:role/SageMakerExecutionRole",
             "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}},
        ],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    ("resource-notprincipal", PolicyKind.RESOURCE, {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny",
                       "NotPrincipal": {"AWS": ["arn:aws:iam::444455556666:user/Bob", "arn:aws:iam::444455556666:root"]},
                       "Action": "s3:*",
                       "Resource": ["arn:aws:s3:::BUCKETNAME", "arn:aws:s3:::BUCKETNAME/*"]}],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    ("policy-variables-2008", PolicyKind.IDENTITY, {
        "Statement": [{"Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "arn:aws:iam::account-id:user/${aws:username}"}],
    }),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-attach-detach.html session policy
    ("session-policy", PolicyKind.SESSION, {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sagemaker:Describe*", "Resource": "*"}],
    }),
]
# fmt: on


@pytest.mark.parametrize(("kind", "body"), [pytest.param(k, b, id=i) for i, k, b in EXAMPLES])
def test_aws_examples_parse(kind: PolicyKind, body: dict[str, Any]) -> None:
    text = json.dumps(body, indent=4)
    policy = parse(text, kind)
    assert policy.kind is kind
    statements = body["Statement"] if isinstance(body["Statement"], list) else [body["Statement"]]
    assert len(policy.statements) == len(statements)
    assert policy.source_size == size_without_whitespace(text)
    for parsed in policy.statements:
        assert (parsed.actions is None) != (parsed.not_actions is None)
    # white space and key order are not meaning: the compact form parses to the same value
    assert parse(json.dumps(body, separators=(",", ":")), kind) == policy
