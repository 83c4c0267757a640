"""The gateway's HTTP/1.1 client (gateway/connections.py) against a scripted service on a real socket.

Each test gives the service the exact bytes of its answers, so the cases a well-behaved test server
never produces are covered: interim 100 answers, answers ended by the close, chunks split across
packets, HEAD answers, a connection closed without an answer, a truncated or malformed answer.
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from gateway.connections import BadAnswer, ServicePool, UpstreamFailure

CLOSE = b"<close>"  # in a script: close the connection instead of answering
HANG = b"<hang>"  # after the answer's bytes: keep the connection open, say nothing more


class ScriptedService:
    """Answers the n-th request it reads (on any connection) with `script[n]`; records every request."""

    def __init__(self, script: list[bytes | list[bytes]]) -> None:
        self.script = list(script)
        self.requests: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket, pending: bytes) -> tuple[bytes, bytes] | None:
        while b"\r\n\r\n" not in pending:
            data = conn.recv(65536)
            if not data:
                return None
            pending += data
        head, _, rest = pending.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += conn.recv(65536)
        return head + b"\r\n\r\n" + rest[:length], rest[length:]

    def _serve(self, conn: socket.socket) -> None:
        pending = b""
        with conn:
            while True:
                read = self._read_request(conn, pending)
                if read is None:
                    return
                request, pending = read
                self.requests.append(request)
                answer = self.script.pop(0) if self.script else CLOSE
                if answer == CLOSE:
                    return
                for part in answer if isinstance(answer, list) else [answer]:
                    if part == HANG:
                        threading.Event().wait(5)
                        return
                    if part == CLOSE:
                        return
                    conn.sendall(part)
                    if isinstance(answer, list):
                        threading.Event().wait(0.01)  # separate packets
                if answer is not None and _closes(answer):
                    return

    def close(self) -> None:
        self.listener.close()


def _closes(answer: bytes | list[bytes]) -> bool:
    whole = b"".join(answer) if isinstance(answer, list) else answer
    return b"Connection: close" in whole or b"Content-Length" not in whole and b"chunked" not in whole


@pytest.fixture()
def service() -> Iterator[Callable[..., tuple[ScriptedService, ServicePool]]]:
    made: list[ScriptedService] = []

    def make(*script: bytes | list[bytes]) -> tuple[ScriptedService, ServicePool]:
        scripted = ScriptedService(list(script))
        made.append(scripted)
        return scripted, ServicePool(scripted.url, size=4, connect_timeout=1, read_timeout=2)

    yield make
    for scripted in made:
        scripted.close()


def _fetch(pool: ServicePool, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
           ) -> tuple[int, dict[str, str], bytes]:
    exchange = pool.send(method, "/billing/v1/x?q=1", headers or {}, body)
    content = exchange.response.read()
    exchange.finish()
    return exchange.response.status, dict(exchange.response.getheaders()), content


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


def test_request_is_written_as_http_1_1_with_host_length_and_headers(service) -> None:
    scripted, pool = service(OK)
    assert _fetch(pool, "POST", b'{"a": 1}', {"X-Request-ID": "r1", "Content-Type": "application/json"})[2] == b"ok"
    head, _, body = scripted.requests[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /billing/v1/x?q=1 HTTP/1.1"
    assert f"Host: 127.0.0.1:{scripted.port}".encode() in lines and b"Content-Length: 8" in lines
    assert b"X-Request-ID: r1" in lines and b"Accept-Encoding: identity" in lines and body == b'{"a": 1}'


def test_keep_alive_answers_reuse_one_connection(service) -> None:
    scripted, pool = service(OK, OK, OK)
    assert [_fetch(pool)[0] for _ in range(3)] == [200, 200, 200]
    assert scripted.connections == 1


def test_an_interim_100_answer_is_skipped(service) -> None:
    scripted, pool = service(b"HTTP/1.1 100 Continue\r\n\r\n" + OK)
    status, headers, content = _fetch(pool, "POST", b"x")
    assert (status, content, headers["Content-Type"]) == (200, b"ok", "text/plain")


def test_a_chunked_answer_split_across_packets_is_joined_and_the_connection_kept(service) -> None:
    chunked = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", b"lo\r\n6\r\n world\r\n", b"0\r\n\r\n"]
    scripted, pool = service(chunked, OK)
    assert _fetch(pool)[2] == b"hello world"
    assert _fetch(pool)[2] == b"ok" and scripted.connections == 1


def test_an_answer_ended_by_the_close_is_read_whole_and_the_connection_dropped(service) -> None:
    scripted, pool = service(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", OK)
    assert _fetch(pool)[2] == b"until the end"
    assert _fetch(pool)[2] == b"ok" and scripted.connections == 2


def test_connection_close_is_honoured(service) -> None:
    scripted, pool = service(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", OK)
    _fetch(pool)
    _fetch(pool)
    assert scripted.connections == 2


def test_a_head_answer_has_no_body_even_with_a_length(service) -> None:
    scripted, pool = service(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", OK)
    status, headers, content = _fetch(pool, "HEAD")
    assert (status, headers["Content-Length"], content) == (200, "1234", b"")
    assert _fetch(pool)[2] == b"ok" and scripted.connections == 1


def test_reading_in_pieces_gives_the_body_in_order(service) -> None:
    body = bytes(range(256)) * 40
    scripted, pool = service([b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body), body[:3000], body[3000:]])
    exchange = pool.send("GET", "/x", {}, None)
    pieces = []
    while piece := exchange.response.read(1000):
        assert len(piece) <= 1000
        pieces.append(piece)
    assert b"".join(pieces) == body and exchange.response.complete


def test_a_truncated_answer_is_an_error_and_the_connection_is_not_kept(service) -> None:
    scripted, pool = service([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nonly5", CLOSE], OK)
    exchange = pool.send("GET", "/x", {}, None)
    with pytest.raises(BadAnswer):
        exchange.response.read()
    exchange.abandon()
    assert _fetch(pool)[2] == b"ok" and scripted.connections == 2


def test_a_malformed_answer_is_an_upstream_failure(service) -> None:
    _, pool = service(b"SMTP ready\r\n\r\n")
    with pytest.raises(UpstreamFailure) as failure:
        pool.send("GET", "/x", {}, None)
    assert not failure.value.timed_out


def test_a_post_whose_connection_closes_unanswered_is_not_sent_again(service) -> None:
    scripted, pool = service(OK, CLOSE, OK)
    _fetch(pool)  # a kept connection
    with pytest.raises(UpstreamFailure):
        pool.send("POST", "/pay", {}, b"once")
    assert len(scripted.requests) == 2  # the POST reached the service once, and only once


def test_a_get_whose_kept_connection_closes_unanswered_is_sent_once_more(service) -> None:
    scripted, pool = service(OK, CLOSE, OK)
    _fetch(pool)
    assert _fetch(pool)[2] == b"ok"
    assert len(scripted.requests) == 3 and scripted.connections == 2


def test_a_header_that_would_split_the_request_is_refused_before_sending(service) -> None:
    scripted, pool = service(OK)
    with pytest.raises(UpstreamFailure):
        pool.send("GET", "/x", {"X-Evil": "a\r\nX-Injected: 1"}, None)
    with pytest.raises(UpstreamFailure):
        pool.send("GET", "/x y", {}, None)
    assert scripted.requests == []


def test_a_service_slower_than_the_read_timeout_is_a_timed_out_failure(service) -> None:
    scripted, pool = service([b"HTTP/1.1 200 OK\r\n", HANG])  # the head never ends
    pool.read_timeout = 0.3
    with pytest.raises(UpstreamFailure) as failure:
        pool.send("GET", "/x", {}, None)
    assert failure.value.timed_out


def test_a_chunked_request_body_is_framed(service) -> None:
    scripted, pool = service(OK)
    scripted._read_request = _read_chunked.__get__(scripted)  # type: ignore[method-assign]
    assert _fetch(pool, "POST", iter([b"abc", b"", b"defg"]))[0] == 200  # type: ignore[arg-type]
    head, _, body = scripted.requests[0].partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head.split(b"\r\n") and body == b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"


def _read_chunked(self: ScriptedService, conn: socket.socket, pending: bytes) -> tuple[bytes, bytes] | None:
    while not pending.endswith(b"0\r\n\r\n"):
        data = conn.recv(65536)
        if not data:
            return None
        pending += data
    return pending, b""
