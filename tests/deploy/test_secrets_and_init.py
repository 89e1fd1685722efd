"""`make compose-env` writes fresh secrets into .env without touching the rest of the template
and never replaces a .env in use; the init step finds the admin users and writes their
password where the simple auth manager reads it."""

from __future__ import annotations

import json
import stat

from cryptography.fernet import Fernet

from deploy import init_deployment, secrets_env


def test_secrets_are_fresh_and_the_fernet_key_is_valid():
    first, second = secrets_env.generate_secrets(), secrets_env.generate_secrets()
    assert set(first) == set(secrets_env.SECRET_NAMES)
    assert all(first[name] != second[name] for name in first)
    Fernet(first["FERNET_KEY"].encode())


def test_only_the_named_lines_get_values():
    example = "# JWT_SECRET= stays a comment\nJWT_SECRET=\nCITYSTATS_ALERT_WEBHOOK=\n"
    assert secrets_env.env_file_text(example, {"JWT_SECRET": "s3"}) == (
        "# JWT_SECRET= stays a comment\nJWT_SECRET=s3\nCITYSTATS_ALERT_WEBHOOK=\n"
    )


def test_compose_env_writes_a_private_file_and_never_replaces_one(tmp_path):
    target = tmp_path / ".env"
    assert secrets_env.main([str(target)]) == 0
    written = target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "\nFERNET_KEY=\n" not in written and "\nCITYSTATS_ALERT_SMTP_PORT=25\n" in written
    assert secrets_env.main([str(target)]) == 1
    assert target.read_text(encoding="utf-8") == written


def test_the_admin_users_get_the_password(tmp_path):
    users = init_deployment.admin_users("admin:admin, viewer:viewer,ops:admin")
    assert users == ["admin", "ops"]
    passwords = tmp_path / "config" / "passwords.json"
    init_deployment.write_passwords(passwords, users, "pw")
    assert json.loads(passwords.read_text()) == {"admin": "pw", "ops": "pw"}
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600


def test_the_init_step_migrates_the_warehouse_and_running_it_again_changes_nothing(
    tmp_path, monkeypatch, capsys
):
    from sqlalchemy import create_engine, inspect

    from include import warehouse
    from include.tables import metadata

    url = f"sqlite:///{tmp_path / 'warehouse' / 'warehouse.sqlite'}"
    monkeypatch.setenv("CITYSTATS_WAREHOUSE_URL", url)
    monkeypatch.setenv("CITYSTATS_ADMIN_PASSWORD", "pw")
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin")
    monkeypatch.setenv(
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(tmp_path / "passwords.json")
    )
    for _ in range(2):
        assert init_deployment.main() == 0
        assert (
            f"warehouse schema at revision {warehouse.head_revision()}" in capsys.readouterr().out
        )
        engine = create_engine(url)
        tables = set(inspect(engine).get_table_names())
        engine.dispose()
        assert tables == {*metadata.tables, warehouse.VERSION_TABLE}
