"""sts:AssumeRoleWithSAML (STS API Reference, *AssumeRoleWithSAML*; IAM User Guide, *Configure
SAML assertions for the authentication response*, *Available keys for SAML-based AWS STS
federation*, *Passing session tags in AWS STS*, *Troubleshoot SAML federation*).

An unsigned call: the bearer of a SAML response signed by an identity provider registered with
CreateSAMLProvider (`PrincipalArn`) gets a session of `RoleArn`. `authenticate` verifies the
response (`saml_assertion`) and reads AWS's attributes from the signed assertion:

* `https://aws.amazon.com/SAML/Attributes/Role`: `role-arn,provider-arn` pairs (either order);
  the requested `RoleArn` and `PrincipalArn` must be one of them.
* `.../RoleSessionName` (required, `[\\w+=,.@-]{2,64}`), `.../SourceIdentity` (same pattern, not
  `aws:`), `.../SessionDuration` (900..43200 s; it can only shorten the session),
  `.../PrincipalTag:KEY` session tags and `.../TransitiveTagKeys`.

The caller is then a "SAMLUser" whose `provider` is the provider's ARN, and the role's trust
policy alone decides `sts:AssumeRoleWithSAML` (plus `sts:TagSession` when the assertion passes
session tags, `sts:SetSourceIdentity` when it sets a source identity) with the `saml:*` keys:
`saml:aud` (the `Recipient`, not the `Audience`), `saml:iss`, `saml:sub`, `saml:sub_type`,
`saml:doc` (`ACCOUNT/PROVIDER-NAME`), `saml:namequalifier`
(`base64(sha1(issuer + account + "/" + provider name))`), and the eduPerson, eduOrg, Active
Directory and X.500 attributes present, by attribute `Name` (lists where AWS says so).

The session is an ordinary role session ("AssumedRole"): the role's policies and boundary, the
session policies, the session tags. Its requests also carry `aws:FederatedProvider`, `saml:sub`,
`saml:sub_type` and `saml:namequalifier` (sealed in the session's extras).

Decided where AWS leaves it open: the provider must be in the role's account (a Role pair naming
another account's provider is refused); the session lasts `DurationSeconds` (default one hour, at
most the role's `MaxSessionDuration`), cut short by `SessionDuration` and by the assertion's
`SessionNotOnOrAfter`; errors whose text AWS does not document use sagegate's own words in AWS's
codes (InvalidIdentityToken for a response that cannot be used, AccessDenied "Not authorized to
perform sts:AssumeRoleWithSAML" when the response does not name the role or the subject).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, Caller, Check, ResourcePolicy, registry
from sagegate.store import NotFound
from sagegate.sts.assume_role import (
    check_duration,
    role_resources,
    role_session,
    role_target,
    target_role,
)
from sagegate.sts.credentials import (
    access_denied,
    check_tags,
    packed_size,
    session_policies,
    tag_context,
    validation_error,
)
from sagegate.sts.saml_assertion import (
    Assertion,
    expired_token,
    invalid_token,
    parse_metadata,
    verify_response,
)

ACTION = "sts:AssumeRoleWithSAML"
DEFAULT_SECONDS = 3600
ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"
_CLAIMS_KEY = "sagegate:saml"
_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_PROVIDER_ARN = re.compile(r"arn:aws:iam::([0-9]{12}):saml-provider/([A-Za-z0-9_.-]+)")
_FORMAT_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
MAX_SESSION_TAGS = 50

# Attribute Name -> (condition key, list-valued), from *Configure SAML assertions*, "Mapping SAML
# attributes to AWS trust policy context keys" (the X.500 rows as the page writes them, and as
# the OIDs are).
_EDU = "urn:oid:1.3.6.1.4.1.5923."
ATTRIBUTE_KEYS: dict[str, tuple[str, bool]] = {
    _EDU + "1.1.1.1": ("saml:edupersonaffiliation", True),
    _EDU + "1.1.1.2": ("saml:edupersonnickname", True),
    _EDU + "1.1.1.3": ("saml:edupersonorgdn", False),
    _EDU + "1.1.1.4": ("saml:edupersonorgunitdn", True),
    _EDU + "1.1.1.5": ("saml:edupersonprimaryaffiliation", False),
    _EDU + "1.1.1.6": ("saml:edupersonprincipalname", False),
    _EDU + "1.1.1.7": ("saml:edupersonentitlement", True),
    _EDU + "1.1.1.8": ("saml:edupersonprimaryorgunitdn", False),
    _EDU + "1.1.1.9": ("saml:edupersonscopedaffiliation", True),
    _EDU + "1.1.1.10": ("saml:edupersontargetedid", True),
    _EDU + "1.1.1.11": ("saml:edupersonassurance", True),
    _EDU + "1.2.1.2": ("saml:eduorghomepageuri", True),
    _EDU + "1.2.1.3": ("saml:eduorgidentityauthnpolicyuri", True),
    _EDU + "1.2.1.4": ("saml:eduorglegalname", True),
    _EDU + "1.2.1.5": ("saml:eduorgsuperioruri", True),
    _EDU + "1.2.1.6": ("saml:eduorgwhitepagesuri", True),
    "urn:oid:2.5.4.3": ("saml:cn", True),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": ("saml:name", False),
    "http://schemas.xmlsoap.org/claims/CommonName": ("saml:commonName", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": ("saml:givenName", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": ("saml:surname", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": ("saml:mail", False),
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid": (
        "saml:primaryGroupSID",
        False,
    ),
    "2.5.4.3": ("saml:commonName", False),
    "2.5.4.4": ("saml:surname", False),
    "2.5.4.42": ("saml:givenName", False),
    "2.4.5.42": ("saml:givenName", False),
    "2.5.4.45": ("saml:x500UniqueIdentifier", False),
    "0.9.2342.19200300100.1.1": ("saml:uid", False),
    "0.9.2342.19200300100.1.3": ("saml:mail", False),
    "0.9.2342.19200300100.1.45": ("saml:organizationStatus", False),
    "0.9.2342.19200300.100.1.45": ("saml:organizationStatus", False),
}


def not_authorized() -> ServiceError:
    return access_denied(f"Not authorized to perform {ACTION}")


@dataclass(frozen=True)
class SamlClaims:
    """What a verified response grants, read once by `authenticate`."""

    provider_arn: str
    account_id: str
    issuer: str
    subject: str
    subject_type: str
    audience: str
    name_qualifier: str
    session_name: str
    source_identity: str | None
    tags: tuple[tuple[str, str], ...]
    transitive_tag_keys: tuple[str, ...]
    session_duration: int | None
    session_not_on_or_after: datetime | None
    keys: dict[str, Any] = field(default_factory=dict)  # the saml:* condition keys


def name_qualifier(issuer: str, account_id: str, provider_name: str) -> str:
    digest = hashlib.sha1(f"{issuer}{account_id}/{provider_name}".encode()).digest()  # noqa: S324
    return base64.b64encode(digest).decode()


def subject_type(fmt: str) -> str:
    """`SubjectType`: the NameID Format without AWS's `...:nameid-format:` prefix."""
    return fmt[len(_FORMAT_PREFIX) :] if fmt.startswith(_FORMAT_PREFIX) else fmt


def _one(assertion: Assertion, name: str) -> str | None:
    values = assertion.attributes.get(ATTRIBUTES + name)
    return values[0] if values else None


def _role_pairs(assertion: Assertion) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for value in assertion.attributes.get(ATTRIBUTES + "Role", ()):
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 2:
            continue
        a, b = parts
        if ":saml-provider/" in a:
            a, b = b, a
        pairs.add((a, b))
    return pairs


def _session_tags(assertion: Assertion) -> tuple[tuple[str, str], ...]:
    prefix = ATTRIBUTES + "PrincipalTag:"
    tags = [
        (name[len(prefix) :], values[0] if values else "")
        for name, values in assertion.attributes.items()
        if name.startswith(prefix)
    ]
    if len(tags) > MAX_SESSION_TAGS:
        raise validation_error(
            f"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member "
            f"must have length less than or equal to {MAX_SESSION_TAGS}"
        )
    for key, value in tags:
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise validation_error(
                "Session tag keys must have 1 to 128 characters and values at most 256."
            )
    return tuple(tags)


def _claims(assertion: Assertion, account_id: str, provider_name: str, arn: str) -> SamlClaims:
    if assertion.subject is None:
        # *Troubleshoot SAML*: also this error "if the SAML response does not include a Subject
        # containing a NameID".
        raise not_authorized()
    session_name = _one(assertion, "RoleSessionName")
    if session_name is None:
        raise invalid_token("RoleSessionName is required in AuthnResponse")
    if not _NAME.fullmatch(session_name):
        raise invalid_token("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
    source = _one(assertion, "SourceIdentity")
    if source is not None and (not _NAME.fullmatch(source) or source.lower().startswith("aws:")):
        raise invalid_token(
            'Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"'
        )
    duration = None
    raw = _one(assertion, "SessionDuration")
    if raw is not None:
        if not (raw.isascii() and raw.isdigit()) or not 900 <= int(raw) <= 43200:
            raise invalid_token("SessionDuration in AuthnResponse must be between 900 and 43200")
        duration = int(raw)
    sub_type = subject_type(assertion.subject_format)
    qualifier = name_qualifier(assertion.issuer, account_id, provider_name)
    keys: dict[str, Any] = {
        "saml:aud": assertion.recipient,
        "saml:iss": assertion.issuer,
        "saml:sub": assertion.subject,
        "saml:sub_type": sub_type,
        "saml:doc": f"{account_id}/{provider_name}",
        "saml:namequalifier": qualifier,
    }
    for name, values in assertion.attributes.items():
        mapped = ATTRIBUTE_KEYS.get(name)
        if mapped is not None and values:
            key, multi = mapped
            keys[key] = tuple(values) if multi else values[0]
    return SamlClaims(
        provider_arn=arn,
        account_id=account_id,
        issuer=assertion.issuer,
        subject=assertion.subject,
        subject_type=sub_type,
        audience=assertion.recipient,
        name_qualifier=qualifier,
        session_name=session_name,
        source_identity=source,
        tags=_session_tags(assertion),
        transitive_tag_keys=tuple(assertion.attributes.get(ATTRIBUTES + "TransitiveTagKeys", ())),
        session_duration=duration,
        session_not_on_or_after=assertion.session_not_on_or_after,
        keys=keys,
    )


def authenticate(call: Call, params: dict[str, Any]) -> Caller:
    """Verify the SAML response against the provider's metadata; the bearer becomes the caller."""
    role_arn, provider_arn = params["RoleArn"], params["PrincipalArn"]
    role = role_target(role_arn)
    found = _PROVIDER_ARN.fullmatch(provider_arn)
    if role is None or found is None:
        raise validation_error("Request ARN is invalid")
    account_id, provider_name = found.group(1), found.group(2)
    try:
        provider = call.store.get_saml_provider(account_id, provider_arn)
    except NotFound:
        raise invalid_token("Specified provider doesn't exist") from None
    if provider.valid_until is not None and provider.valid_until <= call.now:
        raise invalid_token("The metadata of the specified provider has expired (ValidUntil)")
    metadata = parse_metadata(provider.metadata_document)
    assertion = verify_response(params["SAMLAssertion"], metadata, call.now)
    if (role_arn, provider_arn) not in _role_pairs(assertion) or role[0] != account_id:
        raise not_authorized()
    claims = _claims(assertion, account_id, provider_name, provider_arn)
    if claims.session_not_on_or_after is not None and claims.session_not_on_or_after <= call.now:
        raise expired_token("Response has expired")
    params[_CLAIMS_KEY] = claims
    return Caller(
        account_id=account_id,
        type="SAMLUser",
        arn=provider_arn,
        userid=f"{claims.name_qualifier}:{claims.subject}",
        provider=provider_arn,
    )


def _claims_of(params: dict[str, Any]) -> SamlClaims:
    claims = params.get(_CLAIMS_KEY)
    if not isinstance(claims, SamlClaims):  # pragma: no cover - authenticate ran first
        raise not_authorized()
    return claims


def trust_policy(call: Call, params: dict[str, Any]) -> ResourcePolicy:
    role = target_role(call, params)
    if role is None:
        # *Troubleshoot SAML*: the role "is misspelled or does not exist".
        raise not_authorized()
    return ResourcePolicy(
        document=role.assume_role_policy_document,
        account_id=role.account_id,
        policy_id=role.arn,
        kind="trust",
    )


def _tag_params(claims: SamlClaims) -> dict[str, Any]:
    return {
        "Tags": [{"Key": k, "Value": v} for k, v in claims.tags],
        "TransitiveTagKeys": list(claims.transitive_tag_keys),
    }


def saml_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    claims = _claims_of(params)
    ctx: dict[str, Any] = dict(claims.keys)
    ctx.update(tag_context(_tag_params(claims)))
    role = target_role(call, params)
    if role is not None:
        for key, value in role.tags:
            ctx[f"aws:ResourceTag/{key}"] = value
    return ctx


def further_checks(call: Call, params: dict[str, Any]) -> list[Check]:
    """`sts:TagSession` when the assertion passes session tags, `sts:SetSourceIdentity` when it
    sets a source identity; decided with the trust policy (*Passing session tags in AWS STS*)."""
    claims = _claims_of(params)
    arn = params["RoleArn"]
    checks: list[Check] = []
    if claims.tags or claims.transitive_tag_keys:
        checks.append(Check("sts:TagSession", arn, saml_context(call, params)))
    if claims.source_identity is not None:
        ctx = {**saml_context(call, params), "sts:SourceIdentity": claims.source_identity}
        checks.append(Check("sts:SetSourceIdentity", arn, ctx))
    return checks


@registry.operation(
    "sts",
    "AssumeRoleWithSAML",
    resources=role_resources,
    context=saml_context,
    also=further_checks,
    resource_policy=trust_policy,
    authenticate=authenticate,
)
def assume_role_with_saml(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    claims = _claims_of(params)
    role = target_role(call, params)
    if role is None:  # pragma: no cover - authorization refuses a missing role first
        raise not_authorized()
    duration = int(params.get("DurationSeconds", DEFAULT_SECONDS))
    check_duration(role, duration)
    policies = session_policies(call, params, role.account_id)
    check_tags(claims.tags, claims.transitive_tag_keys)
    packed = packed_size(policies, claims.tags)
    # The session ends at the earliest of DurationSeconds, SessionDuration, SessionNotOnOrAfter.
    if claims.session_duration is not None:
        duration = min(duration, claims.session_duration)
    if claims.session_not_on_or_after is not None:
        left = int((claims.session_not_on_or_after - call.now).total_seconds())
        duration = max(1, min(duration, left))
    out = role_session(
        call,
        role,
        claims.session_name,
        policies,
        packed,
        tags=claims.tags,
        transitive_tag_keys=claims.transitive_tag_keys,
        source_identity=claims.source_identity,
        extra={
            "federated_provider": claims.provider_arn,
            "saml:sub": claims.subject,
            "saml:sub_type": claims.subject_type,
            "saml:namequalifier": claims.name_qualifier,
        },
        duration=duration,
    )
    out.update(
        Subject=claims.subject,
        SubjectType=claims.subject_type,
        Issuer=claims.issuer,
        Audience=claims.audience,
        NameQualifier=claims.name_qualifier,
    )
    return out
