"""Identity providers: OpenID Connect (Create/Get/List/DeleteOpenIDConnectProvider,
Add/RemoveClientIDToOpenIDConnectProvider, UpdateOpenIDConnectProviderThumbprint, tags) and SAML
(Create/Get/List/Update/DeleteSAMLProvider, tags), as the IAM API Reference describes them.

ARNs: `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH` (the URL without `https://`) and
`arn:aws:iam::ACCOUNT:saml-provider/NAME`. A SAML metadata document must be a well-formed SAML 2.0
`EntityDescriptor` with an `IDPSSODescriptor` holding at least one signing X.509 certificate
(IAM User Guide, *Creating IAM SAML identity providers*); it is parsed with defusedxml so entity
expansion and external references are refused.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from cryptography import x509
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from sagegate.iam.errors import invalid_input, store_errors
from sagegate.iam.mfa import paginate_list, untag_context
from sagegate.iam.tags import tag_pairs, untag_keys
from sagegate.iam.users import request_tag_keys
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.query import parse_timestamp
from sagegate.protocol.registry import Call, registry

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, status=400)


def oidc_url(url: str) -> str:
    """host[/path] of an OIDC issuer URL, which must be https without query or fragment."""
    parts = urlsplit(url)
    if (
        parts.scheme.lower() != "https"
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise _validation("Invalid Open ID Connect Provider URL")
    return (parts.netloc + parts.path).rstrip("/")


def oidc_provider_arn(call: Call, params: dict[str, Any]) -> list[str]:
    if "OpenIDConnectProviderArn" in params:
        return [str(params["OpenIDConnectProviderArn"])]
    try:
        host_path = oidc_url(params["Url"])
    except ServiceError:
        host_path = str(params["Url"])
    return [f"arn:aws:iam::{call.caller.account_id}:oidc-provider/{host_path}"]


def saml_provider_arn(call: Call, params: dict[str, Any]) -> list[str]:
    if "SAMLProviderArn" in params:
        return [str(params["SAMLProviderArn"])]
    return [f"arn:aws:iam::{call.caller.account_id}:saml-provider/{params['Name']}"]


def _thumbprints(items: list[str]) -> list[str]:
    for t in items:
        try:
            bytes.fromhex(t)
        except ValueError:
            raise _validation(f"Thumbprint {t} is not a valid SHA-1 hex string") from None
    return [t.lower() for t in items]


def _tag_list(tags: Any) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags]


# -- OpenID Connect ----------------------------------------------------------------------------


@registry.operation(
    "iam", "CreateOpenIDConnectProvider", resources=oidc_provider_arn, context=request_tag_keys
)
def create_oidc_provider(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    url = oidc_url(params["Url"])
    tags = tag_pairs(params)
    with store_errors():
        provider = call.store.create_oidc_provider(
            call.caller.account_id,
            url,
            client_ids=params.get("ClientIDList") or [],
            thumbprints=_thumbprints(params.get("ThumbprintList") or []),
            tags=tags,
        )
    out: dict[str, Any] = {"OpenIDConnectProviderArn": provider.arn}
    if tags:
        out["Tags"] = _tag_list(tags)
    return out


@registry.operation("iam", "GetOpenIDConnectProvider", resources=oidc_provider_arn)
def get_oidc_provider(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        p = call.store.get_oidc_provider(call.caller.account_id, params["OpenIDConnectProviderArn"])
    return {
        "Url": p.url,
        "ClientIDList": list(p.client_ids),
        "ThumbprintList": list(p.thumbprints),
        "CreateDate": p.created_at,
        "Tags": _tag_list(p.tags),
    }


@registry.operation("iam", "ListOpenIDConnectProviders")
def list_oidc_providers(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    providers = call.store.list_oidc_providers(call.caller.account_id)
    return {"OpenIDConnectProviderList": [{"Arn": p.arn} for p in providers]}


@registry.operation("iam", "DeleteOpenIDConnectProvider", resources=oidc_provider_arn)
def delete_oidc_provider(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_oidc_provider(call.caller.account_id, params["OpenIDConnectProviderArn"])
    return {}


@registry.operation("iam", "AddClientIDToOpenIDConnectProvider", resources=oidc_provider_arn)
def add_client_id(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.add_oidc_client_id(
            call.caller.account_id, params["OpenIDConnectProviderArn"], params["ClientID"]
        )
    return {}


@registry.operation("iam", "RemoveClientIDFromOpenIDConnectProvider", resources=oidc_provider_arn)
def remove_client_id(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.remove_oidc_client_id(
            call.caller.account_id, params["OpenIDConnectProviderArn"], params["ClientID"]
        )
    return {}


@registry.operation("iam", "UpdateOpenIDConnectProviderThumbprint", resources=oidc_provider_arn)
def update_thumbprint(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.update_oidc_thumbprints(
            call.caller.account_id,
            params["OpenIDConnectProviderArn"],
            _thumbprints(params["ThumbprintList"]),
        )
    return {}


@registry.operation(
    "iam", "TagOpenIDConnectProvider", resources=oidc_provider_arn, context=request_tag_keys
)
def tag_oidc_provider(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.tag_oidc_provider(
            call.caller.account_id, params["OpenIDConnectProviderArn"], tag_pairs(params)
        )
    return {}


@registry.operation(
    "iam", "UntagOpenIDConnectProvider", resources=oidc_provider_arn, context=untag_context
)
def untag_oidc_provider(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.untag_oidc_provider(
            call.caller.account_id, params["OpenIDConnectProviderArn"], untag_keys(params)
        )
    return {}


@registry.operation("iam", "ListOpenIDConnectProviderTags", resources=oidc_provider_arn)
def list_oidc_provider_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        p = call.store.get_oidc_provider(call.caller.account_id, params["OpenIDConnectProviderArn"])
    return paginate_list(_tag_list(p.tags), params, "Tags")


# -- SAML --------------------------------------------------------------------------------------


def _signing_certificates(idp: Element) -> list[str]:
    certs = []
    for kd in idp.findall(f"{MD}KeyDescriptor"):
        if kd.get("use", "signing") != "signing":
            continue
        certs += [(c.text or "") for c in kd.iter(f"{DS}X509Certificate")]
    return certs


def validated_metadata(document: str) -> datetime | None:
    """The document's `validUntil` (None if absent) if it is usable SAML IdP metadata."""
    bad = invalid_input("Could not parse metadata")
    try:
        root = SafeET.fromstring(document)
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        raise bad from None
    if root.tag != f"{MD}EntityDescriptor" or not root.get("entityID"):
        raise bad
    idp = root.find(f"{MD}IDPSSODescriptor")
    if idp is None:
        raise bad
    certs = _signing_certificates(idp)
    if not certs:
        raise bad
    for text in certs:
        try:
            x509.load_der_x509_certificate(base64.b64decode("".join(text.split()), validate=True))
        except (binascii.Error, ValueError):
            raise bad from None
    valid_until = root.get("validUntil")
    if valid_until is None:
        return None
    try:
        return parse_timestamp(valid_until)
    except (ServiceError, ValueError):
        raise bad from None


@registry.operation(
    "iam", "CreateSAMLProvider", resources=saml_provider_arn, context=request_tag_keys
)
def create_saml_provider(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    document = params["SAMLMetadataDocument"]
    valid_until = validated_metadata(document)
    tags = tag_pairs(params)
    with store_errors():
        p = call.store.create_saml_provider(
            call.caller.account_id, params["Name"], document, valid_until, tags=tags
        )
    out: dict[str, Any] = {"SAMLProviderArn": p.arn}
    if tags:
        out["Tags"] = _tag_list(tags)
    return out


@registry.operation("iam", "GetSAMLProvider", resources=saml_provider_arn)
def get_saml_provider(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        p = call.store.get_saml_provider(call.caller.account_id, params["SAMLProviderArn"])
    out: dict[str, Any] = {
        "SAMLMetadataDocument": p.metadata_document,
        "CreateDate": p.created_at,
        "Tags": _tag_list(p.tags),
    }
    if p.valid_until is not None:
        out["ValidUntil"] = p.valid_until
    return out


@registry.operation("iam", "ListSAMLProviders")
def list_saml_providers(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    items = []
    for p in call.store.list_saml_providers(call.caller.account_id):
        item: dict[str, Any] = {"Arn": p.arn, "CreateDate": p.created_at}
        if p.valid_until is not None:
            item["ValidUntil"] = p.valid_until
        items.append(item)
    return {"SAMLProviderList": items}


@registry.operation("iam", "UpdateSAMLProvider", resources=saml_provider_arn)
def update_saml_provider(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    document = params.get("SAMLMetadataDocument")
    if document is None:
        raise invalid_input("SAMLMetadataDocument is required by this endpoint.")
    valid_until = validated_metadata(document)
    with store_errors():
        call.store.update_saml_provider(
            call.caller.account_id, params["SAMLProviderArn"], document, valid_until
        )
    return {"SAMLProviderArn": params["SAMLProviderArn"]}


@registry.operation("iam", "DeleteSAMLProvider", resources=saml_provider_arn)
def delete_saml_provider(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_saml_provider(call.caller.account_id, params["SAMLProviderArn"])
    return {}


@registry.operation("iam", "TagSAMLProvider", resources=saml_provider_arn, context=request_tag_keys)
def tag_saml_provider(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.tag_saml_provider(
            call.caller.account_id, params["SAMLProviderArn"], tag_pairs(params)
        )
    return {}


@registry.operation("iam", "UntagSAMLProvider", resources=saml_provider_arn, context=untag_context)
def untag_saml_provider(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.untag_saml_provider(
            call.caller.account_id, params["SAMLProviderArn"], untag_keys(params)
        )
    return {}


@registry.operation("iam", "ListSAMLProviderTags", resources=saml_provider_arn)
def list_saml_provider_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        p = call.store.get_saml_provider(call.caller.account_id, params["SAMLProviderArn"])
    return paginate_list(_tag_list(p.tags), params, "Tags")
