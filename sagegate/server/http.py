"""uvicorn's httptools protocol, with the API's requests answered straight from the parser.

Every AWS API call (query and JSON protocols alike) is a `POST /` or `GET /` whose whole answer
`Dispatcher.handle` computes synchronously. For those, `HttpProtocol` skips the ASGI machinery
(a task, an event, the receive/send messages and our ASGI endpoint's re-encoding, ~30 µs of CPU
per request): when the request is complete, it builds the `RawRequest` from what httptools
parsed, calls the dispatcher and writes the response in one piece. Everything else keeps
uvicorn's ASGI path unchanged: the notebook pages and any other path, other methods, bodies
declared larger than the API's limit or chunked (the API endpoint answers 413 as before),
`Expect: 100-continue`, upgrades, a request pipelined behind one still being answered, a
connection whose client is not reading what it was sent (the ASGI path waits for it), and every
request when uvicorn's access log is on (so the log stays complete). Reading, HTTP parsing and
its errors, keep-alive timeouts, flow control and shutdown remain uvicorn's.

On the ASGI path uvicorn writes a response's status line and headers, then its body: two
`send` system calls and two TCP segments. The transport this protocol hands uvicorn gathers
those writes and sends them once, when the response is complete (or, for anything written
outside a response, such as `100 Continue`, at the end of the event loop's step).

This subclasses uvicorn's `HttpToolsProtocol` and uses its parser state (`url`, `headers`,
`parser`, `cycle`, `flow`...), which uvicorn does not promise to keep: pyproject.toml pins the
uvicorn release it was written and tested against, and tests/e2e/test_server.py covers the paths.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from sagegate.server.app import ApiEndpoint, Front
from sagegate.server.dispatch import RawRequest, RawResponse

log = logging.getLogger("sagegate.request")

_INTERNAL = RawResponse(
    500,
    (("content-type", "text/plain; charset=utf-8"),),
    b"Internal Server Error",
)


class _Gathering:
    """An `asyncio.Transport` stand-in: `write` gathers; `flush` (a response is complete) or the
    loop's next turn sends."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def write_whole(self, data: bytes) -> None:
        """Write a whole response: at once, unless gathered writes are waiting (kept in order)."""
        if self._pending:
            self._pending.append(data)
        elif not self._transport.is_closing():
            self._transport.write(data)

    def flush(self) -> None:
        """Write what was gathered now (a response is complete)."""
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            # Even if the transport is closing (the client half-closed after its request): it
            # still sends what it is given before it closes, as uvicorn's own writes rely on.
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """`uvicorn.run(..., http=HttpProtocol)` for `server.app.build_app`'s application."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        api = self.app.api if isinstance(self.app, Front) else None
        self._api: ApiEndpoint | None = api if isinstance(api, ApiEndpoint) else None
        self._direct = False
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Gathering(transport, self.loop))  # type: ignore[arg-type]

    def on_response_complete(self) -> None:
        # An ASGI response is complete: send it at once, before anything else the loop does (an
        # end of stream already received closes the transport, and what it holds is sent first).
        self.transport.flush()  # type: ignore[attr-defined]
        super().on_response_complete()

    # -- parser callbacks -------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        # What uvicorn's resets before the URL and headers arrive; its ASGI scope is built only
        # for a request that takes the ASGI path (`_begin_asgi`), which the direct path never
        # reads.
        self.url = b""
        self.expect_100_continue = False
        self.headers = []

    def _begin_asgi(self) -> None:
        """uvicorn's `on_message_begin` for this request, now that its headers are known: the
        scope, around the URL, headers and Expect flag already parsed."""
        url, headers, expect = self.url, self.headers, self.expect_100_continue
        super().on_message_begin()
        self.url, self.headers, self.expect_100_continue = url, headers, expect
        self.scope["headers"] = headers

    def on_headers_complete(self) -> None:
        self._direct = self._answers_directly()
        if self._direct:
            self._body = []
        else:
            self._begin_asgi()
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._direct:
            self._body.append(body)
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._direct:
            super().on_message_complete()
            return
        self._direct = False
        self._answer()

    # -- the direct path --------------------------------------------------------------------------

    def _answers_directly(self) -> bool:
        api = self._api
        if api is None or self.access_log or self.expect_100_continue:
            return False
        if self.cycle is not None and not self.cycle.response_complete:
            return False  # pipelined behind an ASGI response: keep the order
        if self.flow.write_paused or self.parser.should_upgrade():
            return False
        if self.parser.get_method() not in (b"POST", b"GET"):
            return False
        if self.url.partition(b"?")[0] != b"/":
            return False
        for name, value in self.headers:
            if name == b"content-length":
                if not value.isdigit() or int(value) > api.max_body:
                    return False
            elif name == b"transfer-encoding":
                return False
        return True

    def _answer(self) -> None:
        assert self._api is not None
        path, _, query = self.url.partition(b"?")
        keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
        try:
            request = RawRequest.from_wire(
                self.parser.get_method().decode("ascii"),
                path,
                query,
                self.headers,
                b"".join(self._body),
                self.client,
                self.scheme,
            )
            response = self._api.dispatcher.handle(request)
        except Exception:  # the dispatcher answers every error itself; this is a last resort
            log.exception("request failed outside the dispatcher")
            response, keep_alive = _INTERNAL, False
        self._body = []
        out = [STATUS_LINE[response.status]]
        for name, value in self.server_state.default_headers:
            out += (name, b": ", value, b"\r\n")
        out.append(response.header_lines())
        if not keep_alive:
            out.append(b"connection: close\r\n")
        out += (b"\r\n", response.body)
        self.transport.write_whole(b"".join(out))  # type: ignore[attr-defined]
        self.server_state.total_requests += 1
        if not keep_alive:
            self.transport.close()
            return
        self._unset_keepalive_if_required()
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )
