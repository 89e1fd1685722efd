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
