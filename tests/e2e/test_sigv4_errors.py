"""Signature Version 4 failures over the wire, with AWS's codes (issue 2, point 5)."""

from __future__ import annotations

import datetime as dt
import urllib.request
from urllib.error import HTTPError

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError

from tests.e2e.harness import Credentials, Deployment

BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def send(d: Deployment, req: AWSRequest) -> tuple[int, str]:
    prepared = req.prepare()
    r = urllib.request.Request(
        prepared.url, data=prepared.body, headers=dict(prepared.headers), method=prepared.method
    )
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except HTTPError as e:
        return e.code, e.read().decode()


def signed(
    d: Deployment,
    secret: str | None = None,
    service: str = "sts",
    when: dt.datetime | None = None,
    region: str = "us-east-1",
    key: str | None = None,
) -> AWSRequest:
    creds = BotoCredentials(key or d.admin.access_key_id, secret or d.admin.secret_access_key)
    req = AWSRequest("POST", d.endpoint + "/", data=BODY, headers=dict(FORM))
    auth = SigV4Auth(creds, service, region)
    if when is None:
        auth.add_auth(req)
        return req
    # SigV4Auth.add_auth with its clock reading replaced by `when`, step by step.
    req.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
    auth._modify_request_before_signing(req)
    canonical = auth.canonical_request(req)
    signature = auth.signature(auth.string_to_sign(req, canonical), req)
    auth._inject_signature_to_request(req, signature)
    return req


def test_valid_request_over_raw_http(deployment: Deployment) -> None:
    status, body = send(deployment, signed(deployment))
    assert status == 200 and "<GetCallerIdentityResult>" in body


def test_missing_authentication(deployment: Deployment) -> None:
    status, body = send(
        deployment, AWSRequest("POST", deployment.endpoint + "/", data=BODY, headers=dict(FORM))
    )
    assert status in (400, 403) and "<Code>MissingAuthenticationToken</Code>" in body


def test_wrong_secret_is_signature_does_not_match(deployment: Deployment) -> None:
    bad = Credentials(deployment.admin.access_key_id, "x" * 40)
    with pytest.raises(ClientError) as e:
        deployment.client("sts", bad).get_caller_identity()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_unknown_key_is_invalid_client_token_id(deployment: Deployment) -> None:
    bad = Credentials("AKIAAAAAAAAAAAAAAAAA", "x" * 40)
    with pytest.raises(ClientError) as e:
        deployment.client("iam", bad).list_users()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_expired_signature(deployment: Deployment) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    status, body = send(deployment, signed(deployment, when=old))
    assert status in (400, 403)
    assert "Signature expired" in body


def test_wrong_service_in_scope(deployment: Deployment) -> None:
    status, body = send(deployment, signed(deployment, service="iam"))
    assert status in (400, 403)
    assert "Credential should be scoped to correct service" in body


def test_one_byte_change_to_body_rejected(deployment: Deployment) -> None:
    req = signed(deployment)
    req.data = BODY.replace(b"2011", b"2012")
    status, body = send(deployment, req)
    assert status in (400, 403) and "SignatureDoesNotMatch" in body


def test_presigned_url(deployment: Deployment) -> None:
    creds = BotoCredentials(deployment.admin.access_key_id, deployment.admin.secret_access_key)
    url = deployment.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15"
    req = AWSRequest("GET", url)
    SigV4QueryAuth(creds, "sts", "us-east-1", expires=300).add_auth(req)
    status, body = send(deployment, req)
    assert status == 200 and "<Arn>" in body, body


def test_json_protocol_errors_for_sagemaker(deployment: Deployment) -> None:
    bad = Credentials("AKIAAAAAAAAAAAAAAAAA", "x" * 40)
    with pytest.raises(ClientError) as e:
        deployment.client("sagemaker", bad).list_notebook_instances()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
