"""uvicorn's httptools protocol, sending each response in one write.

uvicorn writes a response's status line and headers as soon as the app sends
`http.response.start`, and the body with `http.response.body`: two `send` system calls and two
TCP segments per response, which on loopback cost the server as much CPU as a policy decision.
`HttpProtocol` gives uvicorn a transport that gathers what is written during one step of the
event loop and hands it to the socket once, at the end of that step. Everything else (reading,
flow control, closing, addresses) goes to the real transport unchanged; a close first flushes
what was gathered.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _Gathering:
    """An `asyncio.Transport` stand-in: `write` gathers, the loop's next turn flushes."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """`uvicorn.run(..., http=HttpProtocol)`: httptools, one write per response."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Gathering(transport, self.loop))  # type: ignore[arg-type]
