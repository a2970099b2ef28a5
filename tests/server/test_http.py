"""`sagegate.server.http`: what the app writes during one turn of the event loop reaches the
socket in one write, and a close never loses what was gathered."""

from __future__ import annotations

import asyncio
from typing import Any

from sagegate.server.http import _Gathering


class Recorder:
    """The part of `asyncio.Transport` the gathering transport uses, recording each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.closing = True
        self.calls.append(("close", None))

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1234) if name == "peername" else default


def test_writes_of_one_turn_leave_in_one_write() -> None:
    async def main() -> list[tuple[str, Any]]:
        rec = Recorder()
        t = _Gathering(rec, asyncio.get_running_loop())  # type: ignore[arg-type]
        t.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        t.write(b"ok")
        assert rec.calls == []  # nothing sent during the turn
        await asyncio.sleep(0)
        t.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await asyncio.sleep(0)
        return rec.calls

    calls = asyncio.run(main())
    assert calls == [
        ("write", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"),
        ("write", b"HTTP/1.1 204 No Content\r\n\r\n"),
    ]


def test_a_whole_response_leaves_at_once_after_what_was_gathered() -> None:
    async def main() -> list[tuple[str, Any]]:
        rec = Recorder()
        t = _Gathering(rec, asyncio.get_running_loop())  # type: ignore[arg-type]
        t.write_whole(b"first")
        assert rec.calls == [("write", b"first")]  # nothing waiting: at once
        t.write(b"head")
        t.write_whole(b"second")  # behind what is gathered
        assert rec.calls == [("write", b"first")]
        await asyncio.sleep(0)
        return rec.calls

    assert asyncio.run(main()) == [("write", b"first"), ("write", b"headsecond")]


def test_close_sends_what_was_gathered_first() -> None:
    async def main() -> list[tuple[str, Any]]:
        rec = Recorder()
        t = _Gathering(rec, asyncio.get_running_loop())  # type: ignore[arg-type]
        t.write(b"HTTP/1.1 413 Payload Too Large\r\n\r\n")
        t.close()
        await asyncio.sleep(0)  # the scheduled flush finds nothing left
        return rec.calls

    assert asyncio.run(main()) == [
        ("write", b"HTTP/1.1 413 Payload Too Large\r\n\r\n"),
        ("close", None),
    ]


def test_everything_else_is_the_real_transport() -> None:
    loop = asyncio.new_event_loop()
    try:
        t = _Gathering(Recorder(), loop)  # type: ignore[arg-type]
        assert t.get_extra_info("peername") == ("127.0.0.1", 1234)
        assert t.is_closing() is False
    finally:
        loop.close()
