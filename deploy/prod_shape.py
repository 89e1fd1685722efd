"""`make prod-shape` / `make prod-shape-stop`: the services of docker-compose.yml as processes
of this host, for a machine without Docker: the api-server, scheduler, dag-processor,
triggerer and a Celery worker (CeleryExecutor over Redis), on a fresh PostgreSQL database for
Airflow's metadata and another for the warehouse, with the settings of deploy/airflow.env.

    python -m deploy.prod_shape [--state-dir .prod-shape] start
    python -m deploy.prod_shape start-service airflow-worker    (again, after a crash)
    python -m deploy.prod_shape stop [--keep-databases]

The state folder holds deployment.json (databases, ports, queue), environment.json and
env.sh (every setting the processes got, secrets included: mode 0600), one <service>.pid and
logs/<service>.log per service, and the AIRFLOW_HOME. `stop` ends exactly the processes whose
pid files are there (and their process trees), after checking that each pid still names the
process started then, and drops the two databases.

Database names are fresh per start (or CITYSTATS_PROD_SHAPE_METADATA_DB / _WAREHOUSE_DB, which
must not exist yet), and so is the Celery queue; ports are free ones, so several deployments
can share one host.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from uuid import uuid4

import psutil

from deploy.secrets_env import generate_secrets
from include.alerts import ALERT_SETTINGS

REPO = Path(__file__).resolve().parent.parent
SETTINGS_FILE = REPO / "deploy" / "airflow.env"
DEFAULT_STATE_DIR = REPO / ".prod-shape"
AIRFLOW = Path(sys.executable).with_name("airflow")
# The same commands the compose services run (`command:` in docker-compose.yml).
SERVICES = {
    "airflow-apiserver": ("api-server",),
    "airflow-scheduler": ("scheduler",),
    "airflow-dag-processor": ("dag-processor",),
    "airflow-triggerer": ("triggerer",),
    "airflow-worker": ("celery", "worker"),
}
# Signalled in this order: the worker first, so that nothing new starts while the rest stops.
STOP_ORDER = (
    "airflow-worker",
    "airflow-scheduler",
    "airflow-triggerer",
    "airflow-dag-processor",
    "airflow-apiserver",
)
DAG_IDS = ("city_daily_report", "city_quarterly_report", "citystats_approval")
# Settings passed through from the caller's environment when set (compose: `${NAME:-}`).
PASSED_THROUGH = ("CITYSTATS_CITY_CONFIG", *ALERT_SETTINGS)
# Given to the init step only, as compose gives it to airflow-init only.
INIT_ONLY_SETTINGS = ("CITYSTATS_ADMIN_PASSWORD",)
READY_TIMEOUT_SECONDS = 240
STOP_GRACE_SECONDS = 20


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines; blank lines and # comments skipped (the env_file format of Compose)."""
    settings = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            settings[name.strip()] = value.strip()
    return settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Deployment:
    """What one start chose; written to deployment.json so that every later command agrees."""

    id: str
    state_dir: str
    postgres: str  # server URL without a database, e.g. postgresql+psycopg2://postgres@host:5432
    metadata_db: str
    warehouse_db: str
    redis: str  # server URL without a database index
    redis_db: int
    queue: str
    api_port: int
    scheduler_health_port: int
    worker_log_port: int
    trigger_log_port: int
    landing: str
    publish: str
    pipeline_state: str

    @classmethod
    def new(cls, state_dir: Path, env: dict[str, str]) -> Deployment:
        token = uuid4().hex[:10]
        return cls(
            id=token,
            state_dir=str(state_dir.resolve()),
            postgres=env.get(
                "CITYSTATS_PROD_SHAPE_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432"
            ),
            metadata_db=env.get("CITYSTATS_PROD_SHAPE_METADATA_DB", f"citystats_airflow_{token}"),
            warehouse_db=env.get(
                "CITYSTATS_PROD_SHAPE_WAREHOUSE_DB", f"citystats_warehouse_{token}"
            ),
            redis=env.get("CITYSTATS_PROD_SHAPE_REDIS", "redis://127.0.0.1:6379"),
            # Index 0 is every other client's default; the queue name below is what isolates.
            redis_db=int(env.get("CITYSTATS_PROD_SHAPE_REDIS_DB", 1 + int(token, 16) % 15)),
            queue=f"citystats-{token}",
            api_port=free_port(),
            scheduler_health_port=free_port(),
            worker_log_port=free_port(),
            trigger_log_port=free_port(),
            landing=_absolute(env.get("CITYSTATS_LANDING") or REPO / "data" / "landing"),
            publish=_absolute(env.get("CITYSTATS_PUBLISH") or REPO / "data" / "published"),
            pipeline_state=_absolute(env.get("CITYSTATS_STATE") or REPO / "data" / "state"),
        )

    @classmethod
    def load(cls, state_dir: Path) -> Deployment:
        return cls(**json.loads((state_dir / "deployment.json").read_text(encoding="utf-8")))

    @property
    def folder(self) -> Path:
        return Path(self.state_dir)

    @property
    def airflow_home(self) -> Path:
        return self.folder / "airflow-home"

    @property
    def metadata_url(self) -> str:
        return f"{self.postgres}/{self.metadata_db}"

    @property
    def warehouse_url(self) -> str:
        return f"{self.postgres}/{self.warehouse_db}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def pid_file(self, service: str) -> Path:
        return self.folder / f"{service}.pid"

    def log_file(self, service: str) -> Path:
        return self.folder / "logs" / f"{service}.log"


def deployment_settings(deployment: Deployment, secrets: dict[str, str]) -> dict[str, str]:
    """The settings that differ per deployment: docker-compose.yml sets these same keys for
    its containers (service host names, container paths, secrets from .env)."""
    metadata = deployment.metadata_url
    return {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
        "AIRFLOW__CELERY__BROKER_URL": f"{deployment.redis}/{deployment.redis_db}",
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata.replace("+psycopg2", "", 1),
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": deployment.queue,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{deployment.api_url}/execution/",
        "AIRFLOW__API__BASE_URL": deployment.api_url,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(
            deployment.airflow_home / "simple_auth_manager_passwords.json"
        ),
        "AIRFLOW__CORE__FERNET_KEY": secrets["FERNET_KEY"],
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets["JWT_SECRET"],
        "AIRFLOW__API__SECRET_KEY": secrets["API_SECRET_KEY"],
        "CITYSTATS_LANDING": deployment.landing,
        "CITYSTATS_PUBLISH": deployment.publish,
        "CITYSTATS_STATE": deployment.pipeline_state,
        "CITYSTATS_WAREHOUSE_URL": deployment.warehouse_url,
    }


def host_only_settings(deployment: Deployment) -> dict[str, str]:
    """Listening addresses: containers each have their own network, processes share this
    host's, so each process gets free ports where compose keeps Airflow's defaults."""
    return {
        "AIRFLOW_HOME": str(deployment.airflow_home),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(deployment.api_port),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(
            deployment.scheduler_health_port
        ),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(deployment.worker_log_port),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(deployment.trigger_log_port),
    }


def process_environment(
    deployment: Deployment, secrets: dict[str, str], caller: dict[str, str]
) -> dict[str, str]:
    """Every Airflow setting comes from this deployment, none from the caller (the Makefile
    exports its own AIRFLOW_HOME and SQLite warehouse for `make backfill`)."""
    base = {
        name: value
        for name, value in caller.items()
        if not name.startswith(("AIRFLOW", "CITYSTATS_")) or name in PASSED_THROUGH
    }
    return {
        **base,
        **read_env_file(SETTINGS_FILE),
        **deployment_settings(deployment, secrets),
        **host_only_settings(deployment),
    }


def _absolute(path: str | Path) -> str:
    return str(Path(path).resolve())


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _save(deployment: Deployment, environment: dict[str, str]) -> None:
    folder = deployment.folder
    (folder / "deployment.json").write_text(json.dumps(asdict(deployment), indent=2) + "\n")
    _write_private(folder / "environment.json", json.dumps(environment, indent=2) + "\n")
    exports = [
        f"export {name}={shlex.quote(value)}"
        for name, value in sorted(environment.items())
        if name.startswith(("AIRFLOW", "CITYSTATS_", "GX_"))
    ]
    header = "# . this file to run the airflow CLI against the prod-shape deployment\n"
    _write_private(folder / "env.sh", header + "\n".join(exports) + "\n")


def _environment(deployment: Deployment) -> dict[str, str]:
    return json.loads((deployment.folder / "environment.json").read_text(encoding="utf-8"))


def _sql_engine(url: str):
    from sqlalchemy import create_engine

    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _create_databases(deployment: Deployment) -> None:
    """Both databases, new: `stop` drops them, so an existing one is never taken over."""
    from sqlalchemy import text

    engine = _sql_engine(f"{deployment.postgres}/postgres")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{deployment.metadata_db}"'))
            try:
                connection.execute(text(f'CREATE DATABASE "{deployment.warehouse_db}"'))
            except Exception:
                connection.execute(text(f'DROP DATABASE "{deployment.metadata_db}"'))
                raise
    finally:
        engine.dispose()


def _drop_databases(deployment: Deployment) -> None:
    from sqlalchemy import text

    engine = _sql_engine(f"{deployment.postgres}/postgres")
    try:
        with engine.connect() as connection:
            for name in (deployment.metadata_db, deployment.warehouse_db):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def _forget_queue(deployment: Deployment) -> None:
    """Drop this deployment's messages from Redis: its queue, and the messages a killed worker
    left unacknowledged for it. Only its own keys and entries: the index may be shared."""
    import redis

    client = redis.Redis.from_url(f"{deployment.redis}/{deployment.redis_db}")
    try:
        client.delete(deployment.queue, f"_kombu.binding.{deployment.queue}")
        for tag, entry in client.hgetall("unacked").items():
            _message, _exchange, routing_key = json.loads(entry)  # kombu's Redis QoS format
            if routing_key == deployment.queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()


def _run_step(deployment: Deployment, name: str, command: list[str]) -> None:
    log = deployment.log_file(name)
    with log.open("wb") as output:
        finished = subprocess.run(
            command,
            env=_environment(deployment),
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if finished.returncode != 0:
        raise RuntimeError(f"{name} failed; see {log}:\n{_tail(log)}")


def initialise(deployment: Deployment) -> None:
    """What the compose service `airflow-init` does: migrate, warehouse schema, admin user."""
    _run_step(deployment, "airflow-init-migrate", [str(AIRFLOW), "db", "migrate"])
    _run_step(
        deployment,
        "airflow-init-deployment",
        [sys.executable, "-m", "deploy.init_deployment"],
    )


def start_service(deployment: Deployment, service: str) -> int:
    """Start one service in its own session (process group); its pid goes to <service>.pid."""
    if _live_process(deployment, service) is not None:
        raise RuntimeError(f"{service} is already running")
    log = deployment.log_file(service)
    pid_file = deployment.pid_file(service)
    if log.exists() and pid_file.exists():
        # Keep the log of the process this one replaces, named after its pid.
        log.rename(log.with_name(f"{service}.{pid_file.read_text().strip()}.log"))
    with log.open("ab") as output:
        environment = _environment(deployment)
        process = subprocess.Popen(
            [str(AIRFLOW), *SERVICES[service]],
            env={k: v for k, v in environment.items() if k not in INIT_ONLY_SETTINGS},
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pid_file.write_text(f"{process.pid}\n")
    return process.pid


def _live_process(deployment: Deployment, service: str):
    """The service's process if its pid file names a live process of this deployment."""
    pid_file = deployment.pid_file(service)
    if not pid_file.exists():
        return None
    try:
        process = psutil.Process(int(pid_file.read_text().strip()))
        # The pid file is written the moment the process starts: a process created later
        # got a recycled pid and belongs to someone else. (Its environment cannot tell:
        # Airflow's setproctitle overwrites what /proc shows of it.)
        if process.create_time() > pid_file.stat().st_mtime + 1:
            return None
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process
    except (psutil.Error, ValueError):
        return None


def _signal_tree(processes, send) -> None:
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            send(process)


def kill_trees(processes, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM each process, its process group and every descendant (task processes may have
    left the group); SIGKILL whatever is still alive after the grace period."""
    members = []
    for process in processes:
        members += [process, *process.children(recursive=True)]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    _signal_tree(members, psutil.Process.terminate)
    _, alive = psutil.wait_procs(members, timeout=grace_seconds)
    _signal_tree(alive, psutil.Process.kill)
    psutil.wait_procs(alive, timeout=5)


def stop_services(deployment: Deployment) -> list[str]:
    running = {service: _live_process(deployment, service) for service in STOP_ORDER}
    running = {service: process for service, process in running.items() if process}
    kill_trees(list(running.values()))
    for service in STOP_ORDER:
        deployment.pid_file(service).unlink(missing_ok=True)
    return [f"{service} (pid {process.pid})" for service, process in running.items()]


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


def _metadata_rows(deployment: Deployment, query: str) -> list[tuple]:
    from sqlalchemy import text

    engine = _sql_engine(deployment.metadata_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    except Exception:  # the schema may not be readable yet while services start
        return []
    finally:
        engine.dispose()


def readiness(deployment: Deployment) -> dict[str, bool]:
    """Per service, whether it does its job yet (the compose health checks, seen from here)."""
    jobs = {
        job_type
        for (job_type,) in _metadata_rows(
            deployment, "SELECT DISTINCT job_type FROM job WHERE state = 'running'"
        )
    }
    dags = {dag_id for (dag_id,) in _metadata_rows(deployment, "SELECT dag_id FROM dag")}
    worker_log = deployment.log_file("airflow-worker")
    worker_output = worker_log.read_text(errors="replace") if worker_log.exists() else ""
    return {
        "airflow-apiserver": _http_ok(f"{deployment.api_url}/api/v2/version"),
        "airflow-scheduler": _http_ok(
            f"http://127.0.0.1:{deployment.scheduler_health_port}/health"
        ),
        "airflow-dag-processor": set(DAG_IDS) <= dags,
        "airflow-triggerer": "TriggererJob" in jobs,
        # Celery logs "celery@<host> ready." once it consumes from the queue.
        "airflow-worker": " ready." in worker_output,
    }


def wait_until_ready(deployment: Deployment, services=tuple(SERVICES)) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        for service in services:
            if _live_process(deployment, service) is None:
                log = deployment.log_file(service)
                raise RuntimeError(f"{service} exited; see {log}:\n{_tail(log)}")
        state = readiness(deployment)
        waiting = [service for service in services if not state[service]]
        if not waiting:
            return
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {s}\n{_tail(deployment.log_file(s))}" for s in waiting)
            raise RuntimeError(f"not ready after {READY_TIMEOUT_SECONDS} s: {waiting}\n{tails}")
        time.sleep(2)


def _tail(log: Path, lines: int = 30) -> str:
    if not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def start(state_dir: Path) -> Deployment:
    if (state_dir / "deployment.json").exists():
        previous = Deployment.load(state_dir)
        if any(_live_process(previous, service) for service in SERVICES):
            raise RuntimeError(f"a deployment is running from {state_dir}: stop it first")
        shutil.rmtree(state_dir)
    (state_dir / "logs").mkdir(parents=True)
    deployment = Deployment.new(state_dir, dict(os.environ))
    secrets = generate_secrets()
    environment = process_environment(deployment, secrets, dict(os.environ))
    environment["CITYSTATS_ADMIN_PASSWORD"] = secrets["ADMIN_PASSWORD"]
    deployment.airflow_home.mkdir()
    _save(deployment, environment)
    _create_databases(deployment)
    try:
        initialise(deployment)
        for service in SERVICES:
            start_service(deployment, service)
        wait_until_ready(deployment)
    except BaseException:
        stop(deployment, keep_databases=False)
        raise
    return deployment


def stop(deployment: Deployment, keep_databases: bool) -> list[str]:
    stopped = stop_services(deployment)
    if not keep_databases:
        _drop_databases(deployment)
        _forget_queue(deployment)
    return stopped


def _summary(deployment: Deployment, seconds: float) -> str:
    password = _environment(deployment)["CITYSTATS_ADMIN_PASSWORD"]
    folder = deployment.folder
    return "\n".join(
        [
            f"prod-shape deployment {deployment.id} up in {seconds:.0f} s (state: {folder})",
            f"  UI and API      {deployment.api_url}  (user admin, password {password})",
            f"  metadata        {deployment.metadata_url}",
            f"  warehouse       {deployment.warehouse_url}",
            f"  broker          {deployment.redis}/{deployment.redis_db}, queue {deployment.queue}",
            f"  landing         {deployment.landing}",
            f"  publish         {deployment.publish}",
            f"  logs            {folder / 'logs'}",
            f"  airflow CLI     . {folder / 'env.sh'} && airflow ...",
            "  stop            make prod-shape-stop",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.prod_shape", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("start", help="initialise fresh databases and start every service")
    restart = commands.add_parser("start-service", help="start one service that is not running")
    restart.add_argument("service", choices=tuple(SERVICES))
    stopping = commands.add_parser("stop", help="end the services started from --state-dir")
    stopping.add_argument(
        "--keep-databases", action="store_true", help="leave the two databases in place"
    )
    args = parser.parse_args(argv)
    state_dir = args.state_dir.resolve()

    if args.command == "start":
        started = time.monotonic()
        deployment = start(state_dir)
        print(_summary(deployment, time.monotonic() - started))
        return 0
    if not (state_dir / "deployment.json").exists():
        print(f"no prod-shape deployment in {state_dir}", file=sys.stderr)
        return 1 if args.command == "start-service" else 0
    deployment = Deployment.load(state_dir)
    if args.command == "start-service":
        pid = start_service(deployment, args.service)
        wait_until_ready(deployment, (args.service,))
        print(f"{args.service} started (pid {pid})")
        return 0
    stopped = stop(deployment, keep_databases=args.keep_databases)
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    if not args.keep_databases:
        print(f"dropped databases {deployment.metadata_db} and {deployment.warehouse_db}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
