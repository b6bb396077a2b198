"""kefu's scaled mode on one machine, on loopback: what `make run-scaled` starts.

Postgres (tracker store and order store), Redis (Rasa's lock store), nginx (balancing the Rasa
replicas and the action servers), N ``rasa run`` replicas, M action servers, a local Ray
cluster with the knowledge stages on Ray Serve, and the web page (widget + agent console)::

    shopper ─> nginx :lb ─┬─> rasa-1 ─┐  Postgres (events), Redis (ticket locks)
                          └─> rasa-2 ─┤
                                       └─> nginx :lb-actions ─┬─> actions-1 ─┐ Ray Serve:
                                                              └─> actions-2 ─┴─> encode, search,
                                                                                 read, sentences

Run it with ``scripts/run_scaled.sh`` (which builds what is missing first). Tests drive
:class:`ScaledStack` directly: ``kill("rasa-1")`` / ``restart("rasa-1")``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from common.config import SettingError, value

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = (Path(__file__).parent / "nginx.conf").read_text
DEBIAN_PACKAGES = {"nginx": "nginx-light", "redis-server": "redis-server", "postgres": "postgresql"}


class ScaledError(RuntimeError):
    """A service of the scaled mode could not start; the message says which and why."""


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(url: str, timeout: float = 2) -> bool:
    """Whether ``url`` answers HTTP (any status below 500)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


def program(name: str) -> str:
    """The path of a server program (Debian puts postgres outside PATH)."""
    found = shutil.which(name)
    if not found and name in ("postgres", "initdb", "pg_ctl"):
        versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
        found = str(versions[-1]) if versions else None
    if not found:
        package = DEBIAN_PACKAGES.get(name, name)
        raise ScaledError(
            f"{name} is not installed: apt-get install {package} (scripts/servers.sh)"
        )
    return found


@dataclass
class Service:
    """One process of the stack: how to start it, where it logs, how to tell it is up."""

    name: str
    argv: list[str]
    health: str = ""  # URL that answers once it is up (subclasses probe otherwise)
    cwd: Path = ROOT
    env: Mapping[str, str] = field(default_factory=dict)
    user: str | None = None  # run as this user (postgres refuses root)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self, logs: Path) -> None:
        """Start it (its own process group, output to ``logs/NAME.log``)."""
        self.log = logs / f"{self.name}.log"
        argv = self.argv if self.user is None else ["runuser", "-u", self.user, "--", *self.argv]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                argv,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        """Started and not exited."""
        return self.process is not None and self.process.poll() is None

    def ready(self) -> bool:
        """It is up: its health URL answers."""
        return answers(self.health)

    def wait_ready(self, timeout: float) -> None:
        """Block until :meth:`ready`; raise with the log's tail if it dies or times out."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.ready():
                    return
            except OSError:
                pass
            if not self.running:
                raise ScaledError(f"{self.name} exited during start-up:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise ScaledError(
                    f"{self.name} did not answer within {timeout:.0f} s:\n{self.tail()}"
                )
            time.sleep(0.3)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        """Signal its process group and wait; SIGKILL what is left after ``timeout``."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass

    def tail(self, chars: int = 3000) -> str:
        """The end of its log."""
        return (
            self.log.read_text(errors="replace")[-chars:] if self.log and self.log.exists() else ""
        )


@dataclass
class ScaledStack:
    """The scaled mode's processes on loopback (see the module docstring).

    ``ray``: run the knowledge stages on Ray Serve (else each action server batches in process).
    ``workdir``: logs, configuration and the Postgres data (kept between runs when given).
    """

    workdir: Path
    rasa_replicas: int = 2
    action_servers: int = 2
    ray: bool = True
    web: bool = True
    lock_lifetime: int = 15
    env: dict[str, str] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key in ("KEFU_RASA_ENV", "KEFU_APP_ENV", "KEFU_BOT_MODEL"):
            if not value(key):
                raise ScaledError(
                    f"{key} is not set: start the scaled mode with scripts/run_scaled.sh"
                )
        # Rasa calls the action servers with this token; the channels verify shoppers' tokens
        # with this secret (scripts/run_scaled.sh passes the ones `make run` keeps in the cache).
        # Rasa's HTTP API never runs without its token either.
        needed = {"KEFU_RASA_TOKEN": 24, "KEFU_ACTION_TOKEN": 24, "KEFU_IDENTITY_SECRET": 32}
        for key, size in needed.items():
            self.env.setdefault(key, value(key) or secrets.token_hex(size))
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "logs").mkdir(exist_ok=True)
        names = ["postgres", "redis", "lb", "lb_actions", "ray", "web"]
        names += self.rasa_names + self.action_names
        self.ports = {n: free_port() for n in names} | self.ports

    # -- addresses -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The balancer: Rasa's REST/socket.io channels and HTTP API."""
        return f"http://127.0.0.1:{self.ports['lb']}"

    def postgres_url(self, db: str = "kefu") -> str:
        """SQLAlchemy URL of a database: ``kefu`` (tracker store) or ``kefu_orders``."""
        return f"postgresql+psycopg2://kefu@127.0.0.1:{self.ports['postgres']}/{db}"

    @property
    def rasa_names(self) -> list[str]:
        """``rasa-1``, ``rasa-2``..."""
        return [f"rasa-{i}" for i in range(1, self.rasa_replicas + 1)]

    @property
    def action_names(self) -> list[str]:
        """``actions-1``, ``actions-2``..."""
        return [f"actions-{i}" for i in range(1, self.action_servers + 1)]

    # -- start / stop ----------------------------------------------------------------------
    def start(self, timeout: float = 600) -> None:
        """Start everything in dependency order; return once every service answers."""
        started = time.monotonic()
        try:
            self._start_postgres()
            self._start("redis", self._redis())
            self._start("lb", self._nginx())
            if self.ray:
                self._start_ray(timeout)
            self._seed_orders()
            for name in self.action_names:
                self._start(name, self._actions(name), wait=False)
            first, *others = self.rasa_names
            self._start(first, self._rasa(first), wait=False)
            self._wait_for_tables(timeout)  # the first replica creates them; no race on DDL
            for name in others:
                self._start(name, self._rasa(name), wait=False)
            if self.web:
                self._start("web", self._web(), wait=False)
            for service in self.services.values():
                service.wait_ready(max(30.0, timeout - (time.monotonic() - started)))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every service, the last started first."""
        for service in reversed(list(self.services.values())):
            service.stop()

    def kill(self, name: str) -> None:
        """SIGKILL one service (a replica dying without a goodbye)."""
        self.services[name].stop(signal.SIGKILL)

    def restart(self, name: str, timeout: float = 300) -> None:
        """Start a stopped or killed service again and wait until it answers."""
        service = self.services[name]
        service.stop()
        service.start(self.workdir / "logs")
        service.wait_ready(timeout)

    def _start(self, name: str, service: Service, wait: bool = True, timeout: float = 60) -> None:
        self.services[name] = service
        service.start(self.workdir / "logs")
        if wait:
            service.wait_ready(timeout)

    def _kefu_env(self) -> dict[str, str]:
        return {
            "KEFU_ORDERS_URL": self.env.get("KEFU_ORDERS_URL", self.postgres_url("kefu_orders")),
            "KEFU_BATCH_BACKEND": "ray" if self.ray else "local",
            "KEFU_RAY_ADDRESS": f"127.0.0.1:{self.ports['ray']}",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "OMP_WAIT_POLICY": "PASSIVE",
            "RASA_TELEMETRY_ENABLED": "false",
            "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
            "TOKENIZERS_PARALLELISM": "false",
        } | self.env

    # -- Postgres --------------------------------------------------------------------------
    @property
    def postgres_dir(self) -> Path:
        """Postgres's data and socket folder (as root: one the ``postgres`` user can reach)."""
        if os.geteuid() != 0:
            return self.workdir / "postgres"
        digest = hashlib.sha1(str(self.workdir.resolve()).encode()).hexdigest()[:10]
        return Path(tempfile.gettempdir()) / f"kefu-postgres-{digest}"

    def remove_data(self) -> None:
        """Delete the Postgres data (after ``stop``; tests start from nothing each run)."""
        shutil.rmtree(self.postgres_dir, ignore_errors=True)

    def _start_postgres(self) -> None:
        root = self.postgres_dir
        data, sockets = root / "data", root / "sockets"
        user = "postgres" if os.geteuid() == 0 else None  # postgres refuses to run as root
        for path in (root, data, sockets):
            path.mkdir(mode=0o700, exist_ok=True)
            if user:
                shutil.chown(path, user)
        if not (data / "PG_VERSION").exists():
            argv = [program("initdb"), "-D", str(data), "-U", "kefu", "--auth=trust", "-E", "UTF8"]
            if user:
                argv = ["runuser", "-u", user, "--", *argv]
            result = subprocess.run(argv, capture_output=True, text=True, check=False)
            if result.returncode:
                raise ScaledError(f"initdb failed: {result.stdout}{result.stderr}")
        argv = [
            program("postgres"), "-D", str(data), "-p", str(self.ports["postgres"]),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={sockets}",
            "-c", "max_connections=300", "-c", "fsync=on",
        ]  # fmt: skip
        self._start("postgres", _PostgresService("postgres", argv, user=user, stack=self))
        for db in ("kefu", "kefu_orders"):
            if self.psql(f"select 1 from pg_database where datname = '{db}'", db="postgres") != "1":
                self.psql(f"create database {db}", db="postgres")

    def psql(self, sql: str, db: str = "kefu") -> str | None:
        """Run one statement with psql; its output (unaligned, no headers), or None on error."""
        argv = [
            "psql", "-h", "127.0.0.1", "-p", str(self.ports["postgres"]), "-U", "kefu", "-d", db,
            "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql,
        ]  # fmt: skip
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def _wait_for_tables(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        first = self.services[self.rasa_names[0]]
        while self.psql("select to_regclass('public.events') is not null") != "t":
            if not first.running or time.monotonic() > deadline:
                raise ScaledError(
                    f"{first.name} did not create the tracker tables:\n{first.tail()}"
                )
            time.sleep(0.5)

    # -- the other services ----------------------------------------------------------------
    def _redis(self) -> Service:
        argv = [
            program("redis-server"), "--port", str(self.ports["redis"]), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--protected-mode", "yes",
        ]  # fmt: skip
        return _RedisService("redis", argv, port=self.ports["redis"])

    def _nginx(self) -> Service:
        conf = self.workdir / "nginx.conf"
        temp = self.workdir / "nginx"
        temp.mkdir(exist_ok=True)
        conf.write_text(
            NGINX_CONF().format(
                temp=temp,
                user="user root;" if os.geteuid() == 0 else "",
                lb=self.ports["lb"],
                lb_actions=self.ports["lb_actions"],
                rasa_servers=self._upstream(self.rasa_names),
                action_servers=self._upstream(self.action_names),
            )
        )
        argv = [program("nginx"), "-c", str(conf), "-p", str(temp), "-e", str(temp / "error.log")]
        return Service("lb", argv, health=f"http://127.0.0.1:{self.ports['lb']}/lb-health")

    def _upstream(self, names: list[str]) -> str:
        # a replica that refuses a connection is left alone for 2 s; the request goes on to another
        return "\n".join(
            f"    server 127.0.0.1:{self.ports[n]} max_fails=1 fail_timeout=2s;" for n in names
        )

    def _start_ray(self, timeout: float) -> None:
        app = value("KEFU_APP_ENV")
        argv = [
            f"{app}/bin/ray", "start", "--head", "--block", "--port", str(self.ports["ray"]),
            "--node-ip-address", "127.0.0.1", "--include-dashboard", "false",
            "--disable-usage-stats", "--num-cpus", str(os.cpu_count() or 2),
            "--object-store-memory", str(256 * 2**20), "--temp-dir", str(_ray_temp()),
        ]  # fmt: skip
        ray = _PortService("ray", argv, env=self._kefu_env(), port=self.ports["ray"])
        self._start("ray", ray, timeout=120)
        self._run_app("serve-deploy", ["-m", "knowledge.serving", "deploy"], timeout)

    def _seed_orders(self) -> None:
        seed = "from actions.service import get_orders; get_orders()"
        self._run_app("seed-orders", ["-c", seed], 300)

    def _run_app(self, name: str, args: list[str], timeout: float) -> None:
        """One run of the app environment's Python to its end; output in ``logs/NAME.log``."""
        result = subprocess.run(
            [f"{value('KEFU_APP_ENV')}/bin/python", *args],
            cwd=ROOT,
            env={**os.environ, **self._kefu_env()},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        output = result.stdout + result.stderr
        (self.workdir / "logs" / f"{name}.log").write_text(output)
        if result.returncode:
            raise ScaledError(f"{name} failed:\n{output[-3000:]}")

    def _actions(self, name: str) -> Service:
        app = value("KEFU_APP_ENV")
        port = str(self.ports[name])
        argv = [f"{app}/bin/python", "-m", "actions.server", "--host", "127.0.0.1", "--port", port]
        return Service(name, argv, f"http://127.0.0.1:{port}/health", env=self._kefu_env())

    def endpoints(self) -> Path:
        """Rasa's endpoints: Postgres tracker store, Redis lock store, balanced action servers."""
        path = self.workdir / "endpoints.yml"
        path.write_text(
            "action_endpoint:\n"
            f'  url: "http://127.0.0.1:{self.ports["lb_actions"]}/webhook"\n'
            "  headers:\n    Authorization: Bearer ${KEFU_ACTION_TOKEN}\n"  # replica's environment
            "tracker_store:\n"
            "  type: stores.redacting.RedactingSQLTrackerStore\n"
            "  dialect: postgresql\n"
            f"  url: 127.0.0.1\n  port: {self.ports['postgres']}\n  db: kefu\n  username: kefu\n"
            "lock_store:\n"
            f"  type: redis\n  url: 127.0.0.1\n  port: {self.ports['redis']}\n  db: 1\n"
        )
        return path

    def _rasa(self, name: str) -> Service:
        rasa = value("KEFU_RASA_ENV")
        port = str(self.ports[name])
        token = self.env.get("KEFU_RASA_TOKEN") or value("KEFU_RASA_TOKEN")
        argv = [
            f"{rasa}/bin/rasa", "run", "--model", str(value("KEFU_BOT_MODEL")),
            "--interface", "127.0.0.1", "--port", port, "--endpoints", str(self.endpoints()),
            "--credentials", "credentials.yml", "--enable-api",
            "--cors", *(value("KEFU_CORS") or ["*"]),
        ]  # fmt: skip
        if token:
            argv += ["--auth-token", token]
        env = self._kefu_env() | {
            "TICKET_LOCK_LIFETIME": str(self.lock_lifetime),
            "SANIC_BACKLOG": "1024",
            # the NLU's e5 in one thread (bot/channels/tuning.py: it runs beside the loop)
            "OMP_NUM_THREADS": "1",
            "OMP_WAIT_POLICY": "PASSIVE",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bot")]),  # common/, channels
        }
        return Service(name, argv, f"http://127.0.0.1:{port}/", cwd=ROOT / "bot", env=env)

    def _web(self) -> Service:
        app = value("KEFU_APP_ENV")
        port = str(self.ports["web"])
        env = self._kefu_env() | {
            "KEFU_TRACKER_URL": self.postgres_url(),
            "KEFU_RASA_API": self.url,
        }
        argv = [f"{app}/bin/python", "-m", "web.server", "--host", "127.0.0.1", "--port", port,
                "--rasa-url", self.env.get("KEFU_PUBLIC_RASA_URL", self.url)]  # fmt: skip
        return Service("web", argv, f"http://127.0.0.1:{port}/health", env=env)


@dataclass
class _PortService(Service):
    """A server without an HTTP health URL: up once its ``port`` accepts a connection."""

    port: int = 0

    def ready(self) -> bool:
        """The port accepts a connection."""
        socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        return True


@dataclass
class _RedisService(_PortService):
    def ready(self) -> bool:
        """Redis answers PING."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")


@dataclass
class _PostgresService(Service):
    stack: ScaledStack | None = None

    def ready(self) -> bool:
        """Postgres runs a query."""
        assert self.stack is not None
        return self.stack.psql("select 1", db="postgres") is not None


def _ray_temp() -> Path:
    """Ray's session folder: short (its socket paths must fit 107 bytes), one per user."""
    path = Path(tempfile.gettempdir()) / f"kefu-ray-{os.geteuid()}"
    path.mkdir(exist_ok=True)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m deploy.local``: start the scaled mode, print its URLs, run until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m deploy.local")
    parser.add_argument("--rasa", type=int, default=value("KEFU_RASA_REPLICAS"))
    parser.add_argument("--actions", type=int, default=value("KEFU_ACTION_SERVERS"))
    parser.add_argument("--no-ray", action="store_true", help="batch in each action server")
    parser.add_argument("--port", type=int, default=value("KEFU_SCALED_PORT"))
    parser.add_argument("--web-port", type=int, default=value("KEFU_WEB_PORT"))
    parser.add_argument(
        "--workdir",
        type=Path,
        default=value("KEFU_SCALED_DIR") or Path(tempfile.gettempdir()) / "kefu-scaled",
        help="logs, configuration and Postgres data (kept between runs)",
    )
    args = parser.parse_args(argv)
    stack = ScaledStack(
        args.workdir,
        rasa_replicas=args.rasa,
        action_servers=args.actions,
        ray=not args.no_ray,
        ports={"lb": args.port, "web": args.web_port},
        env={"KEFU_PUBLIC_RASA_URL": f"http://localhost:{args.port}"},
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Ctrl-C stops everything, even when a shell started us in the background (SIGINT ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    start = time.monotonic()
    try:
        stack.start()
        print(
            f"kefu (scaled): ready in {time.monotonic() - start:.0f} s. Balancer {stack.url} "
            f"({args.rasa} Rasa replicas, {args.actions} action servers"
            f"{', Ray Serve stages' if not args.no_ray else ''}); shopper page "
            f"http://localhost:{args.web_port}/; logs in {args.workdir}/logs (Ctrl-C stops all)",
            file=sys.stderr,
        )
        while all(s.running for s in stack.services.values()):
            time.sleep(1)
        dead = [s for s in stack.services.values() if not s.running]
        print(f"kefu (scaled): {dead[0].name} stopped:\n{dead[0].tail()}", file=sys.stderr)
        return 1
    except ScaledError as exc:
        print(f"kefu (scaled): {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SettingError as exc:  # a bad KEFU_* value: one line, not a traceback
        print(f"kefu scaled: cannot start: {exc}", file=sys.stderr)
        sys.exit(2)
