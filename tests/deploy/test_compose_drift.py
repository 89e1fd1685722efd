"""docker-compose.yml and `make prod-shape` describe one deployment: the same services running
the same commands, the same executor and shared settings (deploy/airflow.env), the same
per-deployment variables, and the secrets of .env.example. Docker cannot run here, so this is
what keeps the compose file honest."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import yaml

from deploy import prod_shape
from deploy.secrets_env import SECRET_NAMES
from include.alerts import ALERT_SETTINGS
from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
SHARED_SETTINGS = prod_shape.read_env_file(REPO / "deploy" / "airflow.env")
AIRFLOW_SERVICES = sorted(prod_shape.SERVICES)
INFRASTRUCTURE = {"postgres", "redis", "airflow-init"}
SECRETS = dict.fromkeys(SECRET_NAMES, "secret")


def compose_environment(service: str) -> dict[str, str]:
    return {name: str(value) for name, value in SERVICES[service]["environment"].items()}


CALLER = {name: "x" for name in prod_shape.PASSED_THROUGH}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> prod_shape.Deployment:
    return prod_shape.Deployment.new(tmp_path_factory.mktemp("prod-shape"), CALLER)


@pytest.fixture(scope="module")
def prod_shape_environment(deployment) -> dict[str, str]:
    """What `make prod-shape` gives its processes, with every pass-through variable set."""
    return prod_shape.process_environment(deployment, SECRETS, CALLER)


def test_the_same_services_run_the_same_commands():
    assert set(SERVICES) == INFRASTRUCTURE | set(prod_shape.SERVICES)
    for service, command in prod_shape.SERVICES.items():
        assert SERVICES[service]["command"].split() == list(command), service


def test_every_long_running_service_has_a_health_check():
    for service in SERVICES.keys() - {"airflow-init"}:
        assert SERVICES[service]["healthcheck"]["test"], service


def test_both_read_the_shared_settings_file():
    assert prod_shape.SETTINGS_FILE == REPO / "deploy" / "airflow.env"
    for service in [*AIRFLOW_SERVICES, "airflow-init"]:
        assert SERVICES[service]["env_file"] == ["deploy/airflow.env"], service
    makefile = (REPO / "deploy" / "prod-shape.mk").read_text(encoding="utf-8")
    assert "-m deploy.prod_shape" in makefile


def test_the_executor_is_celery_and_nothing_overrides_the_shared_settings(
    prod_shape_environment,
):
    assert SHARED_SETTINGS["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for service in [*AIRFLOW_SERVICES, "airflow-init"]:
        assert not SHARED_SETTINGS.keys() & compose_environment(service).keys(), service
    for name, value in SHARED_SETTINGS.items():
        assert prod_shape_environment[name] == value, name


def test_the_same_per_deployment_variables_are_set(deployment, prod_shape_environment):
    compose = compose_environment("airflow-scheduler")
    prod_shape_keys = set(prod_shape.deployment_settings(deployment, SECRETS))
    assert set(compose) == prod_shape_keys | set(prod_shape.PASSED_THROUGH)
    assert compose.keys() <= prod_shape_environment.keys()
    for service in AIRFLOW_SERVICES:
        extra = compose_environment(service).keys() - compose.keys()
        assert extra <= {"DUMB_INIT_SETSID"}, service  # a Docker entrypoint detail


def test_alerts_reach_every_process():
    assert set(prod_shape.PASSED_THROUGH) == {"CITYSTATS_CITY_CONFIG", *ALERT_SETTINGS}


@pytest.mark.parametrize(
    "name",
    [
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW__CELERY__RESULT_BACKEND",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "CITYSTATS_WAREHOUSE_URL",
    ],
)
def test_addresses_differ_only_in_host_and_credentials(name, prod_shape_environment):
    compose, local = (
        urlsplit(compose_environment("airflow-scheduler")[name]),
        urlsplit(prod_shape_environment[name]),
    )
    assert compose.scheme == local.scheme
    if name == "AIRFLOW__CORE__EXECUTION_API_SERVER_URL":
        assert compose.path == local.path == "/execution/"


def test_the_init_step_gets_the_admin_password_and_nothing_else_new():
    init = compose_environment("airflow-init")
    assert init.keys() - compose_environment("airflow-scheduler").keys() == set(
        prod_shape.INIT_ONLY_SETTINGS
    )


def test_secrets_come_from_env_and_are_documented_in_env_example():
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    interpolated = set(re.findall(r"(?<!\$)\$\{(\w+)", text))
    example = prod_shape.read_env_file(REPO / ".env.example")
    assert interpolated <= example.keys()
    assert set(SECRET_NAMES) <= interpolated
    assert all(example[name] == "" for name in SECRET_NAMES), "no real secret is committed"


def test_the_image_is_the_locked_airflow_version():
    locked = re.search(r"^apache-airflow==(\S+)$", (REPO / "requirements.lock").read_text(), re.M)
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert f"FROM apache/airflow:{locked.group(1)}-python3.11" in dockerfile


def test_only_the_ui_is_published_and_on_this_host_by_default():
    published = {
        name: service["ports"]
        for name, service in COMPOSE["services"].items()
        if "ports" in service
    }
    assert published == {"airflow-apiserver": ["${CITYSTATS_UI_BIND:-127.0.0.1}:8080:8080"]}
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    assert "\nCITYSTATS_UI_BIND=127.0.0.1\n" in example


def test_a_lost_workers_queued_task_is_sent_again_well_before_airflows_ten_minutes(
    prod_shape_environment,
):
    """Both deployments read airflow.env; compose adds nothing over it (checked above)."""
    queued_timeout = float(SHARED_SETTINGS["AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT"])
    heartbeat_timeout = float(
        SHARED_SETTINGS["AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT"]
    )
    assert queued_timeout <= 180
    # Still long enough for a task waiting behind a full worker's slots (tasks of seconds to a
    # minute), and not shorter than the wait for a running task's lost heartbeat.
    assert queued_timeout >= 2 * heartbeat_timeout
    assert prod_shape_environment["AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT"] == str(
        int(queued_timeout)
    )
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"set to {int(queued_timeout) // 60} minutes in `deploy/airflow.env`" in readme
