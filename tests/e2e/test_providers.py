"""OpenID Connect and SAML identity providers through boto3 and the AWS CLI."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user

THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def certificate_b64() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def metadata(valid_until: str | None = "2030-01-01T00:00:00Z", cert: str | None = None) -> str:
    until = f' validUntil="{valid_until}"' if valid_until else ""
    cert = cert if cert is not None else certificate_b64()
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/saml"{until}>\n'
        '  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
        '    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>\n'
        f"      <ds:X509Certificate>{cert}</ds:X509Certificate>\n"
        "    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n"
        "    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>\n"
        '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        'Location="https://idp.example.com/saml/sso"/>\n'
        '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://idp.example.com/saml/sso/post"/>\n'
        "  </md:IDPSSODescriptor>\n"
        "</md:EntityDescriptor>\n"
    )


def test_oidc_provider_lifecycle(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    made = iam.create_open_id_connect_provider(
        Url="https://token.example.com/issuer",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=[THUMB],
        Tags=[{"Key": "env", "Value": "test"}],
    )
    arn = made["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{account}:oidc-provider/token.example.com/issuer"
    assert made["Tags"] == [{"Key": "env", "Value": "test"}]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "token.example.com/issuer"
    assert got["ClientIDList"] == ["sts.amazonaws.com"] and got["ThumbprintList"] == [THUMB]
    assert got["Tags"] == [{"Key": "env", "Value": "test"}]

    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(
            Url="https://token.example.com/issuer", ThumbprintList=[THUMB]
        )
    assert error(e) == (
        "EntityAlreadyExists",
        "Provider with url https://token.example.com/issuer already exists.",
        409,
    )
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(
            Url="http://insecure.example.com", ThumbprintList=[THUMB]
        )
    assert error(e)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(
            Url="https://many.example.com", ThumbprintList=[f"{i:040x}" for i in range(6)]
        )
    assert error(e)[0] == "LimitExceeded"

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-1")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-1")
    iam.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com"
    )
    other = "a" * 40
    iam.update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=arn, ThumbprintList=[other]
    )
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["app-1"] and got["ThumbprintList"] == [other]

    iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, Tags=[{"Key": "owner", "Value": "me"}]
    )
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["env"])
    tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"]
    assert tags == [{"Key": "owner", "Value": "me"}]

    listed = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert {"Arn": arn} in listed
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error(e) == ("NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}", 404)


def test_saml_provider_lifecycle(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    doc = metadata()
    made = iam.create_saml_provider(
        Name="corp-idp", SAMLMetadataDocument=doc, Tags=[{"Key": "k", "Value": "v"}]
    )
    arn = made["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{account}:saml-provider/corp-idp"
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == doc
    assert got["ValidUntil"] == datetime(2030, 1, 1, tzinfo=UTC)
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    [entry] = [p for p in iam.list_saml_providers()["SAMLProviderList"] if p["Arn"] == arn]
    assert entry["ValidUntil"] == datetime(2030, 1, 1, tzinfo=UTC) and "CreateDate" in entry

    with pytest.raises(ClientError) as e:
        iam.create_saml_provider(Name="corp-idp", SAMLMetadataDocument=doc)
    assert error(e)[0] == "EntityAlreadyExists"

    for bad in (
        "<not-xml" + " " * 1000,
        doc.replace("IDPSSODescriptor", "SPSSODescriptor"),
        metadata(cert="bm90IGEgY2VydGlmaWNhdGU=" * 10),
        doc.replace('use="signing"', 'use="encryption"'),
        '<!DOCTYPE x [<!ENTITY a "aaaa">]>' + doc.split("?>", 1)[1],
    ):
        with pytest.raises(ClientError) as e:
            iam.create_saml_provider(Name="bad-idp", SAMLMetadataDocument=bad)
        assert error(e) == ("InvalidInput", "Could not parse metadata", 400)

    newer = metadata(valid_until="2031-06-01T00:00:00Z")
    assert (
        iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=newer)["SAMLProviderArn"]
        == arn
    )
    assert iam.get_saml_provider(SAMLProviderArn=arn)["ValidUntil"] == datetime(
        2031, 6, 1, tzinfo=UTC
    )
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "k2", "Value": "v2"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["k"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "k2", "Value": "v2"}
    ]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_saml_provider(SAMLProviderArn=arn)
    assert error(e) == ("NoSuchEntity", f"Manifest not found for arn {arn}", 404)


def test_providers_authorized_on_their_arns(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    creds = new_user(
        deployment,
        "idp-admin",
        allow(
            ["iam:CreateOpenIDConnectProvider", "iam:GetOpenIDConnectProvider"],
            f"arn:aws:iam::{account}:oidc-provider/allowed.example.com",
        ),
    )
    me = deployment.client("iam", creds)
    arn = me.create_open_id_connect_provider(
        Url="https://allowed.example.com", ThumbprintList=[THUMB]
    )["OpenIDConnectProviderArn"]
    assert me.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Url"] == (
        "allowed.example.com"
    )
    with pytest.raises(ClientError) as e:
        me.create_open_id_connect_provider(Url="https://denied.example.com", ThumbprintList=[THUMB])
    assert error(e)[0] == "AccessDenied"
    assert f"arn:aws:iam::{account}:oidc-provider/denied.example.com" in error(e)[1]
    with pytest.raises(ClientError) as e:
        me.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error(e)[0] == "AccessDenied"


def test_providers_cli(deployment: Deployment) -> None:
    made = deployment.aws(
        "iam",
        "create-open-id-connect-provider",
        "--url",
        "https://cli.example.com",
        "--thumbprint-list",
        THUMB,
        "--client-id-list",
        "cli-app",
    )
    arn = made["OpenIDConnectProviderArn"]
    got = deployment.aws(
        "iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn
    )
    assert got["ClientIDList"] == ["cli-app"]
    deployment.aws("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn)

    saml = deployment.aws(
        "iam", "create-saml-provider", "--name", "cli-idp", "--saml-metadata-document", metadata()
    )
    listed = deployment.aws("iam", "list-saml-providers")
    assert saml["SAMLProviderArn"] in [p["Arn"] for p in listed["SAMLProviderList"]]
    deployment.aws("iam", "delete-saml-provider", "--saml-provider-arn", saml["SAMLProviderArn"])
    gone = deployment.aws(
        "iam", "get-saml-provider", "--saml-provider-arn", saml["SAMLProviderArn"], check=False
    )
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr
