"""A light HTTP/1.1 load generator for benchmarks/e2e.py: pre-signed requests, keep-alive, one thread.

Requests are serialized from botocore's service models and signed with botocore's `SigV4Auth`
ahead of a phase, then turned into raw bytes. During the phase one thread drives `connections`
keep-alive sockets with `selectors` (epoll): each connection sends one request, reads the whole
response (status line, Content-Length or chunked body), then sends the next. A work item is a
sequence of requests run in order on one connection (e.g. CreateUser then DeleteUser of the same
name). The phase stops by itself after `duration` seconds (no new items; in-flight ones finish,
up to a grace period) and only talks to 127.0.0.1.

Also here: CPU time of a process tree from /proc (psutil if installed), for server CPU per request.
"""

from __future__ import annotations

import os
import selectors
import socket
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.serialize import create_serializer
from botocore.session import get_session

_session = get_session()
_models: dict[str, Any] = {}
_serializers: dict[str, Any] = {}


def _model(service: str) -> Any:
    if service not in _models:
        _models[service] = _session.get_service_model(service)
    return _models[service]


@dataclass(frozen=True)
class SignedRequest:
    op: str  # "service:Operation", the key statistics are kept under
    raw: bytes  # the whole HTTP/1.1 request, ready to send


def sign(
    service: str,
    operation: str,
    params: dict[str, Any],
    *,
    port: int,
    key_id: str,
    secret: str,
    region: str = "us-east-1",
) -> SignedRequest:
    """Serialize `params` with botocore's serializer for the service's protocol, sign it with
    SigV4 (valid for 5 minutes from now) and return the raw request bytes."""
    model = _model(service)
    op_model = model.operation_model(operation)
    protocol = model.metadata["protocol"]
    if protocol not in _serializers:
        _serializers[protocol] = create_serializer(protocol, include_validation=True)
    ser = _serializers[protocol].serialize_to_request(params, op_model)
    body = ser["body"]
    if isinstance(body, dict):
        body = urlencode(body, doseq=True).encode()
    elif isinstance(body, str):
        body = body.encode()
    path = ser["url_path"] or "/"
    if ser.get("query_string"):
        path += "?" + urlencode(ser["query_string"], doseq=True)
    host = f"127.0.0.1:{port}"
    headers = dict(ser["headers"])
    headers["Host"] = host
    req = AWSRequest(method=ser["method"], url=f"http://{host}{path}", data=body, headers=headers)
    signing_name = model.metadata.get("signingName") or model.endpoint_prefix
    SigV4Auth(Credentials(key_id, secret), signing_name, region).add_auth(req)
    lines = [f"{ser['method']} {path} HTTP/1.1"]
    for name, value in req.headers.items():
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    return SignedRequest(op=f"{service}:{operation}", raw=raw)


@dataclass
class OpStats:
    ok: int = 0
    errors: Counter[int] = field(default_factory=Counter)  # status -> count (599: transport)
    samples: dict[int, bytes] = field(default_factory=dict)  # first error body per status

    @property
    def done(self) -> int:
        return self.ok + sum(self.errors.values())


@dataclass
class PhaseResult:
    wall: float  # seconds, first send to last response
    client_cpu: float  # seconds of this process's CPU during the phase
    server_cpu: float  # seconds of the server process tree's CPU during the phase
    per_op: dict[str, OpStats]

    @property
    def done(self) -> int:
        return sum(s.done for s in self.per_op.values())

    @property
    def errors(self) -> int:
        return sum(sum(s.errors.values()) for s in self.per_op.values())


class _Conn:
    __slots__ = ("sock", "item", "step", "buf", "sent_at", "need", "status", "close", "chunked")

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.item: Sequence[SignedRequest] = ()
        self.step = 0
        self.buf = b""
        self.need = -1  # total bytes of the current response once its header is parsed
        self.status = 0
        self.close = False
        self.chunked = False


def _chunked_end(buf: bytes, start: int) -> int:
    """Index just past a complete chunked body starting at `start`, or -1 if incomplete."""
    pos = start
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return -1
        size = int(buf[pos:eol].split(b";", 1)[0], 16)
        pos = eol + 2 + size + 2
        if pos > len(buf):
            return -1
        if size == 0:
            return pos


def run_phase(
    port: int,
    items: Sequence[Sequence[SignedRequest]],
    *,
    duration: float,
    connections: int,
    server_pid: int,
    max_requests: int | None = None,
    grace: float = 10.0,
) -> PhaseResult:
    """Cycle through `items` on `connections` keep-alive connections for `duration` seconds (or
    until `max_requests` requests were sent). Connection k only runs items k, k+n, k+2n, ...
    so that a write pair (create/delete of one name) never runs on two connections at once."""
    n = max(1, min(connections, len(items)))
    per_conn = [list(items[k::n]) for k in range(n)]
    cursors = [0] * n
    stats: dict[str, OpStats] = defaultdict(OpStats)
    sel = selectors.DefaultSelector()
    conns = [_Conn(port) for _ in range(n)]
    sent = 0
    stopping = False
    active = 0

    def start_item(k: int, c: _Conn) -> bool:
        nonlocal sent, active
        if stopping or (max_requests is not None and sent >= max_requests):
            return False
        lst = per_conn[k]
        c.item = lst[cursors[k] % len(lst)]
        cursors[k] += 1
        c.step = 0
        send(c)
        active += 1
        return True

    def send(c: _Conn) -> None:
        nonlocal sent
        c.buf = b""
        c.need = -1
        c.sock.sendall(c.item[c.step].raw)  # small requests: fits the socket buffer
        sent += 1

    def reconnect(k: int, c: _Conn) -> _Conn:
        sel.unregister(c.sock)
        c.sock.close()
        nc = _Conn(port)
        nc.item, nc.step = c.item, c.step
        sel.register(nc.sock, selectors.EVENT_READ, k)
        conns[k] = nc
        return nc

    cpu0 = server_cpu(server_pid)
    ccpu0 = time.process_time()
    t0 = time.perf_counter()
    deadline = t0 + duration
    t_last = t0
    for k, c in enumerate(conns):
        sel.register(c.sock, selectors.EVENT_READ, k)
        start_item(k, c)
    while active:
        now = time.perf_counter()
        if not stopping and now >= deadline:
            stopping = True
        if stopping and now >= deadline + grace:
            break  # in-flight requests that did not answer in time count as transport errors
        for key, _ in sel.select(timeout=0.5):
            k = key.data
            c = conns[k]
            try:
                data = c.sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            op = c.item[c.step].op
            if not data:  # peer closed mid-response: transport error, reconnect
                st = stats[op]
                st.errors[599] += 1
                st.samples.setdefault(599, b"connection closed by server")
                active -= 1
                c = reconnect(k, c)
                start_item(k, c)
                continue
            c.buf += data
            if c.need < 0:
                hend = c.buf.find(b"\r\n\r\n")
                if hend < 0:
                    continue
                head = c.buf[:hend].decode("latin-1").split("\r\n")
                parts = head[0].split(" ", 2)
                c.status = int(parts[1])
                length = -1
                c.chunked = False
                c.close = parts[0] == "HTTP/1.0"
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    name = name.strip().lower()
                    if name == "content-length":
                        length = int(value)
                    elif name == "transfer-encoding" and "chunked" in value.lower():
                        c.chunked = True
                    elif name == "connection":
                        v = value.strip().lower()
                        c.close = v == "close" or (c.close and v != "keep-alive")
                if c.chunked:
                    c.need = hend + 4  # resolved below
                elif length >= 0:
                    c.need = hend + 4 + length
                else:
                    c.need = 1 << 62  # read to EOF (never seen with uvicorn or werkzeug)
            if c.chunked:
                end = _chunked_end(c.buf, c.need)
                if end < 0:
                    continue
                total = end
            else:
                if len(c.buf) < c.need:
                    continue
                total = c.need
            # one complete response
            st = stats[op]
            if 200 <= c.status < 300:
                st.ok += 1
            else:
                st.errors[c.status] += 1
                if c.status not in st.samples:
                    st.samples[c.status] = c.buf[:total]
            t_last = time.perf_counter()
            if c.close:
                c = reconnect(k, c)
            c.step += 1
            if c.step < len(c.item) and c.status < 300:
                send(c)
            else:
                active -= 1
                start_item(k, c)
    wall = t_last - t0
    ccpu = time.process_time() - ccpu0
    cpu1 = server_cpu(server_pid)
    for c in conns:
        sel.unregister(c.sock)
        c.sock.close()
    if active:  # timed out in flight
        stats["(unanswered)"].errors[599] += active
    sel.close()
    return PhaseResult(wall=wall, client_cpu=ccpu, server_cpu=cpu1 - cpu0, per_op=dict(stats))


# --- CPU time of a process tree ------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")

try:  # pragma: no cover - optional
    import psutil  # type: ignore[import-not-found]
except ImportError:  # the project venv does not ship it; /proc is enough on Linux
    psutil = None


def _children_proc(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.extend(int(x) for x in f.read().split())
    except OSError:
        pass
    return kids


def _cpu_proc(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # after "(comm)": state=0, ..., utime=11, stime=12 (fields 14, 15 of proc(5))
    return (int(fields[11]) + int(fields[12])) / _TICK


def tree_pids(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children_proc(p))
    return out


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of `pid` and all its live descendants (all threads)."""
    if psutil is not None:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
            total = 0.0
            for p in procs:
                try:
                    t = p.cpu_times()
                    total += t.user + t.system
                except psutil.Error:
                    pass
            return total
        except psutil.Error:
            return 0.0
    return sum(_cpu_proc(p) for p in tree_pids(pid))
