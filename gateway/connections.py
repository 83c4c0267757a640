"""Keep-alive HTTP/1.1 connections from the gateway to one service, shared by a worker's threads.

Built on `http.client` because the proxy's budget is a fraction of a millisecond per request: the
standard connection costs ~0.15 ms of CPU per exchange where urllib3 costs ~0.4 ms and a
`requests.Session` ~0.9 ms (measured on the suite's cheapest endpoint, see the README). What the
higher layers would add, the gateway does not want: no redirects, no cookies, no proxies from the
environment, no content decoding.

An idle connection is checked before reuse (a readable idle socket means the service closed it). A
request that fails on a reused connection before any answer is sent again on a fresh one only when
that cannot repeat an effect: the method is idempotent or the request could not even be written.
"""
from __future__ import annotations

import http.client
import select
import socket
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class UpstreamFailure(Exception):
    """The service could not be reached or did not answer; `timed_out` tells slow from down."""

    def __init__(self, message: str, *, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class _NotWritten(Exception):
    """The request could not be written on a reused connection (nothing reached the service)."""


def _dropped(sock: socket.socket | None) -> bool:
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class Exchange:
    """One answered request: the response, and the connection to give back once its body is read."""

    def __init__(self, pool: "ServicePool", connection: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        self.pool = pool
        self.connection = connection
        self.response = response

    def finish(self) -> None:
        """The body has been read to its end: keep the connection for the next request if allowed."""
        if self.response.will_close:
            self.connection.close()
        else:
            self.pool.give_back(self.connection)

    def abandon(self) -> None:
        """The body was not read to its end: the connection is unusable."""
        self.connection.close()


class ServicePool:
    def __init__(self, base_url: str, *, size: int, connect_timeout: float, read_timeout: float) -> None:
        parts = urlsplit(base_url)
        self._https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self._https else 80)
        self.size = size
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        connection = kind(self.host, self.port, timeout=self.connect_timeout)
        try:
            connection.connect()
        except TimeoutError as exc:
            raise UpstreamFailure(f"connecting to {self.host}:{self.port} timed out", timed_out=True) from exc
        except OSError as exc:
            raise UpstreamFailure(f"cannot connect to {self.host}:{self.port}: {exc}", timed_out=False) from exc
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def _take(self) -> tuple[http.client.HTTPConnection, bool]:
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect(), False
            if not _dropped(connection.sock):
                return connection, True
            connection.close()

    def give_back(self, connection: http.client.HTTPConnection) -> None:
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
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as exc:
            if not (reused and replayable and method in IDEMPOTENT):
                raise UpstreamFailure(f"the connection broke: {exc}", timed_out=False) from exc
            connection = self._connect()
        return self._exchange(connection, False, method, target, headers, body, read_timeout)

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        reused: bool,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | Iterable[bytes] | None,
        read_timeout: float | None,
    ) -> Exchange:
        connection.sock.settimeout(read_timeout or self.read_timeout)
        try:
            try:
                connection.request(method, target, body=body, headers=headers)
            except (ConnectionResetError, BrokenPipeError) as exc:
                if reused and (body is None or isinstance(body, bytes)):
                    raise _NotWritten from exc
                raise
            return Exchange(self, connection, connection.getresponse())
        except TimeoutError as exc:
            connection.close()
            raise UpstreamFailure(f"{self.host}:{self.port} did not answer in time", timed_out=True) from exc
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            connection.close()
            raise
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise UpstreamFailure(f"{self.host}:{self.port} failed: {exc}", timed_out=False) from exc
        except BaseException:
            connection.close()
            raise
