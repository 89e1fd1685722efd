"""The deployment's secrets. `make compose-env` writes them into `.env` (from `.env.example`)
for docker-compose.yml; `make prod-shape` makes a fresh set at each start.

Usage: python -m deploy.secrets_env [--force] PATH
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / ".env.example"
# The names docker-compose.yml interpolates from .env; each maps to one Airflow setting there.
SECRET_NAMES = ("FERNET_KEY", "JWT_SECRET", "API_SECRET_KEY", "POSTGRES_PASSWORD", "ADMIN_PASSWORD")


def generate_secrets() -> dict[str, str]:
    values = {name: secrets.token_urlsafe(32) for name in SECRET_NAMES}
    values["FERNET_KEY"] = Fernet.generate_key().decode()
    return values


def env_file_text(example: str, values: dict[str, str]) -> str:
    """`example` with each `NAME=` line whose name is in `values` given that value."""
    lines = []
    for line in example.splitlines():
        name, separator, _ = line.partition("=")
        if separator and not line.lstrip().startswith("#") and name.strip() in values:
            line = f"{name.strip()}={values[name.strip()]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    args = parser.parse_args(argv)
    if args.path.exists() and not args.force:
        # A new POSTGRES_PASSWORD or FERNET_KEY would lock the deployment out of its own data.
        print(
            f"{args.path} exists; keep it (its secrets are in use) or pass --force",
            file=sys.stderr,
        )
        return 1
    values = {**generate_secrets(), "AIRFLOW_UID": str(os.getuid())}
    descriptor = os.open(args.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(env_file_text(EXAMPLE.read_text(encoding="utf-8"), values))
    print(f"wrote {args.path} with new secrets ({', '.join(SECRET_NAMES)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
