"""sts:AssumeRoleWithWebIdentity for OpenID Connect ID tokens (STS API Reference,
*AssumeRoleWithWebIdentity*; IAM User Guide, *OIDC federation*, *Create an OpenID Connect (OIDC)
identity provider in IAM*, *Available keys for AWS web identity federation*, *Passing session
tags using AssumeRoleWithWebIdentity*, *Monitor and control actions taken with assumed roles*).

The call is unsigned: the token is the caller's proof. `authenticate` verifies it against the
IAM OIDC provider of the role's account whose URL is the token's `iss` (`https://` + the
provider's host[:port][/path]), then the role's trust policy alone decides (its `Federated`
principal names the provider ARN); the session is the role's, like an AssumeRole session, with
`aws:FederatedProvider` (the provider ARN) in its facts.

Verification, in this order, with AWS's codes and, where known, its messages:

* a compact JWS whose JSON header and payload parse, signed with RS256/384/512 or ES256/384/512
  (the only algorithms AWS accepts) - else `InvalidIdentityToken`;
* `iss` names a provider of the role's account - else `InvalidIdentityToken` "No OpenIDConnect
  provider found in your account for ISS";
* the signature verifies with a key of the issuer's JWKS (`sagegate.sts.oidc`: discovery, JWKS,
  TLS trusted by the system store or pinned by the provider's thumbprints, cache, refetch on an
  unknown `kid`). An issuer that cannot be reached is `IDPCommunicationError`; a certificate that
  is neither trusted nor pinned is `InvalidIdentityToken` "OpenIDConnect provider's HTTPS
  certificate doesn't match configured thumbprint"; no usable key "Couldn't retrieve verification
  key from your identity provider, ..."; a signature that does not verify `InvalidIdentityToken`;
* `sub`, `aud`, `exp` present ("Missing a required claim: aud"); timestamps integers, as AWS
  requires; one `aud` (a string or a list) among the provider's client ids - else "Incorrect token
  audience". sagegate checks `aud`, never `azp` (a token issued to another audience must not be
  replayable here just because its presenter is one of our clients);
* `exp` in the future - else `ExpiredTokenException` "Token expired: current date/time N must be
  before the expiration date/time M"; `nbf` and `iat` not in the future beyond `CLOCK_SKEW` - else
  `IDPRejectedClaim` (AWS does not document this case; the model describes IDPRejectedClaim as a
  rejected or not (yet) valid claim). AWS also refuses tokens whose `iat` is "too old" at an
  undocumented age; sagegate relies on `exp` alone.

`ProviderId` selects OAuth 2.0 access tokens of Login with Amazon or Facebook, which AWS checks by
calling those providers; sagegate does not federate with them: `IDPRejectedClaim`.

Condition keys of the request, with `HOST/PATH` the provider URL without `https://`:
`HOST/PATH:sub`; `HOST/PATH:aud` (the `azp` claim when the token has one, else the matched `aud`)
and `HOST/PATH:oaud` (the matched `aud`), as the guide describes them for `accounts.google.com`;
`HOST/PATH:azp` when present; `HOST/PATH:amr` (multivalued) when the token has `amr`; other
claims are not keys (as in AWS). Also `sts:RoleSessionName`, `aws:FederatedProvider`,
`aws:ResourceTag/K` (the role's tags), `sts:SourceIdentity` from the
`https://aws.amazon.com/source_identity` claim and `aws:RequestTag/K`, `aws:TagKeys`,
`sts:TransitiveTagKeys` from the `https://aws.amazon.com/tags` claim, which need `sts:SetSourceIdentity`
and `sts:TagSession` in the trust policy. The keys describe this request only; requests signed
with the session's credentials carry `aws:FederatedProvider`, not the token's claims.

The caller during the call: `Caller(type="WebIdentityUser", arn=<provider ARN>,
userid="HOST/PATH:AUD:SUB")` (CloudTrail's principal id for web identity users). The response's
`Provider` is the provider ARN (what AWS returns for IAM OIDC providers) and `Audience` the
matched client id. Tokens are never logged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from joserfc import jwk, jws
from joserfc.errors import JoseError

from sagegate.protocol.errors import ServiceError, service_error
from sagegate.protocol.registry import Call, Caller, Check, ResourcePolicy, registry
from sagegate.store import NotFound
from sagegate.sts import oidc
from sagegate.sts.assume_role import (
    DEFAULT_SECONDS,
    check_duration,
    role_resources,
    role_session,
    role_target,
    role_trust_policy,
    target_role,
)
from sagegate.sts.credentials import (
    access_denied,
    check_tags,
    not_authorized,
    packed_size,
    session_policies,
    tag_context,
)

ACTION = "sts:AssumeRoleWithWebIdentity"
ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
CLOCK_SKEW = 300
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
MAX_SESSION_TAGS = 50
_IDENTITY_KEY = "sagegate:web_identity"
_SOURCE_IDENTITY = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)

NOT_A_JWT = (
    "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
)
NO_KEY = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)
THUMBPRINT = "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"
BAD_SIGNATURE = (
    "The web identity token that was passed could not be validated by AWS. Get a new identity "
    "token from the identity provider and then retry the request."
)
UNREACHABLE = (
    "The identity provider could not be reached to verify the web identity token. Please try "
    "your request again."
)


def invalid_token(message: str) -> ServiceError:
    return service_error("sts", "InvalidIdentityToken", message)


def rejected_claim(message: str) -> ServiceError:
    return service_error("sts", "IDPRejectedClaim", message)


@dataclass(frozen=True)
class WebIdentity:
    """What a verified token proved."""

    provider_arn: str
    provider_url: str  # host[:port][/path], the prefix of the condition keys
    subject: str
    audience: str  # the `aud` value that is one of the provider's client ids
    azp: str | None
    amr: tuple[str, ...] | None
    tags: tuple[tuple[str, str], ...]
    transitive_tag_keys: tuple[str, ...]
    source_identity: str | None


# -- the token ----------------------------------------------------------------------------------


def _unverified(token: str) -> tuple[jws.CompactSignature, dict[str, Any], dict[str, Any]]:
    try:
        obj = jws.extract_compact(token.encode())
        claims = json.loads(obj.payload)
    except (JoseError, ValueError, UnicodeError, RecursionError):  # hostile nesting too
        raise invalid_token(NOT_A_JWT) from None
    header = obj.headers()
    if not isinstance(claims, dict):
        raise invalid_token(NOT_A_JWT)
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise invalid_token(
            f"The ID Token is signed with {alg}; AssumeRoleWithWebIdentity accepts "
            "RS256, RS384, RS512, ES256, ES384 and ES512."
        )
    return obj, header, claims


def _required(claims: dict[str, Any], name: str) -> Any:
    if claims.get(name) in (None, "", []):
        raise invalid_token(f"Missing a required claim: {name}")
    return claims[name]


def _time_claim(claims: dict[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_token(f"The {name} claim of the token must be an integer.")
    return int(value)


def _strings(value: Any, name: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) for v in items):
        raise invalid_token(f"The {name} claim of the token must be a string or a list of strings.")
    return tuple(items)


def _provider(call: Call, account: str, issuer: Any) -> Any:
    if not isinstance(issuer, str) or not issuer:
        raise invalid_token("Missing a required claim: iss")
    url = issuer[len("https://") :].rstrip("/") if issuer.startswith("https://") else ""
    try:
        if not url:
            raise NotFound("oidc_provider", issuer)
        return call.store.get_oidc_provider(account, f"arn:aws:iam::{account}:oidc-provider/{url}")
    except NotFound:
        raise invalid_token(
            f"No OpenIDConnect provider found in your account for {issuer}"
        ) from None


def _verify_signature(obj: jws.CompactSignature, header: dict[str, Any], provider: Any) -> None:
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        candidates = oidc.KEYS.keys("https://" + provider.url, provider.thumbprints, kid)
    except oidc.ThumbprintMismatch:
        raise invalid_token(THUMBPRINT) from None
    except oidc.IssuerUnreachable:
        raise service_error("sts", "IDPCommunicationError", UNREACHABLE) from None
    except oidc.NoVerificationKey:
        raise invalid_token(NO_KEY) from None
    alg = header["alg"]
    kty = "RSA" if alg.startswith("RS") else "EC"
    usable = [k for k in candidates if k.get("kty") == kty]
    if not usable:
        raise invalid_token(NO_KEY)
    for data in usable:
        try:
            key = jwk.import_key(data)
            if jws.validate_compact(obj, key, algorithms=[alg]):
                return
        except (JoseError, ValueError, TypeError):
            continue
    raise invalid_token(BAD_SIGNATURE)


def _check_times(claims: dict[str, Any], now: datetime) -> None:
    current = int(now.timestamp())
    expires = _time_claim(claims, "exp")
    if expires is None:
        raise invalid_token("Missing a required claim: exp")
    not_before = _time_claim(claims, "nbf")
    issued = _time_claim(claims, "iat")
    if current >= expires:
        raise service_error(
            "sts",
            "ExpiredTokenException",
            f"Token expired: current date/time {current} must be before the expiration "
            f"date/time {expires}",
        )
    if not_before is not None and not_before > current + CLOCK_SKEW:
        raise rejected_claim(
            f"Token not yet valid: current date/time {current} must be after the not-before "
            f"date/time {not_before}"
        )
    if issued is not None and issued > current + CLOCK_SKEW:
        raise rejected_claim(
            f"Token issued in the future: current date/time {current} must be after the issue "
            f"date/time {issued}"
        )


def _session_tags(claims: dict[str, Any]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """*Passing session tags using AssumeRoleWithWebIdentity*: `principal_tags` maps each key to
    a one-element list (a plain string is taken too), `transitive_tag_keys` lists keys."""
    raw = claims.get(TAGS_CLAIM)
    if raw is None:
        return (), ()
    bad = invalid_token(f"The {TAGS_CLAIM} claim of the token is not valid.")
    if not isinstance(raw, dict):
        raise bad
    principal = raw.get("principal_tags") or {}
    transitive = raw.get("transitive_tag_keys") or []
    if not isinstance(principal, dict) or not isinstance(transitive, list):
        raise bad
    tags: list[tuple[str, str]] = []
    for key, value in principal.items():
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str) or not 1 <= len(key) <= 128 or len(value) > 256:
            raise bad
        tags.append((key, value))
    if len(tags) > MAX_SESSION_TAGS or not all(isinstance(k, str) for k in transitive):
        raise bad
    check_tags(tags, transitive)
    return tuple(tags), tuple(transitive)


def _source_identity(claims: dict[str, Any]) -> str | None:
    value = claims.get(SOURCE_IDENTITY_CLAIM)
    if value is None:
        return None
    if not isinstance(value, str) or not _SOURCE_IDENTITY.fullmatch(value):
        raise invalid_token(f"The {SOURCE_IDENTITY_CLAIM} claim of the token is not valid.")
    return value  # the pattern has no ":", so no reserved "aws:" prefix either


def verify_token(call: Call, account: str, token: str) -> WebIdentity:
    """The identity an OIDC ID token proves to `account`, or AWS's error."""
    obj, header, claims = _unverified(token)
    provider = _provider(call, account, claims.get("iss"))
    _verify_signature(obj, header, provider)
    subject = _required(claims, "sub")
    if not isinstance(subject, str):
        raise invalid_token("The sub claim of the token must be a string.")
    audiences = _strings(_required(claims, "aud"), "aud")
    audience = next((a for a in audiences if a in provider.client_ids), None)
    if audience is None:
        raise invalid_token("Incorrect token audience")
    _check_times(claims, call.now)
    azp = claims.get("azp")
    if azp is not None and not isinstance(azp, str):
        raise invalid_token("The azp claim of the token must be a string.")
    amr = _strings(claims["amr"], "amr") if claims.get("amr") is not None else None
    tags, transitive = _session_tags(claims)
    return WebIdentity(
        provider_arn=provider.arn,
        provider_url=provider.url,
        subject=subject,
        audience=audience,
        azp=azp,
        amr=amr,
        tags=tags,
        transitive_tag_keys=transitive,
        source_identity=_source_identity(claims),
    )


# -- the operation ------------------------------------------------------------------------------


def authenticate(call: Call, params: dict[str, Any]) -> Caller:
    provider_id = params.get("ProviderId")
    if provider_id is not None:
        raise rejected_claim(
            f"{provider_id}: OAuth 2.0 access tokens are not supported; pass an OpenID Connect ID "
            "token without ProviderId."
        )
    target = role_target(params["RoleArn"])
    if target is None:
        raise access_denied(f"Not authorized to perform {ACTION}")
    account = target[0]
    ident = verify_token(call, account, params["WebIdentityToken"])
    params[_IDENTITY_KEY] = ident
    return Caller(
        account_id=account,
        type="WebIdentityUser",
        arn=ident.provider_arn,
        userid=f"{ident.provider_url}:{ident.audience}:{ident.subject}",
        provider=ident.provider_arn,
    )


def _identity(params: dict[str, Any]) -> WebIdentity:
    ident = params[_IDENTITY_KEY]
    assert isinstance(ident, WebIdentity)
    return ident


def trust_policy(call: Call, params: dict[str, Any]) -> ResourcePolicy:
    return role_trust_policy(call, params, ACTION)


def web_identity_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ident = _identity(params)
    prefix = ident.provider_url
    ctx: dict[str, Any] = {
        f"{prefix}:sub": ident.subject,
        f"{prefix}:aud": ident.azp if ident.azp is not None else ident.audience,
        f"{prefix}:oaud": ident.audience,
        "aws:FederatedProvider": ident.provider_arn,
        "sts:RoleSessionName": params["RoleSessionName"],
    }
    if ident.azp is not None:
        ctx[f"{prefix}:azp"] = ident.azp
    if ident.amr is not None:
        ctx[f"{prefix}:amr"] = ident.amr
    if ident.source_identity is not None:
        ctx["sts:SourceIdentity"] = ident.source_identity
    ctx.update(
        tag_context(
            {
                "Tags": [{"Key": k, "Value": v} for k, v in ident.tags],
                "TransitiveTagKeys": list(ident.transitive_tag_keys),
            }
        )
    )
    role = target_role(call, params)
    if role is not None:
        for key, value in role.tags:
            ctx[f"aws:ResourceTag/{key}"] = value
    return ctx


def further_checks(call: Call, params: dict[str, Any]) -> list[Check]:
    """`sts:TagSession` when the token carries session tags, `sts:SetSourceIdentity` when it
    carries a source identity: both decided by the trust policy, like the call itself."""
    ident = _identity(params)
    arn = params["RoleArn"]
    checks: list[Check] = []
    if ident.tags or ident.transitive_tag_keys:
        checks.append(Check("sts:TagSession", arn, web_identity_context(call, params)))
    if ident.source_identity is not None:
        checks.append(Check("sts:SetSourceIdentity", arn, web_identity_context(call, params)))
    return checks


@registry.operation(
    "sts",
    "AssumeRoleWithWebIdentity",
    resources=role_resources,
    context=web_identity_context,
    also=further_checks,
    resource_policy=trust_policy,
    authenticate=authenticate,
)
def assume_role_with_web_identity(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ident = _identity(params)
    role = target_role(call, params)
    if role is None:  # pragma: no cover - authorization refuses a missing role first
        raise not_authorized(call, ACTION, params["RoleArn"])
    duration = int(params.get("DurationSeconds", DEFAULT_SECONDS))
    check_duration(role, duration)
    policies = session_policies(call, params, role.account_id)
    packed = packed_size(policies, ident.tags)
    out = role_session(
        call,
        role,
        params["RoleSessionName"],
        policies,
        packed,
        tags=ident.tags,
        transitive_tag_keys=ident.transitive_tag_keys,
        source_identity=ident.source_identity,
        extra={"federated_provider": ident.provider_arn},
        duration=duration,
    )
    out["SubjectFromWebIdentityToken"] = ident.subject
    out["Provider"] = ident.provider_arn
    out["Audience"] = ident.audience
    return out
