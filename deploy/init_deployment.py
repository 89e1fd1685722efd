"""The init step of a deployment, run after `airflow db migrate` by the compose service
`airflow-init` and by `make prod-shape`: the warehouse database and its schema (migrated by
Alembic to the newest revision, `include.warehouse.migrate`), and the password of the admin
user(s) of Airflow's simple auth manager.

Reads CITYSTATS_WAREHOUSE_URL, CITYSTATS_ADMIN_PASSWORD,
AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS and AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE.
Running it again changes nothing but the password.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from include.warehouse import migrate


def ensure_database(url: str) -> None:
    """Create the database of a PostgreSQL `url` if the server does not have it yet."""
    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        server.dispose()


def create_warehouse_schema(url: str) -> str | None:
    """Create or upgrade the warehouse schema; the revision it is at afterwards."""
    return migrate(url)


def admin_users(users_setting: str) -> list[str]:
    """The users given the admin role in `[core] simple_auth_manager_users` ("name:role,...")."""
    entries = [entry.split(":") for entry in users_setting.split(",") if entry.strip()]
    return [parts[0].strip() for parts in entries if len(parts) > 1 and parts[1] == "admin"]


def write_passwords(path: str | Path, users: list[str], password: str) -> None:
    """The simple auth manager reads passwords from this JSON file and only generates (and
    logs) one for a user missing from it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(dict.fromkeys(users, password), handle)


def main() -> int:
    env = os.environ
    warehouse_url = env["CITYSTATS_WAREHOUSE_URL"]
    ensure_database(warehouse_url)
    revision = create_warehouse_schema(warehouse_url)
    users = admin_users(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"])
    write_passwords(
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"],
        users,
        env["CITYSTATS_ADMIN_PASSWORD"],
    )
    print(f"warehouse schema at revision {revision}; password set for {', '.join(users)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
