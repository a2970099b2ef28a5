"""A small SAML 2.0 identity provider for the tests: a self-signed certificate made with
`cryptography`, its IdP metadata, and responses signed with signxml's `XMLSigner` the way
ADFS, Okta or Keycloak send them to AWS (IAM User Guide, *Configure SAML assertions for the
authentication response*)."""

from __future__ import annotations

import base64
import copy
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
AWS_SAML = "https://signin.aws.amazon.com/saml"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _new_id() -> str:
    return "_" + secrets.token_hex(16)


@dataclass
class Signer:
    """A key and its self-signed certificate."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @classmethod
    def generate(cls, name: str = "test-idp") -> Signer:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @property
    def cert_b64(self) -> str:
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def sign(self, element: Any, ref_id: str) -> Any:
        signer = XMLSigner(
            signature_algorithm="rsa-sha256",
            digest_algorithm="sha256",
            c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
        )
        return signer.sign(element, key=self.key, cert=[self.cert], reference_uri=ref_id)


@dataclass
class IdP:
    """An identity provider: `metadata()` for CreateSAMLProvider, `response(...)` for
    AssumeRoleWithSAML (base64 by `encode`)."""

    entity_id: str = field(
        default_factory=lambda: f"https://idp.example.com/{secrets.token_hex(4)}"
    )
    signer: Signer = field(default_factory=Signer.generate)

    def metadata(self, valid_until: datetime | None = None, use: str | None = "signing") -> str:
        root = etree.Element(f"{{{MD}}}EntityDescriptor", nsmap={"md": MD, "ds": DS})
        root.set("entityID", self.entity_id)
        if valid_until is not None:
            root.set("validUntil", _iso(valid_until))
        idp = etree.SubElement(root, f"{{{MD}}}IDPSSODescriptor")
        idp.set("protocolSupportEnumeration", SAMLP)
        kd = etree.SubElement(idp, f"{{{MD}}}KeyDescriptor")
        if use is not None:
            kd.set("use", use)
        info = etree.SubElement(kd, f"{{{DS}}}KeyInfo")
        data = etree.SubElement(info, f"{{{DS}}}X509Data")
        etree.SubElement(data, f"{{{DS}}}X509Certificate").text = self.signer.cert_b64
        etree.SubElement(idp, f"{{{MD}}}NameIDFormat").text = PERSISTENT
        sso = etree.SubElement(idp, f"{{{MD}}}SingleSignOnService")
        sso.set("Binding", "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
        sso.set("Location", f"{self.entity_id}/sso")
        # IAM wants a metadata document of at least 1,000 characters.
        org = etree.SubElement(root, f"{{{MD}}}Organization")
        for tag, text in [
            ("OrganizationName", "Example"),
            ("OrganizationDisplayName", "Ex"),
            ("OrganizationURL", "https://example.com/" + "x" * 200),
        ]:
            el = etree.SubElement(org, f"{{{MD}}}{tag}")
            el.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
            el.text = text
        return etree.tostring(root, encoding="unicode")

    def response(
        self,
        roles: list[tuple[str, str]] | None = None,
        *,
        session_name: str | None = "alice",
        subject: str | None = "alice@example.com",
        subject_format: str = PERSISTENT,
        audience: str | None = AWS_SAML,
        recipient: str = AWS_SAML,
        issuer: str | None = None,
        now: datetime | None = None,
        lifetime: timedelta = timedelta(minutes=5),
        not_before: datetime | None = None,
        attributes: dict[str, list[str]] | None = None,
        sign: str = "assertion",  # "assertion" | "response" | "both" | "none"
        signer: Signer | None = None,
        status: str = "urn:oasis:names:tc:SAML:2.0:status:Success",
        session_not_on_or_after: datetime | None = None,
    ) -> bytes:
        """A SAML response as bytes. `roles` are (role ARN, provider ARN) pairs."""
        now = now or datetime.now(UTC)
        signer = signer or self.signer
        issuer = issuer or self.entity_id
        nsmap = {"samlp": SAMLP, "saml": SAML}
        resp_id, assertion_id = _new_id(), _new_id()
        resp = etree.Element(f"{{{SAMLP}}}Response", nsmap=nsmap)
        resp.set("ID", resp_id)
        resp.set("Version", "2.0")
        resp.set("IssueInstant", _iso(now))
        resp.set("Destination", recipient)
        etree.SubElement(resp, f"{{{SAML}}}Issuer").text = issuer
        st = etree.SubElement(resp, f"{{{SAMLP}}}Status")
        etree.SubElement(st, f"{{{SAMLP}}}StatusCode").set("Value", status)

        a = etree.Element(f"{{{SAML}}}Assertion", nsmap=nsmap)
        a.set("ID", assertion_id)
        a.set("Version", "2.0")
        a.set("IssueInstant", _iso(now))
        etree.SubElement(a, f"{{{SAML}}}Issuer").text = issuer
        if sign in ("assertion", "both"):
            ph = etree.SubElement(a, f"{{{DS}}}Signature", nsmap={"ds": DS})
            ph.set("Id", "placeholder")
        subj = etree.SubElement(a, f"{{{SAML}}}Subject")
        if subject is not None:
            nid = etree.SubElement(subj, f"{{{SAML}}}NameID")
            nid.set("Format", subject_format)
            nid.text = subject
        sc = etree.SubElement(subj, f"{{{SAML}}}SubjectConfirmation")
        sc.set("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
        scd = etree.SubElement(sc, f"{{{SAML}}}SubjectConfirmationData")
        scd.set("NotOnOrAfter", _iso(now + lifetime))
        scd.set("Recipient", recipient)
        cond = etree.SubElement(a, f"{{{SAML}}}Conditions")
        cond.set("NotBefore", _iso(not_before or now - timedelta(seconds=5)))
        cond.set("NotOnOrAfter", _iso(now + lifetime))
        if audience is not None:
            ar = etree.SubElement(cond, f"{{{SAML}}}AudienceRestriction")
            etree.SubElement(ar, f"{{{SAML}}}Audience").text = audience
        authn = etree.SubElement(a, f"{{{SAML}}}AuthnStatement")
        authn.set("AuthnInstant", _iso(now))
        if session_not_on_or_after is not None:
            authn.set("SessionNotOnOrAfter", _iso(session_not_on_or_after))
        ctx = etree.SubElement(authn, f"{{{SAML}}}AuthnContext")
        etree.SubElement(
            ctx, f"{{{SAML}}}AuthnContextClassRef"
        ).text = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        attrs: dict[str, list[str]] = {}
        if roles:
            attrs[ATTR + "Role"] = [f"{r},{p}" for r, p in roles]
        if session_name is not None:
            attrs[ATTR + "RoleSessionName"] = [session_name]
        attrs.update(attributes or {})
        stmt = etree.SubElement(a, f"{{{SAML}}}AttributeStatement")
        for name, values in attrs.items():
            at = etree.SubElement(stmt, f"{{{SAML}}}Attribute")
            at.set("Name", name)
            for v in values:
                etree.SubElement(at, f"{{{SAML}}}AttributeValue").text = v
        if sign in ("assertion", "both"):
            a = signer.sign(a, assertion_id)
        resp.append(a)
        if sign in ("response", "both"):
            ph = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS})
            ph.set("Id", "placeholder")
            resp.insert(1, ph)
            resp = signer.sign(resp, resp_id)
        return bytes(etree.tostring(resp))


def encode(xml: bytes | str) -> str:
    return base64.b64encode(xml.encode() if isinstance(xml, str) else xml).decode()


def wrapped(signed: bytes, evil_session: str = "mallory", keep_signature: bool = True) -> bytes:
    """An XML signature wrapping attack: the signed assertion is moved into an `Extensions`
    element of the response (where its signature still verifies, by ID) and a forged copy
    with another RoleSessionName and an ID of its own takes its place, carrying the original
    signature (which names the original's ID) unless `keep_signature` is False."""
    root = etree.fromstring(signed)
    original = root.find(f"{{{SAML}}}Assertion")
    forged = copy.deepcopy(original)
    if not keep_signature:
        for sig in forged.findall(f"{{{DS}}}Signature"):
            forged.remove(sig)
    forged.set("ID", _new_id())
    for at in forged.iter(f"{{{SAML}}}Attribute"):
        if at.get("Name") == ATTR + "RoleSessionName":
            at[0].text = evil_session
    ext = etree.Element(f"{{{SAMLP}}}Extensions")
    root.remove(original)
    ext.append(original)
    root.insert(1, ext)
    root.append(forged)
    return bytes(etree.tostring(root))


def tampered(signed: bytes, old: str, new: str) -> bytes:
    """The signed response with one text changed after signing."""
    assert old.encode() in signed
    return signed.replace(old.encode(), new.encode(), 1)
