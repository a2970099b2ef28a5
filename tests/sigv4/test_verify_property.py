"""Property tests: whatever botocore signs verifies; any one-byte change is rejected.

Requests are signed by botocore's own ``SigV4Auth`` / ``SigV4QueryAuth`` (the oracle) and
handed to the verifier exactly as an HTTP server would receive them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import string
from urllib.parse import quote

import msgspec
import pytest
from botocore.auth import SIGNED_HEADERS_BLACKLIST
from botocore.utils import normalize_url_path
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sagegate.sigv4 import HttpRequest, SigV4Error
from sagegate.sigv4.presigned import AUTH_PARAMS, decoded_query

from ._helpers import ACCESS_KEY, SECRET, SIGNED_AT, rejection, server_verify, sign

JSON_CODES = {
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "IncompleteSignature": "IncompleteSignatureException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "XAmzContentSHA256Mismatch": "XAmzContentSHA256Mismatch",
}
SETTINGS = settings(
    max_examples=1200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ALNUM = string.ascii_letters + string.digits

# ---------------------------------------------------------------- strategies

methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"])
any_text = st.text(st.characters(codec="utf-8"), min_size=0, max_size=12)
segment = st.one_of(
    any_text.map(lambda s: quote(s, safe="")),  # percent-encoded, unicode included
    any_text.map(lambda s: quote(s, safe="!$&'()*+,;=:@-._~")),  # sub-delims left raw
    st.sampled_from([".", "..", "", "%2F", "%2e", "a%20b", "%25"]),
)
paths = st.builds(
    lambda segs, trailing: "/" + "/".join(segs) + ("/" if trailing and segs else ""),
    st.lists(segment, max_size=6),
    st.booleans(),
)
query_items = st.lists(
    st.tuples(
        st.one_of(any_text, st.sampled_from(["a", "A", "b", "x-y", "Action", "k k"])),
        st.one_of(any_text, st.sampled_from(["", " ", "+", "=", "&", "%", "a b", "é"])),
        st.booleans(),  # pair written without '=' when the value is blank
    ),
    max_size=6,
)
token_chars = st.sampled_from(string.ascii_letters + string.digits + "-_")
header_names = (
    st.text(token_chars, min_size=1, max_size=10)
    .map(lambda s: "X-" + s)
    .filter(lambda s: s.lower() not in SIGNED_HEADERS_BLACKLIST)
)
header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=20,
).map(lambda v: v.strip(" \t"))  # servers strip optional whitespace at the ends
headers = st.lists(st.tuples(header_names, header_values), max_size=5)
regions = st.one_of(
    st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "local"]),
    st.from_regex(r"[a-z]{2}-[a-z]{4,9}-[1-9]", fullmatch=True),
)
services = st.one_of(
    st.sampled_from(["iam", "sts", "sagemaker", "execute-api"]),
    st.from_regex(r"[a-z][a-z0-9-]{1,12}", fullmatch=True),
)
tokens = st.one_of(st.none(), st.text(st.sampled_from(ALNUM + "/+="), min_size=1, max_size=40))
hosts = st.sampled_from(["iam.amazonaws.com", "localhost:8443", "127.0.0.1:9000", "sagegate"])
bodies = st.binary(max_size=64)
payload_modes = st.sampled_from(["none", "unsigned", "hash"])


def encode_query(items: list[tuple[str, str, bool]]) -> str:
    parts = []
    for key, value, bare in items:
        k = quote(key, safe="-_.~")
        parts.append(k if bare and not value else f"{k}={quote(value, safe='-_.~')}")
    return "&".join(parts)


@st.composite
def header_signed(draw: st.DrawFn) -> tuple[HttpRequest, dict[str, object]]:
    path = draw(paths)
    query = encode_query(draw(query_items))
    url = f"https://{draw(hosts)}{path}" + (f"?{query}" if query else "")
    body = draw(bodies)
    hdrs = draw(headers)
    mode = draw(payload_modes)
    if mode == "unsigned":
        hdrs.append(("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"))
    elif mode == "hash":
        hdrs.append(("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest()))
    use_date_header = draw(st.booleans()) and draw(st.booleans())
    if use_date_header:
        hdrs.append(("Date", "placeholder"))  # botocore replaces it with the signing time
    params = None
    if draw(st.booleans()) and not query:
        # botocore's other path: sign request.params, which prepare() urlencodes with '+'.
        params = [(k, v) for k, v, _ in draw(query_items)]
    info: dict[str, object] = {
        "service": draw(services),
        "region": draw(regions),
        "token": draw(tokens),
        "payload": mode,
    }
    request = sign(
        method=draw(methods),
        url=url,
        headers=hdrs,
        body=body,
        service=str(info["service"]),
        region=str(info["region"]),
        token=info["token"],  # type: ignore[arg-type]
        params=params,
    )
    return request, info


@st.composite
def presigned(draw: st.DrawFn) -> tuple[HttpRequest, dict[str, object]]:
    path = draw(paths)
    # an operation parameter named like an auth parameter is rejected as a duplicate
    query = encode_query([i for i in draw(query_items) if i[0] not in AUTH_PARAMS])
    url = f"https://{draw(hosts)}{path}" + (f"?{query}" if query else "")
    info: dict[str, object] = {
        "service": draw(services.filter(lambda s: s != "s3")),
        "region": draw(regions),
        "token": draw(tokens),
        "payload": "none",
        "expires": draw(st.integers(min_value=1, max_value=604800)),
    }
    request = sign(
        method=draw(st.sampled_from(["GET", "HEAD", "DELETE"])),
        url=url,
        headers=draw(headers),
        service=str(info["service"]),
        region=str(info["region"]),
        token=info["token"],  # type: ignore[arg-type]
        presign_expires=int(info["expires"]),  # type: ignore[call-overload]
    )
    return request, info


signed_requests = st.one_of(header_signed(), presigned())

# ---------------------------------------------------------------- round trip


@SETTINGS
@given(signed_requests, st.integers(min_value=-299, max_value=299))
def test_botocore_signed_requests_verify(
    signed: tuple[HttpRequest, dict[str, object]], skew_seconds: int
) -> None:
    request, info = signed
    if "expires" in info:  # a presigned URL is good until X-Amz-Date + X-Amz-Expires
        skew_seconds = min(skew_seconds, int(info["expires"]))  # type: ignore[call-overload]
    now = SIGNED_AT + dt.timedelta(seconds=skew_seconds)
    verified = server_verify(request, now, expected_service=str(info["service"]))
    assert verified.access_key_id == ACCESS_KEY
    assert verified.region == info["region"]
    assert verified.service == info["service"]
    assert verified.security_token == info["token"]
    assert verified.presigned == ("expires" in info)


# ---------------------------------------------------------------- one-byte changes


def _mutate_char(text: str, index: int, data: st.DataObject) -> str:
    old = text[index]
    pool = "0123456789abcdef" if old in "0123456789abcdef" else ALNUM
    new = data.draw(st.sampled_from([c for c in pool if c != old]))
    return text[:index] + new + text[index + 1 :]


def _alnum_positions(text: str, *, skip_escapes: bool = False) -> list[int]:
    positions = []
    for i, c in enumerate(text):
        if c not in ALNUM:
            continue
        if skip_escapes and ("%" in text[max(0, i - 2) : i]):
            continue  # %2f and %2F are the same byte once decoded
        positions.append(i)
    return positions


def _replace_header(request: HttpRequest, index: int, value: str) -> HttpRequest:
    new = list(request.headers)
    new[index] = (new[index][0], value)
    return msgspec.structs.replace(request, headers=tuple(new))


def _query_param_at(raw_query: str, index: int) -> str:
    start = raw_query.rfind("&", 0, index) + 1
    segment = raw_query[start:].split("&", 1)[0]
    return decoded_query(segment)[0][0]


@SETTINGS
@given(
    signed_requests,
    st.sampled_from(
        ["method", "path", "query", "header", "body", "signature", "credential_date", "key_id"]
    ),
    st.data(),
)
def test_any_one_byte_change_is_rejected(
    signed: tuple[HttpRequest, dict[str, object]], part: str, data: st.DataObject
) -> None:
    request, info = signed
    is_presigned = "expires" in info
    auth_index = next(
        (i for i, (k, _) in enumerate(request.headers) if k.lower() == "authorization"), None
    )
    expected: set[str] = {"SignatureDoesNotMatch"}
    if part == "method":
        new_method = data.draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "X"]))
        assume(new_method != request.method)
        mutated = msgspec.structs.replace(request, method=new_method)
    elif part == "path":
        positions = _alnum_positions(request.raw_path)
        assume(positions)
        index = data.draw(st.sampled_from(positions))
        mutated = msgspec.structs.replace(
            request, raw_path=_mutate_char(request.raw_path, index, data)
        )
        if normalize_url_path(mutated.raw_path) == normalize_url_path(request.raw_path):
            # the change sat in a segment dot-segment removal drops ('/a/..'): same
            # canonical request for botocore, so it must still verify
            server_verify(mutated, expected_service=str(info["service"]))
            return
    elif part == "query":
        positions = _alnum_positions(request.raw_query, skip_escapes=True)
        assume(positions)
        index = data.draw(st.sampled_from(positions))
        name = _query_param_at(request.raw_query, index)
        if name in AUTH_PARAMS:
            # e.g. X-Amz-Expires over a week, an unknown algorithm, a renamed parameter
            expected = {"SignatureDoesNotMatch", "IncompleteSignature", "InvalidClientTokenId"}
        mutated = msgspec.structs.replace(
            request, raw_query=_mutate_char(request.raw_query, index, data)
        )
    elif part == "header":
        params_signed = {
            n.lower()
            for n in (request.header("authorization") or "SignedHeaders=host,")
            .split("SignedHeaders=")[1]
            .split(",")[0]
            .split(";")
        }
        if is_presigned:
            params_signed = {"host"} | {
                k.lower() for k, _ in request.headers if k.lower().startswith("x-")
            }
        candidates = [
            (i, p)
            for i, (k, v) in enumerate(request.headers)
            if k.lower() in params_signed
            for p in _alnum_positions(v)
        ]
        assume(candidates)
        index, pos = data.draw(st.sampled_from(candidates))
        name, value = request.headers[index]
        if name.lower() in ("x-amz-date", "date"):
            expected = {"SignatureDoesNotMatch", "IncompleteSignature"}
        elif name.lower() == "x-amz-content-sha256":
            expected = {"XAmzContentSHA256Mismatch"}
        mutated = _replace_header(request, index, _mutate_char(value, pos, data))
    elif part == "body":
        assume(info["payload"] != "unsigned")
        if request.body:
            i = data.draw(st.integers(0, len(request.body) - 1))
            flip = data.draw(st.integers(1, 255))
            body = request.body[:i] + bytes([request.body[i] ^ flip]) + request.body[i + 1 :]
        else:
            body = data.draw(st.binary(min_size=1, max_size=1))
        if info["payload"] == "hash":
            expected = {"XAmzContentSHA256Mismatch"}
        mutated = msgspec.structs.replace(request, body=body)
    elif part == "signature":
        if is_presigned:
            start = request.raw_query.index("X-Amz-Signature=") + len("X-Amz-Signature=")
            index = data.draw(st.integers(start, len(request.raw_query) - 1))
            mutated = msgspec.structs.replace(
                request, raw_query=_mutate_char(request.raw_query, index, data)
            )
        else:
            assert auth_index is not None
            value = request.headers[auth_index][1]
            start = value.index("Signature=") + len("Signature=")
            index = data.draw(st.integers(start, len(value) - 1))
            mutated = _replace_header(request, auth_index, _mutate_char(value, index, data))
    elif part in ("credential_date", "key_id"):
        if part == "key_id":
            expected = {"InvalidClientTokenId"}
            offset = data.draw(st.integers(0, len(ACCESS_KEY) - 1))
        else:
            separator = 3 if is_presigned else 1  # '%2F' in the query, '/' in the header
            offset = len(ACCESS_KEY) + separator + data.draw(st.integers(0, 7))
        if is_presigned:
            start = request.raw_query.index("X-Amz-Credential=") + len("X-Amz-Credential=")
            mutated = msgspec.structs.replace(
                request, raw_query=_mutate_char(request.raw_query, start + offset, data)
            )
        else:
            assert auth_index is not None
            value = request.headers[auth_index][1]
            start = value.index("Credential=") + len("Credential=")
            mutated = _replace_header(
                request, auth_index, _mutate_char(value, start + offset, data)
            )
    else:  # pragma: no cover
        raise AssertionError(part)

    error = rejection(mutated, expected_service=str(info["service"]))
    assert error.code in expected, (part, error.code, error.message)
    assert error.json_code == JSON_CODES[error.code]
    if part == "credential_date":
        assert "Date in Credential scope does not match" in error.message
    if error.code == "SignatureDoesNotMatch" and error.step == "signature":
        assert error.canonical_request is not None
        assert SECRET not in error.message


@settings(max_examples=200, deadline=None)
@given(signed_requests)
def test_expected_service_mismatch_is_rejected(
    signed: tuple[HttpRequest, dict[str, object]],
) -> None:
    request, info = signed
    other = "sts" if info["service"] != "sts" else "iam"
    error = rejection(request, expected_service=other)
    assert error.code == "SignatureDoesNotMatch"
    assert error.message == f"Credential should be scoped to correct service: '{other}'. "


@pytest.mark.parametrize("wrong", ["", "x", SECRET[:-1], SECRET + "x"])
def test_wrong_secret_is_rejected(wrong: str) -> None:
    request = sign(method="GET", url="https://iam.amazonaws.com/?Action=ListUsers")
    try:
        server_verify(request, keys={ACCESS_KEY: wrong})
    except SigV4Error as exc:
        assert exc.code == "SignatureDoesNotMatch"
        assert exc.step == "signature"
    else:
        raise AssertionError("verified with the wrong secret")
