"""Canonical request pieces, checked against botocore's own implementation."""

from __future__ import annotations

from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.credentials import Credentials
from botocore.utils import remove_dot_segments as botocore_remove_dot_segments
from hypothesis import given, settings
from hypothesis import strategies as st

from sagegate.sigv4.canonical import (
    EMPTY_SHA256,
    canonical_headers,
    canonical_query_string,
    canonical_uri,
    payload_hash,
    query_pairs,
    remove_dot_segments,
)

BOTOCORE = SigV4Auth(Credentials("AKID", "secret"), "iam", "us-east-1")
paths = st.text(st.sampled_from("/.a%2F~ é"), max_size=20)


@settings(max_examples=500)
@given(paths)
def test_remove_dot_segments_is_botocores(path: str) -> None:
    assert remove_dot_segments(path) == botocore_remove_dot_segments(path)


@settings(max_examples=500)
@given(st.one_of(paths, st.text(max_size=20).map(lambda s: "/" + s)))
def test_canonical_uri_is_botocores(path: str) -> None:
    assert canonical_uri(path, "iam") == BOTOCORE._normalize_url_path(path)  # noqa: SLF001


def test_canonical_uri_double_encodes_except_for_s3() -> None:
    assert canonical_uri("/a%20b/./c//d/../e", "iam") == "/a%2520b/c/e"
    assert canonical_uri("/a%20b/./c", "s3") == "/a%20b/./c"
    assert canonical_uri("", "iam") == "/"
    assert canonical_uri("", "s3") == "/"


def test_canonical_query_sorts_encoded_names_then_values() -> None:
    raw = "b=2&a=3&a=1&A=z&c&d=&e=%7e&f=a+b&g=%2a&h=~"
    assert canonical_query_string(query_pairs(raw)) == (
        "A=z&a=1&a=3&b=2&c=&d=&e=~&f=a%20b&g=%2A&h=~"
    )


def test_canonical_query_empty_segments_as_botocore() -> None:
    assert canonical_query_string(query_pairs("")) == ""
    assert canonical_query_string(query_pairs("a=1&&b=2")) == "=&a=1&b=2"


def test_canonical_query_excludes_only_the_signature_when_asked() -> None:
    raw = "X-Amz-Signature=abc&X-Amz-Date=1&b=2"
    assert canonical_query_string(query_pairs(raw)) == "X-Amz-Date=1&X-Amz-Signature=abc&b=2"
    assert (
        canonical_query_string(query_pairs(raw), exclude=frozenset({"X-Amz-Signature"}))
        == "X-Amz-Date=1&b=2"
    )


@settings(max_examples=300)
@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=6))
def test_canonical_query_of_botocore_encoded_query(pairs: list[tuple[str, str]]) -> None:
    # the form botocore's serializer puts on the wire (percent_encode_sequence)
    raw = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    expected = BOTOCORE._canonical_query_string_params(pairs)  # noqa: SLF001
    assert canonical_query_string(query_pairs(raw)) == expected


def test_canonical_headers_trim_and_join() -> None:
    header_map = {"host": ["h"], "x-a": ["  a   b\tc  ", "d"], "x-b": []}
    assert canonical_headers(header_map, ("host", "x-a", "x-b")) == "host:h\nx-a:a b c,d\nx-b:\n"


def test_payload_hash() -> None:
    assert payload_hash({}, b"", service="iam") == EMPTY_SHA256
    assert payload_hash({"x-amz-content-sha256": ["UNSIGNED-PAYLOAD"]}, b"x", service="iam") == (
        "UNSIGNED-PAYLOAD"
    )
    marker = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert payload_hash({"x-amz-content-sha256": [marker]}, b"x", service="s3") == marker
