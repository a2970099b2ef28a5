"""SAML response verification (sagegate.sts.saml_assertion) with responses signed by a test
identity provider: signatures on the response, the assertion or both, wrapping attacks, other
keys, times, audience, recipient and issuer."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from sagegate.protocol.errors import ServiceError
from sagegate.sts.saml_assertion import parse_metadata, verify_response
from tests.e2e.saml_idp import ATTR, DS, SAML, IdP, Signer, encode, tampered, wrapped

ROLE = "arn:aws:iam::123456789012:role/r"
PROVIDER = "arn:aws:iam::123456789012:saml-provider/p"


@pytest.fixture(scope="module")
def idp() -> IdP:
    return IdP()


def verify(idp: IdP, xml: bytes | str, now: datetime | None = None) -> object:
    metadata = parse_metadata(idp.metadata())
    return verify_response(encode(xml), metadata, now or datetime.now(UTC))


def refused(idp: IdP, xml: bytes | str, code: str, message: str | None = None) -> ServiceError:
    with pytest.raises(ServiceError) as e:
        verify(idp, xml)
    assert e.value.code == code, e.value
    if message is not None:
        assert e.value.message == message
    return e.value


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_signed_responses_verify(idp: IdP, sign: str) -> None:
    xml = idp.response([(ROLE, PROVIDER)], sign=sign, attributes={ATTR + "X": ["1", "2"]})
    a = verify(idp, xml)
    assert a.issuer == idp.entity_id  # type: ignore[attr-defined]
    assert a.subject == "alice@example.com"  # type: ignore[attr-defined]
    assert a.recipient == "https://signin.aws.amazon.com/saml"  # type: ignore[attr-defined]
    assert a.attributes[ATTR + "Role"] == (f"{ROLE},{PROVIDER}",)  # type: ignore[attr-defined]
    assert a.attributes[ATTR + "X"] == ("1", "2")  # type: ignore[attr-defined]


def test_unsigned_response_is_refused(idp: IdP) -> None:
    refused(
        idp,
        idp.response([(ROLE, PROVIDER)], sign="none"),
        "InvalidIdentityToken",
        "Response signature invalid",
    )


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_tampered_response_is_refused(idp: IdP, sign: str) -> None:
    xml = idp.response([(ROLE, PROVIDER)], sign=sign)
    refused(
        idp,
        tampered(xml, ">alice<", ">admin<"),
        "InvalidIdentityToken",
        "Response signature invalid",
    )


def test_signature_by_another_key_is_refused(idp: IdP) -> None:
    other = Signer.generate("evil")
    for sign in ("assertion", "response", "both"):
        xml = idp.response([(ROLE, PROVIDER)], sign=sign, signer=other)
        refused(idp, xml, "InvalidIdentityToken", "Response signature invalid")


def test_signed_response_with_a_badly_signed_assertion_is_refused(idp: IdP) -> None:
    """Both signatures must hold: the response's, and the assertion's when it has one."""
    other = Signer.generate("evil")
    inner = etree.fromstring(idp.response([(ROLE, PROVIDER)], sign="assertion", signer=other))
    # Re-sign the whole response with the right key around the wrongly signed assertion.
    ph = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS})
    ph.set("Id", "placeholder")
    inner.insert(1, ph)
    xml = etree.tostring(idp.signer.sign(inner, inner.get("ID")))
    refused(idp, xml, "InvalidIdentityToken", "Response signature invalid")


@pytest.mark.parametrize("keep_signature", [True, False])
def test_signature_wrapping_is_refused(idp: IdP, keep_signature: bool) -> None:
    xml = idp.response([(ROLE, PROVIDER)], sign="assertion")
    refused(idp, wrapped(xml, keep_signature=keep_signature), "InvalidIdentityToken")


def test_duplicate_ids_are_refused(idp: IdP) -> None:
    """The forged assertion takes the signed one's ID, the signed one hides in Extensions."""
    root = etree.fromstring(wrapped(idp.response([(ROLE, PROVIDER)]), keep_signature=True))
    hidden = root.find(f".//{{{SAML}}}Assertion")
    forged = root.findall(f"{{{SAML}}}Assertion")[0]
    forged.set("ID", hidden.get("ID"))
    refused(idp, etree.tostring(root), "InvalidIdentityToken", "Response signature invalid")


def test_claims_come_from_the_signed_assertion_only(idp: IdP) -> None:
    """Response signed, then an unsigned assertion swapped in: the digest no longer matches."""
    xml = idp.response([(ROLE, PROVIDER)], sign="response")
    root = etree.fromstring(xml)
    a = root.find(f"{{{SAML}}}Assertion")
    for at in a.iter(f"{{{SAML}}}Attribute"):
        if at.get("Name") == ATTR + "RoleSessionName":
            at[0].text = "mallory"
    refused(idp, etree.tostring(root), "InvalidIdentityToken", "Response signature invalid")


def test_comments_do_not_truncate_values(idp: IdP) -> None:
    """A comment inserted into a signed text node (exclusive c14n drops comments, so the
    signature still verifies): the value read is the whole signed text, not its first part."""
    xml = idp.response([(ROLE, PROVIDER)], subject="admin@example.com.evil.org")
    xml = tampered(xml, b"admin@example.com.evil.org".decode(), "admin@example.com<!---->.evil.org")
    a = verify(idp, xml)
    assert a.subject == "admin@example.com.evil.org"  # type: ignore[attr-defined]


def test_doctype_and_entities_are_refused(idp: IdP) -> None:
    xml = idp.response([(ROLE, PROVIDER)]).decode()
    evil = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>' + xml
    refused(idp, evil, "InvalidIdentityToken")


def test_garbage_is_refused(idp: IdP) -> None:
    metadata = parse_metadata(idp.metadata())
    for value in [
        "not base64!!",
        base64.b64encode(b"<not-xml").decode(),
        base64.b64encode(b"<a/>").decode(),
        base64.b64encode(b'<?xml version="1.0" encoding="x-bogus"?><a/>').decode(),
    ]:
        with pytest.raises(ServiceError) as e:
            verify_response(value, metadata, datetime.now(UTC))
        assert e.value.code == "InvalidIdentityToken"


def test_issuer_must_be_the_metadata_entity(idp: IdP) -> None:
    xml = idp.response([(ROLE, PROVIDER)], issuer="https://other.example.com")
    refused(idp, xml, "InvalidIdentityToken", "Issuer not present in specified provider")


def test_expired_and_not_yet_valid(idp: IdP) -> None:
    now = datetime.now(UTC)
    old = idp.response(
        [(ROLE, PROVIDER)], now=now - timedelta(minutes=3), lifetime=timedelta(minutes=1)
    )
    refused(idp, old, "ExpiredTokenException", "Response has expired")
    stale = idp.response(
        [(ROLE, PROVIDER)], now=now - timedelta(minutes=10), lifetime=timedelta(hours=1)
    )
    refused(
        idp, stale, "ExpiredTokenException", "Token must be redeemed within 5 minutes of issuance"
    )
    future = idp.response([(ROLE, PROVIDER)], not_before=now + timedelta(minutes=10))
    refused(idp, future, "InvalidIdentityToken")
    # Within the clock skew: accepted.
    verify(idp, idp.response([(ROLE, PROVIDER)], not_before=now + timedelta(seconds=20)))


@pytest.mark.parametrize(
    "audience",
    [
        "https://signin.aws.amazon.com/saml",
        "urn:amazon:webservices",
        "https://eu-west-1.signin.aws.amazon.com/saml",
    ],
)
def test_aws_audiences_are_accepted(idp: IdP, audience: str) -> None:
    verify(idp, idp.response([(ROLE, PROVIDER)], audience=audience))


@pytest.mark.parametrize(
    "audience", [None, "https://sp.example.com/saml", "https://signin.aws.amazon.com.evil.org/saml"]
)
def test_other_audiences_are_refused(idp: IdP, audience: str | None) -> None:
    refused(
        idp,
        idp.response([(ROLE, PROVIDER)], audience=audience),
        "InvalidIdentityToken",
        "Response does not contain the required audience.",
    )


def test_recipient_must_be_aws(idp: IdP) -> None:
    xml = idp.response([(ROLE, PROVIDER)], recipient="https://sp.example.com/acs")
    refused(idp, xml, "InvalidIdentityToken")
    xml = idp.response([(ROLE, PROVIDER)], recipient="https://signin.aws.amazon.com/static/saml")
    assert verify(idp, xml).recipient.endswith("/static/saml")  # type: ignore[attr-defined]


def test_failed_status_is_idp_rejected_claim(idp: IdP) -> None:
    xml = idp.response(
        [(ROLE, PROVIDER)], sign="both", status="urn:oasis:names:tc:SAML:2.0:status:Requester"
    )
    refused(idp, xml, "IDPRejectedClaim")


def test_metadata_certificates(idp: IdP) -> None:
    """A KeyDescriptor for encryption only does not verify signatures; one without `use` does."""
    xml = idp.response([(ROLE, PROVIDER)])
    unused = parse_metadata(idp.metadata(use=None))
    assert verify_response(encode(xml), unused, datetime.now(UTC))
    encryption = parse_metadata(idp.metadata(use="encryption"))
    with pytest.raises(ServiceError) as e:
        verify_response(encode(xml), encryption, datetime.now(UTC))
    assert e.value.message == "Response signature invalid"


def test_an_empty_signature_value_is_a_bad_signature(idp: IdP) -> None:
    """signxml raises TypeError on an empty SignatureValue: refused, not a server error."""
    root = etree.fromstring(idp.response([(ROLE, PROVIDER)], sign="response"))
    value = root.find(f"{{{DS}}}Signature/{{{DS}}}SignatureValue")
    assert value is not None
    value.text = None
    refused(idp, etree.tostring(root), "InvalidIdentityToken")
