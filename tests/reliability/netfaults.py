"""A small TCP proxy on loopback that injects network faults between a process and a server.

`FaultyProxy(target_port).start()` listens on a free loopback port and forwards every connection to
`127.0.0.1:target_port`. While it runs, the harness can:
- `delay(seconds)`: hold every forwarded chunk that long (a slow link; 0 switches it off);
- `reset_all()`: abort every open connection with a TCP RST (SO_LINGER 0), as a crashed peer would;
- `refuse(seconds)`: close new connections at once for a while (the server looks unreachable).
It counts what it did, so the fault test can print it.
"""
from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field


@dataclass
class ProxyCounts:
    connections: int = 0
    resets: int = 0
    refused: int = 0
    delayed_chunks: int = 0


@dataclass
class FaultyProxy:
    target_port: int
    target_host: str = "127.0.0.1"
    counts: ProxyCounts = field(default_factory=ProxyCounts)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._delay = 0.0
        self._refuse_until = 0.0
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()

    def start(self) -> "FaultyProxy":
        threading.Thread(target=self._accept_loop, name="faulty-proxy", daemon=True).start()
        return self

    def delay(self, seconds: float) -> None:
        self._delay = seconds

    def refuse(self, seconds: float) -> None:
        self._refuse_until = time.monotonic() + seconds

    def reset_all(self) -> int:
        with self._lock:
            victims = list(self._sockets)
            self._sockets.clear()
        for sock in victims:
            _abort(sock)
        self.counts.resets += len(victims)
        return len(victims)

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        self.reset_all()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if time.monotonic() < self._refuse_until:
                self.counts.refused += 1
                _abort(client)
                continue
            try:
                upstream = socket.create_connection((self.target_host, self.target_port), timeout=5)
            except OSError:
                _abort(client)
                continue
            upstream.settimeout(None)
            self.counts.connections += 1
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                if self._delay:
                    self.counts.delayed_chunks += 1
                    time.sleep(self._delay)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)
            _abort(source)
            _abort(sink)


def _abort(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets a RST, not an orderly FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
