"""The request path (design.md section 1), one step after another, for every API call:

    resolve -> authenticate -> parse -> validate -> authorize -> invoke -> serialize

`Dispatcher.handle` is synchronous and framework-free: it takes a `RawRequest` and returns a
`RawResponse`. The ASGI app (`sagegate.server.app`) and the console both call it.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import msgspec

from sagegate import iam, sagemaker, sts  # noqa: F401  (importing registers the operations)
from sagegate.authz import Authorizer, EpochGuard, Identities
from sagegate.authz.usage import UsageRecorder
from sagegate.protocol import (
    NotImplementedOperation,
    ResolveError,
    ServiceError,
    parse_form,
    parse_json_request,
    parse_query_request,
    resolve,
    serialize_json_error,
    serialize_json_response,
    serialize_query_error,
    serialize_query_response,
    service_model,
    validate,
)
from sagegate.protocol.registry import Call, Caller, Registry, registry
from sagegate.sigv4 import (
    HttpRequest,
    SigV4Error,
    SigV4Params,
    check_request,
    check_service,
    header_map,
    missing_authentication_token,
    parse_auth,
    verify,
)

log = logging.getLogger("sagegate.request")

# Codes the query protocol uses that the JSON protocol spells differently (AWS Common Errors).
_JSON_CODES = {
    "AccessDenied": "AccessDeniedException",
    "ValidationError": "ValidationException",
    "InternalFailure": "InternalFailure",
}


@dataclass
class _Target:
    """What is known of the request's service so far: decides how an error is written."""

    is_json: bool
    service: str = "iam"


class RawRequest(msgspec.Struct, frozen=True):
    """What the HTTP server read. A frozen `msgspec.Struct`, as are the other values built on every
    request (SigV4's, the policy engine's `Request` and `Decision`, the store's
    `SageMakerResource`...): as immutable as a frozen dataclass, but built in C, where a frozen
    dataclass sets each field through `object.__setattr__` (~1,500 instructions a field on
    CPython 3.11: a sixth of a SageMaker write's instructions went to that)."""

    method: str
    raw_path: str
    query_string: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    client_ip: str = ""
    secure: bool = False
    #: Lower-cased header name -> values in arrival order (`sigv4.header_map`, derived from
    #: `headers` when not given; do not mutate).
    header_map: dict[str, list[str]] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.headers and not self.header_map:
            msgspec.structs.force_setattr(self, "header_map", header_map(self.headers))

    @classmethod
    def from_wire(
        cls,
        method: str,
        raw_path: bytes,
        query: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
        client: tuple[str, int] | None,
        scheme: str,
    ) -> RawRequest:
        """From what the HTTP server read: every part decoded as Latin-1, as HTTP/1.1 clients
        encode them (SigV4 re-encodes the path and query as it needs them)."""
        return cls(
            method=method,
            raw_path=raw_path.decode("latin-1"),
            query_string=query.decode("latin-1"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers),
            body=body,
            client_ip=client[0] if client else "",
            secure=scheme == "https",
        )


class RawResponse(msgspec.Struct, frozen=True):
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header_lines(self) -> bytes:
        """`wire_headers` as HTTP/1.1 header lines."""
        lines = "".join(f"{name}: {value}\r\n" for name, value in self.headers)
        return lines.encode("latin-1") + b"content-length: %d\r\n" % len(self.body)

    def wire_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers to send, Content-Length included."""
        out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]
        out.append((b"content-length", str(len(self.body)).encode("ascii")))
        return out


# The headers `Dispatcher._handle` and `protocol.resolve` read.
_READ_HEADERS = ("x-amz-target", "host")

# An unsigned request names no region; STS's global endpoint answers as us-east-1.
UNSIGNED_REGION = "us-east-1"
_ANONYMOUS = Caller(account_id="", type="Anonymous", arn="anonymous", userid="anonymous")


def new_request_id() -> str:
    """A request id in the form of a random (version 4) UUID, as AWS writes them: a random
    prefix drawn once per process (again in a forked child), then a counter. An id, not a
    secret: unique within the process by the counter, across processes by the 74 random bits of
    the prefix, and cheaper than drawing 122 random bits per request."""
    return f"{_id_prefix}{next(_id_counter) & _COUNTER_MASK:012x}"


_COUNTER_MASK = (1 << 48) - 1  # the UUID's last 12 hex digits


def _new_id_prefix() -> None:
    global _id_prefix, _id_counter
    h = f"{random.getrandbits(80):020x}"
    _id_prefix = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-"
    _id_counter = itertools.count(random.getrandbits(48))


_id_prefix = ""
_id_counter = itertools.count()
_new_id_prefix()
os.register_at_fork(after_in_child=_new_id_prefix)


class Dispatcher:
    def __init__(
        self,
        store: Any,
        *,
        ops: Registry = registry,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.ops = ops
        self.clock = clock
        self.guard = EpochGuard(store)
        self.identities = Identities(store, self.guard)
        self.authorizer = Authorizer(store, self.guard)
        self.usage = UsageRecorder(store)

    def handle(self, req: RawRequest) -> RawResponse:
        request_id = new_request_id()
        # The headers the request path reads itself (the last of each name); SigV4 reads them
        # all from `req.header_map`.
        headers = {k: v[-1] for k in _READ_HEADERS if (v := req.header_map.get(k))}
        target = _Target(is_json="x-amz-target" in headers)
        try:
            return self._handle(req, headers, request_id, target)
        except SigV4Error as e:
            if target.is_json:
                return self._error(target, e.json_code, e.message, e.json_status, True, request_id)
            return self._error(target, e.code, e.message, e.status, True, request_id)
        except ResolveError as e:
            target.is_json = e.protocol == "json"
            target.service = e.service or target.service
            return self._error(target, e.code, e.message, e.status, e.sender_fault, request_id)
        except ServiceError as e:
            code = _JSON_CODES.get(e.code, e.code) if target.is_json else e.code
            status = 400 if target.is_json and e.code == "AccessDenied" else e.status
            return self._error(target, code, e.message, status, e.sender_fault, request_id)
        except Exception:
            log.exception("request %s failed", request_id)
            message = "An internal error occurred. Request id: " + request_id
            return self._error(target, "InternalFailure", message, 500, False, request_id)

    def _handle(
        self, req: RawRequest, headers: dict[str, str], request_id: str, target: _Target
    ) -> RawResponse:
        now = self.clock()
        query = parse_qs(req.query_string, keep_blank_values=True) if req.query_string else {}
        form = None
        if req.body and "x-amz-target" not in headers:
            form = parse_form(req.body)
        # 2 authenticate, before anything about the operation is revealed to an unknown caller
        self.guard.sync()
        signed = self._authenticate(req, now)
        # 1 resolve, then cross-check the operation with the credential scope
        service, operation = resolve(req.method, headers, query, form)
        target.service = service
        model = service_model(service)
        op_model = model.operation_model(operation)
        spec = self.ops.get(service, operation)
        if spec is None:
            if signed is None:
                raise missing_authentication_token()
            check_service(signed[1], model.signing_name)
            raise NotImplementedOperation(service, operation)
        if signed is None:
            # Only operations that authenticate their caller from the request itself
            # (AssumeRoleWithWebIdentity / WithSAML) may come unsigned.
            if spec.authenticate is None:
                raise missing_authentication_token()
            caller, region = _ANONYMOUS, UNSIGNED_REGION
        else:
            caller, auth = signed
            region = auth.region
            check_service(auth, model.signing_name)
        # 3 parse, 4 validate
        if model.protocol == "json":
            params = parse_json_request(op_model, req.body)
        else:
            merged = dict(query)
            if form:
                merged.update(form)
            params = parse_query_request(op_model, merged)
        validate(op_model, params)
        call = Call(
            service=service,
            operation=operation,
            caller=caller,
            region=region,
            request_id=request_id,
            now=now,
            store=self.store,
            source_ip=req.client_ip,
            secure_transport=req.secure,
            host=headers.get("host", ""),
        )
        if spec.authenticate is not None:
            call.caller = spec.authenticate(call, params)
        # 5 authorize
        if spec.authorize:
            self.authorizer.check(call, spec, params)
        # 6 invoke
        result = spec.handler(call, params)
        if caller.access_key_id:
            self.usage.record(caller.access_key_id, now, model.signing_name, region)
        # 7 serialize
        if model.protocol == "json":
            body = serialize_json_response(op_model, result)
            ctype = "application/x-amz-json-1.1"
        else:
            body = serialize_query_response(op_model, result, request_id)
            ctype = "text/xml"
        return RawResponse(200, self._headers(ctype, request_id), body)

    def _authenticate(self, req: RawRequest, now: datetime) -> tuple[Caller, SigV4Params] | None:
        """Who signed the request, or None when it carries no signature at all."""
        # The app decoded header names and values as Latin-1, as `from_wire` would: only the
        # path and query are decoded again (UTF-8, surrogateescape), as `from_wire` does.
        http = HttpRequest.known(
            req.method,
            req.raw_path.encode("latin-1").decode("utf-8", "surrogateescape"),
            req.query_string.encode("latin-1").decode("utf-8", "surrogateescape"),
            req.headers,
            req.body,
            req.header_map,
        )
        try:
            params = parse_auth(http)
        except SigV4Error as e:
            if e.code == "MissingAuthenticationToken":
                return None
            raise
        # Date and scope first, as AWS does: a stale request is refused before any key lookup.
        check_request(params, now)
        caller, secret = self.identities.resolve(params.access_key_id, params.security_token, now)
        verify(http, params, secret, now, checked=True)
        return caller, params

    def _error(
        self, target: _Target, code: str, message: str, status: int, sender: bool, request_id: str
    ) -> RawResponse:
        if target.is_json:
            body = serialize_json_error(code, message)
            headers = self._headers("application/x-amz-json-1.1", request_id)
            headers += (("x-amzn-ErrorType", code),)
        else:
            body = serialize_query_error(
                code, message, sender_fault=sender, request_id=request_id, service=target.service
            )
            headers = self._headers("text/xml", request_id)
        return RawResponse(status, headers, body)

    @staticmethod
    def _headers(ctype: str, request_id: str) -> tuple[tuple[str, str], ...]:
        return (("content-type", ctype), ("x-amzn-RequestId", request_id))
