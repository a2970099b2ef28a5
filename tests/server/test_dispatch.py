"""`sagegate.server.dispatch.RawRequest`: the header map every step reads is built once, from the
headers as received, whoever builds the request."""

from __future__ import annotations

from sagegate.server.dispatch import RawRequest

WIRE = [
    (b"host", b"127.0.0.1:4747"),
    (b"X-Amz-Date", b"20261206T050000Z"),
    (b"x-custom", b"one"),
    (b"X-Custom", b"two"),
]


def test_from_wire_maps_lower_cased_names_to_values_in_order() -> None:
    req = RawRequest.from_wire("POST", b"/", b"", WIRE, b"", ("10.0.0.1", 5), "https")
    assert req.headers == tuple((k.decode(), v.decode()) for k, v in WIRE)
    assert req.header_map == {
        "host": ["127.0.0.1:4747"],
        "x-amz-date": ["20261206T050000Z"],
        "x-custom": ["one", "two"],
    }
    assert (req.client_ip, req.secure) == ("10.0.0.1", True)


def test_built_directly_the_map_is_derived_from_the_headers() -> None:
    wired = RawRequest.from_wire("GET", b"/", b"", WIRE, b"", None, "http")
    direct = RawRequest("GET", "/", "", wired.headers, b"")
    assert direct.header_map == wired.header_map
    assert RawRequest("GET", "/", "", (), b"").header_map == {}
