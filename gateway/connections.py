"""Keep-alive HTTP/1.1 connections from the gateway to one service, shared by a worker's threads.

The proxy's budget is a fraction of a millisecond per request, so an exchange is a socket, the request
written in one `sendall`, and the answer parsed by `httptools` (llhttp, the C parser of Node.js, as
uvicorn uses it): ~15-20 µs of CPU per exchange where `http.client` costs ~80 µs (its headers go through
the `email` package), urllib3 ~0.4 ms and a `requests.Session` ~0.9 ms (bench/README.md, round 3). What
the higher layers would add, the gateway does not want: no redirects, no cookies, no proxies from the
environment, no content decoding. What it needs of them is here: Content-Length or chunked request
bodies, answers with a length, chunked or ended by the close, interim 1xx answers skipped, HEAD
answers without a body, keep-alive as the service allows it, and the same refusal of a request line
or header that could split the request as `http.client` has.

An idle connection is checked before reuse (a readable idle socket means the service closed it). A
request that fails on a reused connection before any answer is sent again on a fresh one only when
that cannot repeat an effect: the method is idempotent or the request could not even be written.
"""
from __future__ import annotations

import http.client
import re
import select
import socket
import ssl
import threading
from collections import deque
from collections.abc import Iterable
from urllib.parse import urlsplit

import httptools

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RECEIVE = 64 * 1024
_UNSAFE_TARGET = re.compile(r"[\x00-\x20\x7f-\U0010ffff]")  # as http.client refuses: no spaces, controls or non-ASCII
_UNSAFE_HEADER = re.compile(r"[\r\n\x00]")
_HEADER_NAME = re.compile(r"[^:\s][^:\r\n]*")


class UpstreamFailure(Exception):
    """The service could not be reached or did not answer; `timed_out` tells slow from down."""

    def __init__(self, message: str, *, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class BadAnswer(http.client.HTTPException):
    """The service's answer is not HTTP/1.x the parser accepts, or it ended before its announced end."""


class _NotWritten(Exception):
    """The request could not be written on a reused connection (nothing reached the service)."""


class _ClosedBeforeAnswer(ConnectionError):
    """The service closed the connection before sending a byte of its answer."""


def _dropped(sock: socket.socket | None) -> bool:
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class Connection:
    """One socket to the service; `None` once closed."""

    __slots__ = ("sock",)

    def __init__(self, sock: socket.socket) -> None:
        self.sock: socket.socket | None = sock

    def close(self) -> None:
        if self.sock is not None:
            sock, self.sock = self.sock, None
            sock.close()


class Response:
    """A service's answer as it arrives: status and headers at once, the body as it is read.

    The parser's callbacks (`on_*`) fill it; `read()` feeds the parser from the socket until the body
    has the bytes asked for or the answer is complete.
    """

    def __init__(self, connection: Connection, head_only: bool) -> None:
        self._connection = connection
        self._head_only = head_only
        self._parser = httptools.HttpResponseParser(self)
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._interim = False
        self.status = 0
        self.reason = ""
        self.headers: list[tuple[str, str]] = []
        self.headers_complete = False
        self.complete = False
        self.will_close = True
        self._received_any = False

    # -- the parser's callbacks
    def on_message_begin(self) -> None:
        self.headers = []
        self.reason = ""
        self._interim = False

    def on_status(self, reason: bytes) -> None:
        self.reason += reason.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # an interim answer (100 Continue): the real one follows
            self._interim = True
            return
        self.status = status
        self.headers_complete = True
        # llhttp's verdict, only meaningful inside this callback: the Connection header, the HTTP version,
        # and whether the answer is ended by closing the connection (for HEAD: a body without a length)
        self.will_close = not self._parser.should_keep_alive()
        if self._head_only:
            self.complete = True

    def on_body(self, body: bytes) -> None:
        if not self._head_only:
            self._chunks.append(body)
            self._buffered += len(body)

    def on_message_complete(self) -> None:
        if not self._interim:
            self.complete = True

    # -- reading
    def _receive(self) -> None:
        sock = self._connection.sock
        if sock is None:
            raise BadAnswer("the connection was closed")
        data = sock.recv(RECEIVE)
        if not data:
            if not self._received_any:
                raise _ClosedBeforeAnswer("the service closed the connection before answering")
            if self.headers_complete and not self._announced_length():
                self.complete = self.will_close = True  # an answer ended by the close
                return
            raise BadAnswer("the service's answer ended early")
        self._received_any = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            raise BadAnswer("the service switched protocols") from exc
        except httptools.HttpParserError as exc:
            raise BadAnswer(f"the service's answer is not valid HTTP: {exc}") from exc

    def _announced_length(self) -> bool:
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == "content-length" or (lowered == "transfer-encoding" and "chunked" in value.lower()):
                return True
        return False

    def read_head(self) -> None:
        while not self.headers_complete:
            self._receive()

    def read(self, amount: int | None = None) -> bytes:
        """Up to `amount` bytes of the body (all of it when None); b"" once it has all been read."""
        while not self.complete and (amount is None or self._buffered < amount):
            self._receive()
        if not self._chunks:
            return b""
        if amount is None or self._buffered <= amount:
            data = b"".join(self._chunks)
            self._chunks.clear()
            self._buffered = 0
            return data
        parts, taken = [], 0
        while taken < amount:
            chunk = self._chunks.popleft()
            if taken + len(chunk) > amount:
                cut = amount - taken
                self._chunks.appendleft(chunk[cut:])
                chunk = chunk[:cut]
            parts.append(chunk)
            taken += len(chunk)
        self._buffered -= taken
        return b"".join(parts)

    def getheader(self, name: str, default: str | None = None) -> str | None:
        lowered = name.lower()
        values = [value for key, value in self.headers if key.lower() == lowered]
        return ", ".join(values) if values else default

    def getheaders(self) -> list[tuple[str, str]]:
        return list(self.headers)


def _early_answer(connection: Connection, method: str) -> Response | None:
    """The answer a service sent before it stopped reading the request's body, if it reached us.

    A service refuses a body over its own limit by its length, answers at once and closes: the
    gateway's write then breaks, although the answer (a 413) is already on the wire. It is read
    (briefly) and passed on, the connection closed after it; None when nothing came before the break.
    """
    sock = connection.sock
    if sock is None:
        return None
    try:
        sock.settimeout(1.0)
        answer = Response(connection, head_only=method == "HEAD")
        answer.read_head()
    except (OSError, BadAnswer, _ClosedBeforeAnswer):
        return None
    answer.will_close = True
    return answer


class Exchange:
    """One answered request: the response, and the connection to give back once its body is read."""

    def __init__(self, pool: "ServicePool", connection: Connection, response: Response) -> None:
        self.pool = pool
        self.connection = connection
        self.response = response

    def finish(self) -> None:
        """The body has been read to its end: keep the connection for the next request if allowed."""
        if self.response.will_close or not self.response.complete:
            self.connection.close()
        else:
            self.pool.give_back(self.connection)

    def abandon(self) -> None:
        """The body was not read to its end: the connection is unusable."""
        self.connection.close()


def _request_head(method: str, target: str, host: str, headers: dict[str, str], framing: str | None) -> bytes:
    if _UNSAFE_TARGET.search(target) or _UNSAFE_TARGET.search(method):
        raise http.client.InvalidURL(f"cannot send the request target {target!r}")
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"]
    encoding_given = False
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name) or _UNSAFE_HEADER.search(value):
            raise ValueError(f"cannot send the header {name!r}")
        encoding_given = encoding_given or name.lower() == "accept-encoding"
        lines.append(f"{name}: {value}\r\n")
    if not encoding_given:
        lines.append("Accept-Encoding: identity\r\n")  # as http.client: no compressed answers unless asked for
    if framing:
        lines.append(framing)
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")


def _write(sock: socket.socket, method: str, target: str, host: str, headers: dict[str, str],
           body: bytes | Iterable[bytes] | None) -> None:
    named = {name.lower() for name in headers}
    if body is None:
        framing = "Content-Length: 0\r\n" if method in ("POST", "PUT", "PATCH") and "content-length" not in named else None
        sock.sendall(_request_head(method, target, host, headers, framing))
    elif isinstance(body, bytes):
        framing = None if "content-length" in named else f"Content-Length: {len(body)}\r\n"
        sock.sendall(_request_head(method, target, host, headers, framing) + body)
    elif "content-length" in named:  # a streamed body of announced length
        sock.sendall(_request_head(method, target, host, headers, None))
        for chunk in body:
            sock.sendall(chunk)
    else:
        sock.sendall(_request_head(method, target, host, headers, "Transfer-Encoding: chunked\r\n"))
        for chunk in body:
            if chunk:
                sock.sendall(b"%x\r\n%b\r\n" % (len(chunk), chunk))
        sock.sendall(b"0\r\n\r\n")


class ServicePool:
    def __init__(self, base_url: str, *, size: int, connect_timeout: float, read_timeout: float) -> None:
        parts = urlsplit(base_url)
        self._https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self._https else 80)
        self._host_header = f"{self.host}:{self.port}" if parts.port else self.host
        self.size = size
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        self._tls = ssl.create_default_context() if self._https else None

    def _connect(self) -> Connection:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except TimeoutError as exc:
            raise UpstreamFailure(f"connecting to {self.host}:{self.port} timed out", timed_out=True) from exc
        except OSError as exc:
            raise UpstreamFailure(f"cannot connect to {self.host}:{self.port}: {exc}", timed_out=False) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls is not None:
            try:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            except OSError as exc:
                sock.close()
                raise UpstreamFailure(f"TLS with {self.host}:{self.port} failed: {exc}", timed_out=False) from exc
        return Connection(sock)

    def _take(self) -> tuple[Connection, bool]:
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect(), False
            if not _dropped(connection.sock):
                return connection, True
            connection.close()

    def give_back(self, connection: Connection) -> None:
        with self._lock:
            if len(self._idle) < self.size:
                self._idle.append(connection)
                return
        connection.close()

    def send(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | Iterable[bytes] | None,
        *,
        read_timeout: float | None = None,
    ) -> Exchange:
        """Sends the request and waits for the answer's status and headers (not its body)."""
        replayable = body is None or isinstance(body, bytes)
        connection, reused = self._take()
        try:
            return self._exchange(connection, reused, method, target, headers, body, read_timeout)
        except _NotWritten:
            connection = self._connect()
        except (ConnectionResetError, BrokenPipeError, _ClosedBeforeAnswer) as exc:
            if not (reused and replayable and method in IDEMPOTENT):
                raise UpstreamFailure(f"the connection broke: {exc}", timed_out=False) from exc
            connection = self._connect()
        try:
            return self._exchange(connection, False, method, target, headers, body, read_timeout)
        except (ConnectionResetError, BrokenPipeError, _ClosedBeforeAnswer, _NotWritten) as exc:
            raise UpstreamFailure(f"the connection broke: {exc}", timed_out=False) from exc

    def _exchange(
        self,
        connection: Connection,
        reused: bool,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | Iterable[bytes] | None,
        read_timeout: float | None,
    ) -> Exchange:
        sock = connection.sock
        assert sock is not None
        sock.settimeout(read_timeout or self.read_timeout)
        try:
            try:
                _write(sock, method, target, self._host_header, headers, body)
            except (ConnectionResetError, BrokenPipeError) as exc:
                if reused and (body is None or isinstance(body, bytes)):
                    raise _NotWritten from exc
                early = _early_answer(connection, method)
                if early is None:
                    raise
                return Exchange(self, connection, early)
            response = Response(connection, head_only=method == "HEAD")
            response.read_head()
            return Exchange(self, connection, response)
        except TimeoutError as exc:
            connection.close()
            raise UpstreamFailure(f"{self.host}:{self.port} did not answer in time", timed_out=True) from exc
        except (ConnectionResetError, BrokenPipeError, _ClosedBeforeAnswer, _NotWritten):
            connection.close()
            raise
        except (OSError, ValueError, http.client.HTTPException) as exc:
            connection.close()
            raise UpstreamFailure(f"{self.host}:{self.port} failed: {exc}", timed_out=False) from exc
        except BaseException:
            connection.close()
            raise
