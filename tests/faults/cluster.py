"""A throw-away PostgreSQL cluster of the tests' own: `initdb` and `pg_ctl` as the `postgres` user on a free
port, with WAL archived to a folder, so that a test may kill it, restart it, take a base backup and restore
it to a point in time without touching the shared server at 127.0.0.1:5432."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text


def _bin_dir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    if not found:
        raise RuntimeError("initdb not found (PostgreSQL server binaries are needed for the fault tests)")
    return Path(found).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres() -> list[str]:
    """Run the server's tools as `postgres` when we are root (initdb refuses root), else as ourselves."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Cluster:
    """One data directory, its WAL archive and a port; `url(db)` names a database on it."""

    def __init__(self, root: Path, port: int):
        self.root = root
        self.data = root / "data"
        self.archive = root / "archive"
        self.port = port
        self.bin = _bin_dir()

    # ------------------------------------------------------------ life cycle

    @classmethod
    def create(cls) -> Cluster:
        root = Path(tempfile.mkdtemp(prefix="tongchou-pg-"))
        cluster = cls(root, free_port())
        cluster.archive.mkdir()
        cluster._own(root, cluster.archive)
        cluster._run("initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--locale=C.UTF-8")
        cluster.configure()
        return cluster

    def _own(self, *paths: Path) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            for path in paths:
                os.chown(path, user.pw_uid, user.pw_gid)

    def _run(self, tool: str, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        done = subprocess.run([*_as_postgres(), str(self.bin / tool), *args], capture_output=True, text=True,
                              timeout=timeout)
        if check and done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {done.stderr[-1000:]}\n{tail}")
        return done

    def configure(self, extra: str = "") -> None:
        settings = f"""
listen_addresses = '127.0.0.1'
port = {self.port}
unix_socket_directories = '{self.root}'
max_connections = 60
shared_buffers = 64MB
wal_level = replica
archive_mode = on
archive_command = 'test ! -f {self.archive}/%f && cp %p {self.archive}/%f'
archive_timeout = 0
max_wal_senders = 4
"""
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            conf.write(settings + extra)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "-l",
                  str(self.root / "server.log"), "restart")

    def postmaster_pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError):
            return int(pid_file.read_text().splitlines()[0])
        return None

    def kill9(self) -> None:
        """SIGKILL the postmaster and every backend, as a crash of the machine's database process would."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        children = [p for p in _all_pids() if _parent_of(p) == pid]
        for victim in [pid, *children]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(p) for p in [pid, *children]):
            time.sleep(0.1)
        # The killed postmaster may stay a zombie where PID 1 does not reap orphans (as in this sandbox); its
        # PID then still "exists" and would make the lock file look live. Every process of it is gone, so the
        # lock is stale, as it would be after a real crash.
        if not any(_alive(p) for p in [pid, *children]):
            (self.data / "postmaster.pid").unlink(missing_ok=True)
            (self.root / f".s.PGSQL.{self.port}.lock").unlink(missing_ok=True)

    def destroy(self) -> None:
        if self.postmaster_pid() is not None:
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------ databases

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> list[tuple]:
        engine = create_engine(self.url(database), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                result = connection.execute(text(statement))
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def create_database(self, name: str) -> str:
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    # ------------------------------------------------------------ backup and restore

    def base_backup(self, target: Path) -> None:
        """`pg_basebackup` of the running cluster: a plain copy, WAL taken from the archive at restore."""
        target.parent.mkdir(parents=True, exist_ok=True)
        self._own(target.parent)
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-D", str(target),
                  "-X", "none", "--checkpoint=fast", "--no-sync", timeout=300)

    def restored(self, backup: Path, target_time: str) -> Cluster:
        """A new cluster from `backup`, replaying the archive up to `target_time` and then promoted."""
        root = Path(tempfile.mkdtemp(prefix="tongchou-pg-restored-"))
        clone = Cluster(root, free_port())
        shutil.copytree(backup, clone.data, symlinks=True)
        clone.archive = self.archive  # read by restore_command only
        subprocess.run(["chown", "-R", "postgres:postgres", str(root)], check=False) if os.geteuid() == 0 else None
        os.chmod(clone.data, 0o700)
        (clone.data / "postgresql.auto.conf").write_text("")
        clone.configure(f"""
archive_mode = off
restore_command = 'cp {self.archive}/%f %p'
recovery_target_time = '{target_time}'
recovery_target_action = 'promote'
""")
        (clone.data / "recovery.signal").touch()
        clone._own(clone.data / "recovery.signal", clone.data / "postgresql.auto.conf")
        clone.start()
        clone.wait_promoted()
        return clone

    def wait_promoted(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if self.sql("SELECT pg_is_in_recovery()")[0][0] is False:
                    return
            time.sleep(0.2)
        raise RuntimeError("the restored cluster did not leave recovery")


def _all_pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _parent_of(pid: int) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        raw = Path(f"/proc/{pid}/stat").read_text()
        return int(raw[raw.rindex(")") + 2:].split()[1])
    return None


def _alive(pid: int) -> bool:
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text()
        return state[state.rindex(")") + 2] != "Z"
    return False


def children_of(pid: int) -> list[int]:
    return [p for p in _all_pids() if _parent_of(p) == pid and _alive(p)]
