"""The server itself (issue 2, points 3 and 9): request ids, body limit, unimplemented operations,
graceful shutdown, restart safety."""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import threading
import time

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Credentials, Deployment


def test_request_id_header(deployment: Deployment) -> None:
    resp = deployment.client("sts").get_caller_identity()
    rid = resp["ResponseMetadata"]["RequestId"]
    assert len(rid) == 36
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == rid


def _post_raw(d: Deployment, head: bytes, body: bytes) -> bytes:
    """Send a request by hand and read what comes back, even if the server answers before it has
    read the whole body (the body is sent from a thread, so neither side waits on the other)."""
    with socket.create_connection(("127.0.0.1", d.port), timeout=30) as s:
        s.sendall(head)

        def send_body() -> None:
            # the server may answer and close before reading everything
            with contextlib.suppress(OSError):
                s.sendall(body)

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b"</ErrorResponse>" in b"".join(chunks):
                break
        s.shutdown(socket.SHUT_RDWR)
        sender.join(timeout=30)
        return b"".join(chunks)


def test_body_size_limit_by_content_length(deployment: Deployment) -> None:
    size = 9 * 1024 * 1024
    head = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(size).encode() + b"\r\n\r\n"
    )
    answer = _post_raw(deployment, head, b"x" * 65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"RequestEntityTooLarge" in answer
    assert deployment.client("sts").get_caller_identity()["Account"]  # still serving


def test_body_size_limit_chunked(deployment: Deployment) -> None:
    head = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * (1024 * 1024)
    body = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 9 + b"0\r\n\r\n"
    answer = _post_raw(deployment, head, body)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert deployment.client("sts").get_caller_identity()["Account"]


def test_unimplemented_operation_is_clear_not_500(deployment: Deployment) -> None:
    with pytest.raises(ClientError) as e:
        deployment.client("iam").list_service_specific_credentials()
    err = e.value.response
    assert err["Error"]["Code"] == "NotImplemented"
    assert "ListServiceSpecificCredentials" in err["Error"]["Message"]
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 501
    with pytest.raises(ClientError) as e:
        deployment.client("sagemaker").list_domains()
    assert e.value.response["Error"]["Code"] == "NotImplemented"


def test_validation_error(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="bad name with spaces")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert "userName" in e.value.response["Error"]["Message"]


def test_restart_keeps_everything_even_after_kill_9(fresh: Deployment) -> None:
    fresh.init()
    fresh.start()
    iam = fresh.client("iam")
    iam.create_user(UserName="survivor")
    key = iam.create_access_key(UserName="survivor")["AccessKey"]
    assert fresh.stop(signal.SIGKILL) == -signal.SIGKILL
    fresh.start()
    assert fresh.client("iam").get_user(UserName="survivor")["User"]["UserName"] == "survivor"
    keys = fresh.client("iam").list_access_keys(UserName="survivor")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [key["AccessKeyId"]]
    # SIGTERM shuts down gracefully: the application's shutdown runs (uvicorn then re-raises the
    # signal, so the exit status is the signal's).
    assert fresh.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in fresh.log()


def test_revocation_reaches_every_worker_process(fresh: Deployment) -> None:
    """Two worker processes share the store; a key deactivated through one stops working in
    both on the very next request (the authorization epoch drops every cache)."""
    fresh.workers = 2
    fresh.init()
    fresh.start()
    iam = fresh.client("iam")
    iam.create_user(UserName="multi")
    key = iam.create_access_key(UserName="multi")["AccessKey"]
    creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    for _ in range(8):  # new clients, new connections: both workers see and cache the key
        assert fresh.client("sts", creds).get_caller_identity()["Arn"].endswith(":user/multi")
    iam.update_access_key(UserName="multi", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    for _ in range(8):
        with pytest.raises(ClientError) as e:
            fresh.client("sts", creds).get_caller_identity()
        assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    pids = {
        line.split("[")[1].split("]")[0]
        for line in fresh.log().splitlines()
        if "Started server process" in line
    }
    assert len(pids) == 2


def test_keep_alive_and_connection_close_answer_whole_responses(deployment: Deployment) -> None:
    """Two requests on one connection, the second asking to close: both answers arrive whole
    (each sent in one write, see sagegate.server.http) and then the server closes."""
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    request = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n%%s\r\n%%s" % len(body)
    )
    with socket.create_connection(("127.0.0.1", deployment.port), timeout=30) as s:
        s.sendall(request % (b"", body) + request % (b"Connection: close\r\n", body))
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    assert answer.count(b"HTTP/1.1 403 Forbidden") == 2, answer[:400]
    assert answer.count(b"MissingAuthenticationToken") == 2
    assert answer.endswith(b"</ErrorResponse>")


def _exchange(d: Deployment, data: bytes) -> bytes:
    """Send `data` on one connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", d.port), timeout=30) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _api_request(extra: bytes = b"", version: bytes = b"HTTP/1.1") -> bytes:
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    return (
        b"POST / " + version + b"\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)
    )


def test_http_1_0_gets_its_answer_and_the_connection_closes(deployment: Deployment) -> None:
    answer = _exchange(deployment, _api_request(version=b"HTTP/1.0"))
    assert answer.startswith(b"HTTP/1.1 403 Forbidden"), answer[:200]
    assert b"connection: close" in answer.lower()
    assert answer.endswith(b"</ErrorResponse>")


def test_pipelined_requests_are_answered_in_order_across_both_paths(
    deployment: Deployment,
) -> None:
    """An API request (answered straight from the parser), a notebook page (ASGI), an API
    request again and a page request closing the connection, pipelined on one connection: four
    answers, in the order asked."""
    page = b"GET /sagemaker/notebook/none?authToken=x HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n"
    answer = _exchange(
        deployment,
        _api_request() + page % b"" + _api_request() + page % b"Connection: close\r\n",
    )
    parts = re.split(rb"(?=HTTP/1\.1 \d{3} )", answer)
    kinds = [b"xml" if b"content-type: text/xml" in p else b"html" for p in parts if p]
    assert kinds == [b"xml", b"html", b"xml", b"html"], answer[:800]
    assert answer.count(b"MissingAuthenticationToken") == 2


def test_expect_100_continue_still_gets_its_answer(deployment: Deployment) -> None:
    answer = _exchange(deployment, _api_request(b"Expect: 100-continue\r\nConnection: close\r\n"))
    assert b"HTTP/1.1 403 Forbidden" in answer
    assert answer.endswith(b"</ErrorResponse>")


def test_a_client_that_half_closes_after_its_request_still_gets_the_answer(
    deployment: Deployment,
) -> None:
    """Request, then end of stream at once (`shutdown(SHUT_WR)`): on the ASGI path (any path
    but /) and the direct one alike, the answer comes before the server closes."""
    for target in (b"/", b"/elsewhere", b"http://127.0.0.1/"):
        with socket.create_connection(("127.0.0.1", deployment.port), timeout=30) as s:
            s.sendall(
                b"POST " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
            )
            s.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        answer = b"".join(chunks)
        assert answer.startswith(b"HTTP/1.1 "), (target, answer[:200])
        assert answer.endswith(b"</ErrorResponse>"), (target, answer[-200:])


def _one_answer(s: socket.socket) -> bytes:
    """Read one whole response (Content-Length framed) from `s`; b"" if the server closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        body += s.recv(65536)
    return head + b"\r\n\r\n" + body


def test_keep_alive_counts_from_the_last_answer_and_closes_an_idle_connection(
    deployment: Deployment,
) -> None:
    """uvicorn's keep-alive timeout (5 s): requests 2.5 s apart keep a connection open well past
    it, answered directly (sagegate.server.http arms the timer after each answer) or by the ASGI
    path (any other path); once nothing comes, the server closes it."""
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    api = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    page = b"GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", deployment.port), timeout=30) as s:
        for request in (api, api, page, api, api):
            s.sendall(request)
            answer = _one_answer(s)
            assert answer.startswith(b"HTTP/1.1 "), answer[:200]
            time.sleep(2.5)
        s.sendall(api)  # 12.5 s after the first answer, 2.5 s after the last: still open
        assert b"MissingAuthenticationToken" in _one_answer(s)
        assert s.recv(65536) == b""  # then closed by the server (the socket would time out)
