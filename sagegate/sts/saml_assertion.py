"""A SAML 2.0 authentication response, verified as AWS STS verifies one for AssumeRoleWithSAML
(STS API Reference, *AssumeRoleWithSAML*; IAM User Guide, *Configure SAML assertions for the
authentication response* and *Troubleshoot SAML federation*; SAML 2.0 Core and Profiles,
OASIS 2005, sections 2.5, 2.7 and 4.1.4.2; W3C *XML Signature Best Practices*).

The response is parsed twice, both times without entities, DTDs or network access: first by
defusedxml, which refuses a document type declaration, entities and external references, then by
lxml (for signxml). Its signature is verified with signxml's `XMLVerifier` against the X.509
certificates of the provider's metadata (an `IDPSSODescriptor` `KeyDescriptor` whose `use` is
`signing` or absent); the certificate pins the key, so its own validity period is not checked
(the provider's `validUntil` is).

Signature wrapping: the claims are read only from what the verifier returns as signed (the
canonicalized element the signature's single reference names), never from the document as sent.
A signature is looked for only where SAML puts it, as a child of the `Response` or of its one
`Assertion`, and must reference that very element by its `ID` (an ID that appears twice in the
document is refused by signxml). When the `Response` carries a signature it must verify; when the
`Assertion` carries one it must verify too; at least one of the two must be present. SHA-1
signature and digest methods are refused (signxml's default; AWS still accepts them).

Times, with `CLOCK_SKEW` of leeway: `Conditions` `NotBefore` / `NotOnOrAfter`, the bearer
`SubjectConfirmationData` `NotOnOrAfter`, and the assertion's `IssueInstant`, which must be at most
five minutes old ("Token must be redeemed within 5 minutes of issuance", as AWS answers).

Audience and recipient: AWS is the audience (`https://signin.aws.amazon.com/saml`, its regional
forms `https://REGION.signin.aws.amazon.com/saml`, or `urn:amazon:webservices`), and the
`SubjectConfirmationData` `Recipient` (the `saml:aud` key) is AWS's sign-in endpoint in one of its
forms (also `https://signin.aws.amazon.com/static/saml`). sagegate accepts no other value, also
not its own address: that would come from the request's `Host` header, which the client chooses,
and would let an assertion issued to another service provider be replayed here.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from lxml import etree
from signxml.exceptions import SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from sagegate.protocol.errors import ServiceError, service_error

SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

CLOCK_SKEW = timedelta(seconds=60)
REDEEM_WITHIN = timedelta(minutes=5)

_REGIONAL = re.compile(r"https://[a-z]{2}(?:-[a-z]+)+-[0-9]+\.signin\.aws\.amazon\.com/saml")
AUDIENCES = frozenset({"https://signin.aws.amazon.com/saml", "urn:amazon:webservices"})
RECIPIENTS = frozenset(
    {"https://signin.aws.amazon.com/saml", "https://signin.aws.amazon.com/static/saml"}
)


def invalid_token(message: str) -> ServiceError:
    return service_error("sts", "InvalidIdentityToken", message)


def expired_token(message: str) -> ServiceError:
    return service_error("sts", "ExpiredTokenException", message)


def _bad_signature() -> ServiceError:
    return invalid_token("Response signature invalid")


def accepted_audience(value: str) -> bool:
    return value in AUDIENCES or _REGIONAL.fullmatch(value) is not None


def accepted_recipient(value: str) -> bool:
    return value in RECIPIENTS or _REGIONAL.fullmatch(value) is not None


# -- the provider's metadata -------------------------------------------------------------------


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    certificates: tuple[x509.Certificate, ...]


def parse_metadata(document: str) -> IdpMetadata:
    """The entity ID and signing certificates of a SAML provider's stored metadata (validated by
    CreateSAMLProvider / UpdateSAMLProvider when it was stored)."""
    try:
        root = SafeET.fromstring(document, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        raise invalid_token("Could not parse metadata") from None
    idp = root.find(f"{MD}IDPSSODescriptor")
    certs: list[x509.Certificate] = []
    if idp is not None:
        for kd in idp.findall(f"{MD}KeyDescriptor"):
            if kd.get("use", "signing") != "signing":
                continue
            for el in kd.iter(f"{DS}X509Certificate"):
                try:
                    der = base64.b64decode("".join((el.text or "").split()), validate=True)
                    certs.append(x509.load_der_x509_certificate(der))
                except (binascii.Error, ValueError):
                    continue
    return IdpMetadata(entity_id=root.get("entityID") or "", certificates=tuple(certs))


# -- the verified assertion --------------------------------------------------------------------


@dataclass(frozen=True)
class Assertion:
    """What a verified assertion says (the signed element only)."""

    issuer: str
    issue_instant: datetime
    subject: str | None
    subject_format: str
    recipient: str
    audiences: tuple[str, ...]
    session_not_on_or_after: datetime | None
    attributes: Mapping[str, tuple[str, ...]]  # Attribute Name -> its values, in order


def _time(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise invalid_token(f"Invalid {what} in SAML response") from None
    if parsed.tzinfo is None:
        raise invalid_token(f"Invalid {what} in SAML response")
    return parsed


def _decode(encoded: str) -> bytes:
    try:
        return base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise invalid_token("Invalid base64 SAMLResponse") from None


_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(**_PARSER_OPTIONS)


def _parse(xml: bytes) -> Any:
    try:
        SafeET.fromstring(xml, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError, LookupError):
        # LookupError: an XML declaration naming an encoding Python does not know.
        raise invalid_token("Invalid SAML response: not a well-formed XML document") from None
    try:
        return etree.fromstring(xml, parser=_parser())
    except (etree.XMLSyntaxError, ValueError):  # pragma: no cover - defusedxml refused it first
        raise invalid_token("Invalid SAML response: not a well-formed XML document") from None


def _verified(
    xml: bytes, location: str, holder: Any, certs: tuple[x509.Certificate, ...], now: datetime
) -> Any:
    """The element the signature at `location` signs, as the verifier returns it; it must be
    `holder` itself (the signature's parent), named by its ID."""
    holder_id = holder.get("ID")
    if not holder_id:
        raise _bad_signature()
    for cert in certs:
        # The metadata pins the key: verify "as of" a moment inside the certificate's validity.
        when = min(max(now, cert.not_valid_before_utc), cert.not_valid_after_utc)
        config = SignatureConfiguration(
            location=location, expect_references=1, verification_time=when
        )
        try:
            result = XMLVerifier().verify(
                xml, x509_cert=cert, parser=_parser(), id_attribute="ID", expect_config=config
            )
        except (SignXMLException, ValueError, TypeError, etree.LxmlError):
            # TypeError: signxml on an empty SignatureValue.
            continue
        signed = getattr(result, "signed_xml", None)
        if signed is None or signed.tag != holder.tag or signed.get("ID") != holder_id:
            raise _bad_signature()
        return signed
    raise _bad_signature()


def verify_response(encoded: str, metadata: IdpMetadata, now: datetime) -> Assertion:
    """Decode, parse and verify a base64 SAML response; check its issuer, status and times.
    Raises InvalidIdentityToken, ExpiredTokenException or IDPRejectedClaim as AWS does."""
    xml = _decode(encoded)
    root = _parse(xml)
    if root.tag != f"{SAMLP}Response":
        raise invalid_token("Invalid SAML response: the root element must be samlp:Response")
    if root.find(f"{SAML}EncryptedAssertion") is not None:
        raise invalid_token("Encrypted SAML assertions are not supported")
    assertions = root.findall(f"{SAML}Assertion")
    if len(assertions) != 1:
        raise invalid_token("Invalid SAML response: it must contain exactly one Assertion")
    if not metadata.certificates:
        raise _bad_signature()
    response_signed = root.find(f"{DS}Signature") is not None
    assertion_signed = assertions[0].find(f"{DS}Signature") is not None
    if not (response_signed or assertion_signed):
        raise _bad_signature()
    signed: Any = None
    if response_signed:
        response = _verified(xml, "./", root, metadata.certificates, now)
        inner = response.findall(f"{SAML}Assertion")
        if len(inner) != 1:  # pragma: no cover - the same document as checked above
            raise _bad_signature()
        signed = inner[0]
        issuer = response.findtext(f"{SAML}Issuer")
        if issuer is not None and issuer.strip() != metadata.entity_id:
            raise invalid_token("Issuer not present in specified provider")
    if assertion_signed:
        signed = _verified(xml, f"./{SAML}Assertion/", assertions[0], metadata.certificates, now)
    # The status is read from the response as sent: a failure status can only refuse.
    code = root.find(f"{SAMLP}Status/{SAMLP}StatusCode")
    if code is not None and code.get("Value") != SUCCESS:
        raise service_error(
            "sts", "IDPRejectedClaim", "The identity provider reported that authentication failed"
        )
    return _read(signed, metadata, now)


def _read(a: Any, metadata: IdpMetadata, now: datetime) -> Assertion:
    issuer = (a.findtext(f"{SAML}Issuer") or "").strip()
    if issuer != metadata.entity_id:
        raise invalid_token("Issuer not present in specified provider")
    issued = _time(a.get("IssueInstant"), "IssueInstant")
    if issued is None:
        raise invalid_token("Invalid IssueInstant in SAML response")
    if issued > now + CLOCK_SKEW:
        raise invalid_token("SAML response is not yet valid")
    if now > issued + REDEEM_WITHIN + CLOCK_SKEW:
        raise expired_token("Token must be redeemed within 5 minutes of issuance")

    subject = a.find(f"{SAML}Subject")
    name_id = subject.find(f"{SAML}NameID") if subject is not None else None
    confirmations = subject.findall(f"{SAML}SubjectConfirmation") if subject is not None else []
    data = [c.find(f"{SAML}SubjectConfirmationData") for c in confirmations]
    if len(confirmations) != 1 or data[0] is None or confirmations[0].get("Method") != BEARER:
        raise invalid_token(
            "Invalid SAML response: it must contain exactly one bearer SubjectConfirmation with "
            "SubjectConfirmationData"
        )
    recipient = data[0].get("Recipient")
    confirm_until = _time(data[0].get("NotOnOrAfter"), "NotOnOrAfter")
    if recipient is None or confirm_until is None:
        raise invalid_token(
            "Invalid SAML response: SubjectConfirmationData must have NotOnOrAfter and Recipient"
        )
    if now - CLOCK_SKEW >= confirm_until:  # (asserted times may be near year 9999)
        raise expired_token("Response has expired")

    conditions = a.find(f"{SAML}Conditions")
    audiences: list[str] = []
    restricted = False
    if conditions is not None:
        not_before = _time(conditions.get("NotBefore"), "NotBefore")
        not_after = _time(conditions.get("NotOnOrAfter"), "NotOnOrAfter")
        if not_before is not None and now + CLOCK_SKEW < not_before:
            raise invalid_token("SAML response is not yet valid")
        if not_after is not None and now - CLOCK_SKEW >= not_after:
            raise expired_token("Response has expired")
        for restriction in conditions.findall(f"{SAML}AudienceRestriction"):
            restricted = True
            values = [(v.text or "").strip() for v in restriction.findall(f"{SAML}Audience")]
            audiences += values
            # Each AudienceRestriction must be met by one of its Audience values (Core 2.5.1.4).
            if not any(accepted_audience(v) for v in values):
                raise invalid_token("Response does not contain the required audience.")
    if not restricted:
        raise invalid_token("Response does not contain the required audience.")
    if not accepted_recipient(recipient.strip()):
        raise invalid_token("Response does not contain the required audience.")

    session_until = None
    for authn in a.findall(f"{SAML}AuthnStatement"):
        found = _time(authn.get("SessionNotOnOrAfter"), "SessionNotOnOrAfter")
        if found is not None and (session_until is None or found < session_until):
            session_until = found

    attributes: dict[str, tuple[str, ...]] = {}
    for statement in a.findall(f"{SAML}AttributeStatement"):
        for attr in statement.findall(f"{SAML}Attribute"):
            name = attr.get("Name")
            if not name:
                continue
            items = tuple((v.text or "").strip() for v in attr.findall(f"{SAML}AttributeValue"))
            attributes[name] = attributes.get(name, ()) + items

    subject_text = (name_id.text or "").strip() if name_id is not None else ""
    return Assertion(
        issuer=issuer,
        issue_instant=issued,
        subject=subject_text or None,
        subject_format=(name_id.get("Format") if name_id is not None else None) or UNSPECIFIED,
        recipient=recipient.strip(),
        audiences=tuple(audiences),
        session_not_on_or_after=session_until,
        attributes=attributes,
    )
