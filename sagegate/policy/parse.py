"""Parse and validate IAM JSON policy documents into `sagegate.policy.ast` values.

Follows AWS's *IAM JSON policy element reference* and *Grammar of the IAM JSON policy language*
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html), the size and
character rules of *IAM and AWS STS quotas*, and the checks IAM's own validator makes when a
policy is written (CreatePolicy, Put*Policy, UpdateAssumeRolePolicy): the `MalformedPolicyDocument`
message texts are AWS's, as observed from the live service (and mirrored by moto's test suite).

AWS reports one error per document, picked by stage, not by position: a syntax error anywhere
beats a bad Effect case, which beats a duplicate Sid, a missing Action, a malformed Resource, a
malformed Action ... So the walk is a single pass that raises syntax errors at once and keeps
the first error of every later stage; the earliest stage wins at the end.

Hostile input is cheap to reject: the size quota and the character set are checked on the raw
text first (linear, C speed), JSON nesting is bounded by the decoder (RecursionError is caught),
numbers are kept as their JSON text (no huge-int conversion), and every pattern used is linear.

Where AWS's behaviour is undocumented we reject rather than guess: duplicate JSON keys, null list
entries, \\u escapes outside the allowed character set, a Resource whose first field is not
"arn", NotPrincipal with "Allow", and NotPrincipal in a trust policy. Two tables are wider than
the ones observed from AWS: the S3 resource types that may name a region (access points, Batch
Operations jobs, Storage Lens) and the trust-policy actions (sts:TagSession,
sts:SetSourceIdentity, sts:SetContext and wildcards over the family, which real roles use).
"""

from __future__ import annotations

import json
import re
from typing import NoReturn

from .arn import PARTITIONS
from .ast import ConditionClause, Effect, Policy, PolicyKind, Principal, Statement
from .errors import MalformedPolicyDocument, PolicySizeExceeded
from .limits import DEFAULT_MAX_SIZE, MAX_DOCUMENT_CHARS, QUOTA_NAME, size_without_whitespace

__all__ = ["parse", "MalformedPolicyDocument", "PolicySizeExceeded"]

# --- AWS's message texts --------------------------------------------------------------------

SYNTAX_ERRORS = "Syntax errors in policy."
VERSION_REQUIRED = "Policy document must be version 2012-10-17 or greater."
LEGACY_PARSING = "The policy failed legacy parsing"
SID_NOT_ALPHANUMERIC = (
    "Statement IDs (SID) must be alpha-numeric. "
    "Check that your input satisfies the regular expression [0-9A-Za-z]*"
)
SID_NOT_UNIQUE = "Statement IDs (SID) in a single policy must be unique."
MISSING_ACTIONS = "Policy statement must contain actions."
MISSING_RESOURCES = "Policy statement must contain resources."
ACTION_NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ACTION_TWO_COLONS = "Actions/Condition can contain only one colon."
RESOURCE_VENDOR = "Resource vendor must be fully qualified and cannot contain regexes."
PRINCIPAL_FORBIDDEN = "Policy document should not specify a principal."
PRINCIPAL_MISSING = (
    "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: "
    "The passed in policy has a statement with no principals!"
)
RESOURCE_PRINCIPAL_MISSING = "Missing required field Principal"
TRUST_ACTIONS_ONLY = (
    "Trust Policy statement actions can only be sts:AssumeRole, "
    "sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"
)
IAM_RESOURCE_PATHS = (
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
)
IAM_RESOURCE_PATH = 'IAM resource path must either be "*" or start with {}.'.format(
    ", ".join(IAM_RESOURCE_PATHS)
)


def resource_not_arn(resource: str) -> str:
    return f'Resource {resource} must be in ARN format or "*".'


def invalid_principal(ptype: str, value: str) -> str:
    return f'Invalid principal in policy: "{ptype.upper()}":"{value}"'


def vendor_not_valid(vendor: str) -> str:
    return f"Vendor {vendor} is not valid"


def prohibited_field(name: str) -> str:
    return f"Has prohibited field {name}."


# --- the grammar ----------------------------------------------------------------------------

VERSIONS = frozenset({"2012-10-17", "2008-10-17"})
TOP_ELEMENTS = frozenset({"Version", "Id", "Statement"})
STATEMENT_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
CONDITION_OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    }
)
SET_PREFIXES = ("ForAnyValue:", "ForAllValues:")
IF_EXISTS = "IfExists"
# Actions a role trust policy may grant (UpdateAssumeRolePolicy); wildcards must match one.
TRUST_ACTIONS = (
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
)
# S3 ARNs with a region: only these resource types may carry one.
S3_REGIONAL_RESOURCES = (
    "accesspoint/",
    "job/",
    "storage-lens/",
    "storage-lens-group/",
    "async-request/",
    "access-grants/",
)
KINDS_WITHOUT_PRINCIPAL = frozenset(
    {PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.SCP}
)

# Every pattern below is linear: no nested quantifiers, no alternation inside a repetition.
_BAD_CHAR = re.compile(r"[^\t\n\r\x20-\xff]")
_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR = re.compile(r"[A-Za-z0-9.-]+")
_PARTITION = "(?:" + "|".join(re.escape(p) for p in sorted(PARTITIONS)) + ")"
_NAME = r"[A-Za-z0-9_+=,.@-]+"
_AWS_PRINCIPAL = re.compile(
    rf"\*|[0-9]{{12}}"
    rf"|arn:{_PARTITION}:iam::[0-9]{{12}}:(?:root|(?:user|role)/{_NAME}(?:/{_NAME})*)"
    rf"|arn:{_PARTITION}:sts::[0-9]{{12}}:(?:assumed-role/{_NAME}/{_NAME}|federated-user/{_NAME})"
)
_SERVICE_PRINCIPAL = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+){2,}")
_FEDERATED_PRINCIPAL = re.compile(
    rf"arn:{_PARTITION}:iam::[0-9]{{12}}:(?:saml-provider/[A-Za-z0-9_.-]+"
    rf"|oidc-provider/[A-Za-z0-9_.-]+(?::[0-9]{{1,5}})?(?:/[A-Za-z0-9_.-]+)*)"
    r"|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
)
_CANONICAL_USER = re.compile(r"[0-9a-f]{64}")
_INT = re.compile(r"[+-]?[0-9]{1,20}")

# Error stages, earliest first; the first error of the earliest stage is the one reported.
_SID_CHARS = 1
_VERSION = 2
_LEGACY = 3
_SID_UNIQUE = 4
_NO_ACTIONS = 5
_RESOURCE_FORMAT = 6
_ACTION_FORMAT = 7
_NO_RESOURCES = 8
_PRINCIPAL_FORBIDDEN = 9
_PROHIBITED_FIELD = 10
_NO_PRINCIPAL = 11
_PRINCIPAL_INVALID = 12
_TRUST_ACTION = 13


def parse(
    document: str,
    kind: PolicyKind = PolicyKind.IDENTITY,
    *,
    max_size: int | None = None,
    require_version_2012: bool = False,
) -> Policy:
    """Parse and validate one policy document of the given kind.

    `max_size` overrides the kind's default quota (`limits.DEFAULT_MAX_SIZE`, characters without
    white space). `require_version_2012` applies the rule IAM enforces on managed policies
    (CreatePolicy, CreatePolicyVersion): Version must be present and "2012-10-17".

    Raises `MalformedPolicyDocument` (or its subclass `PolicySizeExceeded`), and nothing else,
    for any input.
    """
    if not isinstance(document, str):
        raise MalformedPolicyDocument(SYNTAX_ERRORS, "", "the policy document is not text")
    if len(document) > MAX_DOCUMENT_CHARS:
        raise MalformedPolicyDocument(
            SYNTAX_ERRORS, "", f"the policy document is longer than {MAX_DOCUMENT_CHARS} characters"
        )
    limit = DEFAULT_MAX_SIZE[kind] if max_size is None else max_size
    size = size_without_whitespace(document)
    if size > limit:
        raise PolicySizeExceeded(QUOTA_NAME[kind], limit, size)
    if not document:
        raise MalformedPolicyDocument(SYNTAX_ERRORS, "", "the policy document is empty")
    bad = _BAD_CHAR.search(document)
    if bad is not None:
        raise MalformedPolicyDocument(
            SYNTAX_ERRORS,
            "",
            f"character U+{ord(bad.group()):04X} at offset {bad.start()} is outside the allowed "
            r"set [\u0009\u000A\u000D\u0020-\u00FF]",
        )
    try:
        data = json.loads(
            document,
            object_pairs_hook=_Object.from_pairs,
            parse_int=_Number,
            parse_float=_Number,
            parse_constant=_reject_constant,
        )
    except RecursionError:
        raise MalformedPolicyDocument(SYNTAX_ERRORS, "", "JSON nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError and our hooks' errors
        raise MalformedPolicyDocument(SYNTAX_ERRORS, "", f"invalid JSON: {exc}") from None
    parser = _Parser(kind, require_version_2012, check_escapes="\\u" in document)
    return parser.policy(data, size)


# --- JSON decoding hooks --------------------------------------------------------------------


class _Number(str):
    """A JSON number, kept as the text it was written as."""

    __slots__ = ()


class _Object(dict[str, object]):
    """A JSON object that remembers the first key it saw twice."""

    __slots__ = ("duplicate",)

    def __init__(self) -> None:
        super().__init__()
        self.duplicate: str | None = None

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, object]]) -> _Object:
        obj = cls()
        for key, value in pairs:
            if key in obj and obj.duplicate is None:
                obj.duplicate = key
            obj[key] = value
        return obj


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


# --- the walk -------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _syntax(path: str, detail: str) -> NoReturn:
    raise MalformedPolicyDocument(SYNTAX_ERRORS, path, detail)


def _describe(value: object) -> str:
    if isinstance(value, _Object):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, _Number):
        return "a number"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a string"


class _Parser:
    def __init__(self, kind: PolicyKind, require_version: bool, check_escapes: bool) -> None:
        self.kind = kind
        self.require_version = require_version
        self.check_escapes = check_escapes
        self.errors: dict[int, MalformedPolicyDocument] = {}
        self.sids: set[str] = set()

    def report(self, stage: int, message: str, path: str, detail: str) -> None:
        if stage not in self.errors:
            self.errors[stage] = MalformedPolicyDocument(message, path, detail)

    # -- document --

    def policy(self, data: object, size: int) -> Policy:
        obj = self.json_object(data, "", "the policy document")
        for key in obj:
            if key not in TOP_ELEMENTS:
                _syntax(key, f"unknown top-level element {key!r}")
        version: str | None = None
        if "Version" in obj:
            raw_version = obj["Version"]
            if type(raw_version) is not str or raw_version not in VERSIONS:
                _syntax("Version", 'Version must be "2012-10-17" or "2008-10-17"')
            version = raw_version
        policy_id: str | None = None
        if "Id" in obj:
            policy_id = self.text(obj["Id"], "Id", "Id")
        if "Statement" not in obj:
            _syntax("", "missing required element Statement")
        raw = obj["Statement"]
        items: list[tuple[object, str]]
        if isinstance(raw, _Object):
            items = [(raw, "Statement")]
        elif isinstance(raw, list):
            if not raw:
                _syntax("Statement", "Statement must not be an empty list")
            items = [(item, f"Statement[{i}]") for i, item in enumerate(raw)]
        else:
            _syntax("Statement", f"Statement must be an object or a list, not {_describe(raw)}")
        if self.require_version and version != "2012-10-17":
            self.report(_VERSION, VERSION_REQUIRED, "Version", "managed policies need 2012-10-17")
        statements = tuple(self.statement(item, i, path) for i, (item, path) in enumerate(items))
        if self.errors:
            raise self.errors[min(self.errors)]
        return Policy(
            statements=statements, version=version, id=policy_id, kind=self.kind, source_size=size
        )

    # -- statement --

    def statement(self, raw: object, index: int, path: str) -> Statement:
        obj = self.json_object(raw, path, "a statement")
        for key in obj:
            if key not in STATEMENT_ELEMENTS:
                _syntax(_join(path, key), f"unknown statement element {key!r}")
        for a, b in (("Action", "NotAction"), ("Resource", "NotResource")):
            if a in obj and b in obj:
                _syntax(path, f"a statement cannot have both {a} and {b}")
        if "Principal" in obj and "NotPrincipal" in obj:
            _syntax(path, "a statement cannot have both Principal and NotPrincipal")

        sid = self.sid(obj, path)
        effect = self.effect(obj, path)
        principal = not_principal = None
        if "Principal" in obj:
            principal = self.principal(obj["Principal"], _join(path, "Principal"))
        if "NotPrincipal" in obj:
            not_principal = self.principal(obj["NotPrincipal"], _join(path, "NotPrincipal"))
        actions = not_actions = None
        if "Action" in obj:
            actions = self.actions(obj["Action"], _join(path, "Action"))
        if "NotAction" in obj:
            not_actions = self.actions(obj["NotAction"], _join(path, "NotAction"))
        resources = not_resources = None
        if "Resource" in obj:
            resources = self.resources(obj["Resource"], _join(path, "Resource"))
        if "NotResource" in obj:
            not_resources = self.resources(obj["NotResource"], _join(path, "NotResource"))
        conditions: tuple[ConditionClause, ...] = ()
        if "Condition" in obj:
            conditions = self.conditions(obj["Condition"], _join(path, "Condition"))

        if not (actions or not_actions):
            self.report(
                _NO_ACTIONS, MISSING_ACTIONS, path, "no Action or NotAction, or it is empty"
            )
        self.kind_rules(obj, path, principal, not_principal, resources, not_resources)
        if not_principal is not None and effect != "Deny" and self.kind is PolicyKind.RESOURCE:
            # NotPrincipal "must be used with "Effect":"Deny"; using it with Allow is not supported"
            _syntax(_join(path, "NotPrincipal"), 'NotPrincipal needs "Effect": "Deny"')
        if self.kind is PolicyKind.TRUST and actions:
            self.trust_actions(actions, _join(path, "Action"))
        return Statement(
            index=index,
            effect=effect,
            sid=sid,
            principal=principal,
            not_principal=not_principal,
            actions=actions,
            not_actions=not_actions,
            resources=resources,
            not_resources=not_resources,
            conditions=conditions,
            path=path,
        )

    def kind_rules(
        self,
        obj: _Object,
        path: str,
        principal: Principal | None,
        not_principal: Principal | None,
        resources: tuple[str, ...] | None,
        not_resources: tuple[str, ...] | None,
    ) -> None:
        has_principal = principal is not None or not_principal is not None
        if self.kind is PolicyKind.TRUST:
            for name in ("Resource", "NotResource", "NotPrincipal"):
                if name in obj:
                    self.report(
                        _PROHIBITED_FIELD,
                        prohibited_field(name),
                        _join(path, name),
                        f"a role trust policy cannot have {name}",
                    )
            if not has_principal:
                self.report(_NO_PRINCIPAL, PRINCIPAL_MISSING, path, "no Principal or NotPrincipal")
            return
        if not (resources or not_resources):
            self.report(
                _NO_RESOURCES, MISSING_RESOURCES, path, "no Resource or NotResource, or it is empty"
            )
        if self.kind in KINDS_WITHOUT_PRINCIPAL:
            if has_principal:
                name = "Principal" if principal is not None else "NotPrincipal"
                self.report(
                    _PRINCIPAL_FORBIDDEN,
                    PRINCIPAL_FORBIDDEN,
                    _join(path, name),
                    f"a {self.kind.value} policy cannot have {name}",
                )
        elif not has_principal:
            self.report(
                _NO_PRINCIPAL, RESOURCE_PRINCIPAL_MISSING, path, "no Principal or NotPrincipal"
            )

    def sid(self, obj: _Object, path: str) -> str | None:
        if "Sid" not in obj:
            return None
        spath = _join(path, "Sid")
        sid = self.text(obj["Sid"], spath, "Sid")
        if self.kind is not PolicyKind.RESOURCE and not _SID.fullmatch(sid):
            self.report(_SID_CHARS, SID_NOT_ALPHANUMERIC, spath, f"Sid {sid!r}")
        if sid:
            if sid in self.sids:
                self.report(_SID_UNIQUE, SID_NOT_UNIQUE, spath, f"Sid {sid!r} is used twice")
            self.sids.add(sid)
        return sid

    def effect(self, obj: _Object, path: str) -> Effect:
        epath = _join(path, "Effect")
        if "Effect" not in obj:
            _syntax(path, "missing required element Effect")
        value = obj["Effect"]
        if type(value) is not str or value.lower() not in ("allow", "deny"):
            _syntax(epath, 'Effect must be "Allow" or "Deny"')
        if value == "Allow":
            return "Allow"
        if value == "Deny":
            return "Deny"
        self.report(
            _LEGACY, LEGACY_PARSING, epath, f'Effect {value!r} must be written "Allow" or "Deny"'
        )
        return "Allow" if value.lower() == "allow" else "Deny"

    # -- Principal --

    def principal(self, raw: object, path: str) -> Principal:
        if type(raw) is str:
            if raw == "*":
                return Principal(wildcard=True)
            _syntax(path, 'a Principal string must be "*"; name principals in an object')
        obj = self.json_object(raw, path, "Principal")
        if not obj:
            _syntax(path, "Principal must not be empty")
        entries: list[tuple[str, str]] = []
        for ptype, value in obj.items():
            tpath = _join(path, ptype)
            if ptype not in PRINCIPAL_TYPES:
                _syntax(tpath, f"unknown principal type {ptype!r}")
            values = self.strings(value, tpath, f"Principal {ptype}")
            if not values:
                _syntax(tpath, f"Principal {ptype} must not be an empty list")
            for i, text in enumerate(values):
                normal = _principal_value(ptype, text)
                if normal is None:
                    vpath = tpath if type(value) is str else f"{tpath}[{i}]"
                    self.report(
                        _PRINCIPAL_INVALID,
                        invalid_principal(ptype, text),
                        vpath,
                        f"not a valid {ptype} principal",
                    )
                    normal = text
                entries.append((ptype, normal))
        return Principal(wildcard=False, entries=tuple(entries))

    # -- Action / Resource --

    def actions(self, raw: object, path: str) -> tuple[str, ...]:
        values = self.strings(raw, path, "Action")
        for i, action in enumerate(values):
            message = _action_error(action)
            if message is not None:
                where = path if type(raw) is str else f"{path}[{i}]"
                self.report(_ACTION_FORMAT, message, where, f"action {action!r}")
        return values

    def trust_actions(self, actions: tuple[str, ...], path: str) -> None:
        if _TRUST_ACTION in self.errors:
            return  # only the first error of a stage is reported
        for action in actions:
            low = action.lower()
            if low in TRUST_ACTIONS:
                continue
            if not any(_glob_match(low, allowed) for allowed in TRUST_ACTIONS):
                self.report(
                    _TRUST_ACTION,
                    TRUST_ACTIONS_ONLY,
                    path,
                    f"{action!r} is not an sts:AssumeRole*, sts:TagSession, "
                    "sts:SetSourceIdentity or sts:SetContext action",
                )
                return

    def resources(self, raw: object, path: str) -> tuple[str, ...]:
        values = self.strings(raw, path, "Resource")
        for i, resource in enumerate(values):
            found = _resource_error(resource)
            if found is not None:
                stage, message = found
                where = path if type(raw) is str else f"{path}[{i}]"
                self.report(stage, message, where, f"resource {resource!r}")
        return values

    # -- Condition --

    def conditions(self, raw: object, path: str) -> tuple[ConditionClause, ...]:
        block = self.json_object(raw, path, "Condition")
        clauses: list[ConditionClause] = []
        for operator, keys in block.items():
            opath = _join(path, operator)
            body = self.json_object(keys, opath, "a condition operator's block")
            base = _operator_base(operator)
            if base is None:
                if body:
                    _syntax(opath, f"unknown condition operator {operator!r}")
                continue  # AWS accepts an unknown operator with an empty block; it has no effect
            self.escapes(operator, opath)
            for key, value in body.items():
                kpath = _join(opath, key)
                self.escapes(key, kpath)
                values = self.condition_values(value, kpath)
                if base.startswith("Date"):
                    for text in values:
                        if not _valid_date(text):
                            self.report(_LEGACY, LEGACY_PARSING, kpath, f"{text!r} is not a date")
                clauses.append(ConditionClause(operator, key, values, kpath))
        return tuple(clauses)

    def condition_values(self, raw: object, path: str) -> tuple[str, ...]:
        if isinstance(raw, list):
            return tuple(self.condition_scalar(item, f"{path}[{i}]") for i, item in enumerate(raw))
        return (self.condition_scalar(raw, path),)

    def condition_scalar(self, raw: object, path: str) -> str:
        if raw is True:
            return "true"
        if raw is False:
            return "false"
        if isinstance(raw, _Number):
            return str.__str__(raw)
        if type(raw) is str:
            self.escapes(raw, path)
            return raw
        _syntax(
            path, f"a condition value must be a string, number or boolean, not {_describe(raw)}"
        )

    # -- JSON shapes --

    def json_object(self, raw: object, path: str, what: str) -> _Object:
        if not isinstance(raw, _Object):
            _syntax(path, f"{what} must be a JSON object, not {_describe(raw)}")
        if raw.duplicate is not None:
            _syntax(_join(path, raw.duplicate), f"duplicate key {raw.duplicate!r}")
        return raw

    def text(self, raw: object, path: str, what: str) -> str:
        if type(raw) is not str:
            _syntax(path, f"{what} must be a string, not {_describe(raw)}")
        self.escapes(raw, path)
        return raw

    def strings(self, raw: object, path: str, what: str) -> tuple[str, ...]:
        if type(raw) is str:
            self.escapes(raw, path)
            return (raw,)
        if not isinstance(raw, list):
            _syntax(path, f"{what} must be a string or a list of strings, not {_describe(raw)}")
        for i, item in enumerate(raw):
            if type(item) is not str:
                _syntax(f"{path}[{i}]", f"{what} entries must be strings, not {_describe(item)}")
            self.escapes(item, path)
        return tuple(raw)

    def escapes(self, text: str, path: str) -> None:
        """Characters written as \\uXXXX escapes obey the same set as raw characters."""
        if self.check_escapes:
            bad = _BAD_CHAR.search(text)
            if bad is not None:
                _syntax(
                    path, f"escaped character U+{ord(bad.group()):04X} is outside the allowed set"
                )


# --- element checks (pure functions, used once per value) -----------------------------------


def _principal_value(ptype: str, value: str) -> str | None:
    """The normalised principal, or None if AWS would reject it."""
    if ptype == "AWS":
        if not _AWS_PRINCIPAL.fullmatch(value):
            return None
        if len(value) == 12 and value.isdigit():
            return f"arn:aws:iam::{value}:root"
        return value
    if ptype == "Service":
        return value if _SERVICE_PRINCIPAL.fullmatch(value) else None
    if ptype == "Federated":
        return value if _FEDERATED_PRINCIPAL.fullmatch(value) else None
    return value if _CANONICAL_USER.fullmatch(value) else None


def _action_error(action: str) -> str | None:
    if action == "*":
        return None
    vendor, colon, name = action.partition(":")
    if not colon:
        return ACTION_NO_VENDOR
    if ":" in name:
        return ACTION_TWO_COLONS
    if vendor != "*" and not _VENDOR.fullmatch(vendor):
        return vendor_not_valid(vendor)
    return None


def _resource_error(resource: str) -> tuple[int, str] | None:
    """AWS's checks of one Resource/NotResource value, in AWS's order: (stage, message)."""
    if resource == "*":
        return None
    prefix, colon, rest = resource.partition(":")
    if not colon:
        return _RESOURCE_FORMAT, resource_not_arn(resource)
    partition, colon, rest = rest.partition(":")
    if partition != "*" and partition not in PARTITIONS:
        fields = rest.split(":", 3)
        while len(fields) < 4:
            fields.append("*")
        if fields[0] == "" and not colon:
            fields[0] = "*"
        shown = "arn:{}:{}:{}:{}:{}".format(partition, *fields)
        return _RESOURCE_FORMAT, f'Partition "{partition}" is not valid for resource "{shown}".'
    if prefix != "arn":
        return _RESOURCE_FORMAT, resource_not_arn(resource)
    if not colon:
        return _RESOURCE_FORMAT, RESOURCE_VENDOR
    service, colon, rest = rest.partition(":")
    if "*" in service or "?" in service:
        return _RESOURCE_FORMAT, RESOURCE_VENDOR
    region, _, rest = rest.partition(":")
    _account, _, resource_id = rest.partition(":")
    if service == "iam":
        if region:
            return _RESOURCE_FORMAT, f"IAM resource {resource} cannot contain region information."
        if not (resource_id.startswith(("*", "${")) or resource_id.startswith(IAM_RESOURCE_PATHS)):
            return _RESOURCE_FORMAT, IAM_RESOURCE_PATH
    if service == "s3" and region and not resource_id.startswith(S3_REGIONAL_RESOURCES):
        return _RESOURCE_FORMAT, f"Resource {resource} can not contain region information."
    if not service or (resource.count(":") < 5 and "::" in resource):
        return _LEGACY, LEGACY_PARSING
    return None


def _operator_base(operator: str) -> str | None:
    """Map "ForAnyValue:StringLikeIfExists" to "StringLike"; None if AWS knows no such operator."""
    rest = operator
    for prefix in SET_PREFIXES:
        if rest.startswith(prefix):
            rest = rest[len(prefix) :]
            break
    if rest.endswith(IF_EXISTS):
        rest = rest[: -len(IF_EXISTS)]
        if rest == "Null":
            return None  # Null has no ...IfExists form
    return rest if rest in CONDITION_OPERATORS else None


def _glob_match(pattern: str, text: str) -> bool:
    """IAM wildcard match ('*' any run, '?' one character) in O(len(pattern) * len(text))."""
    p = t = 0
    star = -1
    mark = 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def _int_in(text: str, low: int, high: int) -> bool:
    return bool(_INT.fullmatch(text)) and low <= int(text) <= high


def _valid_date(value: str) -> bool:
    """The date forms IAM accepts in Date* conditions: epoch seconds or ISO 8601."""
    low = value.lower()
    if "t" not in low and "-" not in low:
        return _int_in(value, 0, 2**63 - 1)
    date, _, time = low.partition("t")
    negative = date.startswith("-")
    parts = (date[1:] if negative else date).split("-")
    if len(parts) > 3:
        return False
    year = ("-" if negative else "") + parts[0]
    if not _int_in(year, -292_275_054, 292_278_993):
        return False
    if len(parts) > 1 and not _int_in(parts[1], 1, 12):
        return False
    if len(parts) > 2 and not _int_in(parts[2], 1, 31):
        return False
    fields = time.split(":")
    if len(fields) > 4:
        return False
    if fields[0] and not _int_in(fields[0], 0, 23):
        return False
    if len(fields) > 1 and not _int_in(fields[1], 0, 59):
        return False
    if len(fields) > 2:
        seconds = fields[2]
        if "z" in seconds:
            seconds, _, after = seconds.partition("z")
            if after or len(fields) > 3:
                return False
        elif "+" in seconds:
            seconds, _, hours = seconds.partition("+")
            if len(hours) != 2 or not _int_in(hours, 0, 23):
                return False
            if len(fields) > 3 and (len(fields[3]) != 2 or not _int_in(fields[3], 0, 59)):
                return False
        elif len(fields) > 3:
            return False
        whole, dot, fraction = seconds.partition(".")
        if not _int_in(whole, 0, 59):
            return False
        if dot and not _int_in(fraction, 0, 999_999_999):
            return False
    return True
