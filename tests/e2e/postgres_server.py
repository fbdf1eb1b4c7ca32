"""A real, throwaway PostgreSQL server for the DuckLake catalog tests: initdb in a temp folder, a free port.

PostgreSQL refuses to run as root (CI runs tests as root), so the server runs as the unprivileged `nobody`."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

START_SECONDS = 60
STOP_SECONDS = 20


def postgres_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps them in /usr/lib/postgresql/<major>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    root: Path
    port: int
    socket_dir: Path
    process: subprocess.Popen
    user: str

    def catalog(self, database: str) -> str:
        """The DuckLake catalog setting for a database on this server (KRONIKA_LAKE_CATALOG)."""
        return f"postgres:dbname={database} host={self.socket_dir} port={self.port} user={self.user}"

    def create_database(self, database: str) -> str:
        created = subprocess.run([str(postgres_bin_dir() / "createdb"), "-h", str(self.socket_dir), "-p",
                                  str(self.port), "-U", self.user, database], capture_output=True, text=True,
                                 **_as_user(self.user))
        if created.returncode != 0:
            raise RuntimeError(f"createdb {database} failed: {created.stderr.strip()}")
        return self.catalog(database)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # PostgreSQL's "fast shutdown"
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def _as_user(user: str) -> dict:
    """Popen arguments that drop root to `user`; nothing to drop when the tests already run unprivileged."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _run(command: list[str], user: str, **arguments) -> subprocess.CompletedProcess:
    """Run a PostgreSQL client or tool as `user`; a failure raises with the tool's own message, not only its code."""
    result = subprocess.run(command, capture_output=True, text=True, **arguments, **_as_user(user))
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}: {result.stderr.strip()}")
    return result


def start_postgres(root: Path) -> PostgresServer:
    """initdb + postgres on 127.0.0.1 and a unix socket in `root`, as `nobody` when run as root."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: `apt-get install postgresql` (python3 dev.py test does it)")
    user = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    root.mkdir(parents=True, exist_ok=True)
    data_dir, socket_dir = root / "data", root / "socket"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        for path in (root, socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        # `nobody` must be able to reach the folder: tmp_path's parents are private to root.
        os.chmod(root, 0o700)
        parent = root.parent
        while parent != parent.parent and not (parent.stat().st_mode & 0o001):
            os.chmod(parent, parent.stat().st_mode | 0o711)
            parent = parent.parent
    subprocess.run([str(bin_dir / "initdb"), "-D", str(data_dir), "-U", user, "--auth=trust", "-E", "UTF8",
                    "--locale=C.UTF-8"], check=True, capture_output=True, cwd=root, **_as_user(user))
    port = _free_port()
    log = open(root / "postgres.log", "wb")
    process = subprocess.Popen(
        [str(bin_dir / "postgres"), "-D", str(data_dir), "-p", str(port), "-k", str(socket_dir),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=50"],
        stdout=log, stderr=subprocess.STDOUT, cwd=root, **_as_user(user))
    server = PostgresServer(root, port, socket_dir, process, user)
    deadline = time.monotonic() + START_SECONDS
    while not (socket_dir / f".s.PGSQL.{port}").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"PostgreSQL did not start: {(root / 'postgres.log').read_text()[-2000:]}")
        time.sleep(0.2)
    time.sleep(0.3)
    return server


def clone_lake(server: PostgresServer, source_database: str, source_data: Path, target_database: str,
               target_data: Path) -> str:
    """A copy of a DuckLake (catalog database and Parquet folder), as copying the embedded warehouse's folder is.

    The catalog records its data path, so the copy's is pointed at the copied folder; file paths are relative."""
    bin_dir = postgres_bin_dir()
    connection = ["-h", str(server.socket_dir), "-p", str(server.port), "-U", server.user]
    _run([str(bin_dir / "createdb"), *connection, "-T", source_database, target_database], server.user)
    if source_data.exists():
        shutil.copytree(source_data, target_data)
    data_path = str(target_data).replace("'", "''") + "/"
    _run([str(bin_dir / "psql"), *connection, "-d", target_database, "-v", "ON_ERROR_STOP=1", "-c",
          f"UPDATE ducklake_metadata SET value = '{data_path}' WHERE key = 'data_path'"], server.user)
    return server.catalog(target_database)
