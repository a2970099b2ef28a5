"""The ASGI application: the only code that knows ASGI.

One endpoint for every service. The body is read with a size limit, the request handed to the
`Dispatcher`, and its answer sent back as is.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from sagegate.protocol import SERVICES, service_model
from sagegate.sagemaker import presigned
from sagegate.server.dispatch import Dispatcher, RawRequest, RawResponse
from sagegate.server.settings import Settings
from sagegate.server.state import open_store


class BodyTooLarge(Exception):
    pass


class ApiEndpoint:
    """ASGI app for the API: every method, every path."""

    def __init__(self, dispatcher: Dispatcher, max_body: int) -> None:
        self.dispatcher = dispatcher
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            body = await self._read_body(scope, receive)
        except BodyTooLarge:
            await self._send(send, _too_large(self.max_body))
            return
        request = RawRequest.from_wire(
            scope["method"],
            scope.get("raw_path") or scope["path"].encode(),
            scope["query_string"],
            scope["headers"],
            body,
            scope.get("client"),
            scope.get("scheme", "http"),
        )
        # Inline on the event loop: a request is a few hundred microseconds of CPU and indexed
        # reads, and a thread hop per request costs more than it saves. Concurrency comes from
        # worker processes (`--workers`).
        response = self.dispatcher.handle(request)
        await self._send(send, response)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                raise BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    async def _send(send: Send, response: RawResponse) -> None:
        headers = response.wire_headers()
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})


def _too_large(limit: int) -> RawResponse:
    body = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>RequestEntityTooLarge</Code>"
        f"<Message>Request body is larger than the limit of {limit} bytes.</Message>"
        "</Error></ErrorResponse>"
    ).encode()
    return RawResponse(413, (("content-type", "text/xml"),), body)


def notebook_page(dispatcher: Dispatcher) -> Route:
    """GET /sagemaker/notebook/NAME?authToken=...: the page a presigned notebook URL opens."""

    async def endpoint(request: Request) -> Response:
        status, headers, body = await run_in_threadpool(
            presigned.open_page,
            dispatcher.store,
            request.path_params["name"],
            request.query_params.get("authToken"),
            request.client.host if request.client else "",
            dispatcher.clock(),
        )
        return Response(body, status_code=status, headers=dict(headers))

    return Route(presigned.PATH_PREFIX + "{name}", endpoint, methods=["GET"])


def build_app(dispatcher: Dispatcher, settings: Settings) -> Front:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        dispatcher.usage.flush()
        dispatcher.store.close()

    api = ApiEndpoint(dispatcher, settings.max_body)
    pages = Starlette(routes=[notebook_page(dispatcher)], lifespan=lifespan)
    return Front(pages, api)


class Front:
    """The outermost ASGI app: the API gets every request directly, without a router, except the
    presigned notebook pages and lifespan events, which Starlette handles."""

    def __init__(self, pages: Starlette, api: ApiEndpoint) -> None:
        self.pages = pages
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(presigned.PATH_PREFIX):
            await self.api(scope, receive, send)
        else:
            await self.pages(scope, receive, send)


def create_app() -> Any:
    """Factory for `uvicorn --factory` worker processes: settings come from the environment."""
    settings = Settings.from_env()
    store = open_store(settings)
    app = build_app(Dispatcher(store), settings)
    settle_heap()
    return app


def settle_heap() -> None:
    """For a server process about to serve: load the service models, then move everything
    alive (modules, models, the store) out of the cyclic garbage collector's way (`gc.freeze`).
    It lives as long as the process, and every full collection would otherwise walk it again
    (~2% of a write's CPU). Not for a process that goes on to build and drop servers (tests):
    cycles among frozen objects are never collected."""
    for service in SERVICES:
        service_model(service)
    gc.collect()
    gc.freeze()
