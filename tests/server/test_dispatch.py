"""`sagegate.server.dispatch`: the header map every step reads is built once, from the headers as
received, whoever builds the request; request ids."""

from __future__ import annotations

import os
import uuid

from sagegate.server.dispatch import RawRequest, RawResponse, new_request_id

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


def test_request_ids_are_uuid4_shaped_unique_and_differ_in_a_forked_child() -> None:
    ids = [new_request_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:50]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its ids must not repeat the parent's
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    os.close(write)
    assert child.rsplit("-", 1)[0] != ids[0].rsplit("-", 1)[0]


def test_header_lines_are_the_wire_headers() -> None:
    response = RawResponse(200, (("content-type", "text/xml"), ("x-amzn-RequestId", "r")), b"abc")
    lines = b"".join(k + b": " + v + b"\r\n" for k, v in response.wire_headers())
    assert response.header_lines() == lines
    assert lines.endswith(b"content-length: 3\r\n")
