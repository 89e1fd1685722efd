"""Test-wide settings. Airflow reads its configuration from the environment when first
imported, so it is set here, before any test module imports Airflow: each pytest session
gets its own Airflow home (its own SQLite metadata DB), so tests never touch the demo's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="citystats-airflow-"))

os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["GX_ANALYTICS_ENABLED"] = "False"


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """An initialised Airflow metadata DB for tests that run DAGs (`dag.test`)."""
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, cwd=REPO)
    return AIRFLOW_HOME


def service_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a local service is down, unless CI demands it (CITYSTATS_REQUIRE_SERVICES=1)."""
    if service_reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("CITYSTATS_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (CITYSTATS_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def migrated_warehouse(url: str) -> str:
    """`url`, its warehouse schema migrated to the newest revision as `make setup` and the
    deployment's init step do: opening an engine creates no table, so every test that lets
    the pipeline write to a warehouse migrates it first, here."""
    from include.warehouse import migrate

    migrate(url)
    return url


def use_warehouse(monkeypatch, url: str) -> str:
    """Migrate the warehouse at `url` and point CITYSTATS_WAREHOUSE_URL at it."""
    monkeypatch.setenv("CITYSTATS_WAREHOUSE_URL", migrated_warehouse(url))
    return url


@pytest.fixture
def postgres_url():
    """A fresh database on the local PostgreSQL server, dropped after the test."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    from uuid import uuid4

    from sqlalchemy import create_engine, text

    name = f"citystats_test_{uuid4().hex[:12]}"
    admin = create_engine(
        "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        from include.warehouse import engine_for

        engine_for.cache_clear()  # FORCE below ends the pooled connections
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_warehouse(postgres_url) -> str:
    """A fresh database on the local PostgreSQL server with the warehouse schema migrated."""
    return migrated_warehouse(postgres_url)


POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


class PrivateCluster:
    """A PostgreSQL server of a test's own, in a temporary folder on a free port, that the
    test may restart: the machine's shared server must never be. As root the cluster runs as
    the `postgres` OS user (the server refuses to run as root)."""

    def __init__(self, folder: Path):
        self.folder, self.data = folder, folder / "data"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        command = [str(POSTGRES_BIN / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.folder)

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-m", "fast", "-o", options, *extra)

    def start(self) -> None:
        self._pg_ctl("start", "-l", str(self.folder / "server.log"))

    def restart(self) -> None:
        """What a server restart does to clients: every connection ends, new ones work."""
        # With a log file, the new server does not hold this process's pipes open.
        self._pg_ctl("restart", "-l", str(self.folder / "server.log"))

    def stop(self) -> None:
        self._pg_ctl("stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        from sqlalchemy import create_engine, text

        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.url(name)

    def terminate(self, pid: int) -> None:
        """End one backend, as an operator's pg_terminate_backend or an OOM kill does."""
        from sqlalchemy import create_engine, text

        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()


@pytest.fixture
def private_postgres():
    """A private PostgreSQL cluster, stopped and removed after the test."""
    if not (POSTGRES_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries are not in {POSTGRES_BIN}")
    import shutil

    folder = Path(tempfile.mkdtemp(prefix="citystats-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    try:
        cluster = PrivateCluster(folder)
    except (subprocess.CalledProcessError, KeyError, LookupError) as error:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"no private PostgreSQL cluster: {error}")
    try:
        yield cluster
    finally:
        from include.warehouse import engine_for

        engine_for.cache_clear()
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
