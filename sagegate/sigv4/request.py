"""The HTTP request as the server received it, the input to Signature Version 4 checks.

SigV4 signs the request *as sent*: the raw, still percent-encoded path and query string
and the header values the client put on the wire (AWS General Reference, "Create a
canonical request for Signature Version 4"). Nothing here decodes or normalises.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import msgspec

__all__ = ["HttpRequest", "header_map"]


class HttpRequest(msgspec.Struct, frozen=True, dict=True):
    """An HTTP request exactly as received (a frozen `msgspec.Struct`, built in C: one is built for
    every request, and a frozen dataclass would set each field through `object.__setattr__`).

    ``raw_path`` keeps its percent-encoding and excludes the query; ``raw_query`` is the
    text after ``?`` (without it); ``headers`` are in arrival order, names in any case,
    repeated names allowed.
    """

    method: str
    raw_path: str
    raw_query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def known(
        cls,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        header_map: dict[str, list[str]],
    ) -> HttpRequest:
        """The request, with `header_map` as the caller already built it from `headers` (the
        server has)."""
        request = cls(method, raw_path, raw_query, headers, body)
        request.__dict__["header_map"] = header_map  # what `functools.cached_property` keeps
        return request

    @classmethod
    def from_wire(
        cls,
        method: str,
        raw_path: bytes,
        raw_query: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
    ) -> HttpRequest:
        """Build from the bytes an HTTP server hands over (e.g. an ASGI scope).

        Path and query are decoded as UTF-8 with ``surrogateescape`` so that any byte
        survives re-encoding; header names and values as Latin-1, as HTTP/1.1 clients
        (http.client, urllib3) encode them.
        """
        return cls(
            method=method,
            raw_path=raw_path.decode("utf-8", "surrogateescape"),
            raw_query=raw_query.decode("utf-8", "surrogateescape"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers),
            body=body,
        )

    def header_values(self, name: str) -> list[str]:
        """All values of header ``name`` (case-insensitive), in arrival order."""
        return self.header_map.get(name.lower(), [])

    def header(self, name: str) -> str | None:
        """The first value of header ``name``, or None."""
        values = self.header_map.get(name.lower())
        return values[0] if values else None

    @functools.cached_property
    def header_map(self) -> dict[str, list[str]]:
        """Lower-cased header name -> values in arrival order (do not mutate)."""
        return header_map(self.headers)


def header_map(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Lower-cased header name -> values in arrival order."""
    result: dict[str, list[str]] = {}
    for k, v in headers:
        name = k.lower()
        found = result.get(name)
        if found is None:
            result[name] = [v]
        else:
            found.append(v)
    return result
