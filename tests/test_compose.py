"""docker-compose.yaml is a valid deployment, wired like the local stack, with no public secrets.

Debian's docker-compose can only validate (`docker-compose config`), so that is what runs here;
every run gets its variables from an explicit env file, never from a developer's `.env`.
The last tests check the local stack's generated secrets (scripts/stack.sh env, no cluster).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"

# Every secret of the deployment; the compose file must require each of them (${VAR:?message}).
SECRETS = {
    "POSTGRES_PASSWORD", "AIRFLOW_DB_PASSWORD", "KUOTA_PG_PASSWORD",
    "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "KUOTA_S3_ACCESS_KEY", "KUOTA_S3_SECRET_KEY",
    "AIRFLOW_FERNET_KEY", "AIRFLOW_API_SECRET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD",
}
# The public defaults this file once had: none may come back.
OLD_LITERALS = ("kuota-minio", "change-me", ":kuota@", "POSTGRES_PASSWORD:-", "kuota-local")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|_KEY\b|MINIO_ROOT_USER")


def generated_secrets() -> dict[str, str]:
    """What the README's one-liner writes: hex, and a Fernet key for the Fernet key."""
    import base64
    return {name: (base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() if name.endswith("FERNET_KEY")
                   else secrets.token_hex(24)) for name in SECRETS}


def compose_config(tmp_path: Path, values: dict[str, str] | None = None, env_file: Path | None = None):
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose not found: install Debian's docker-compose package (.ci/run does)")
    if env_file is None:
        env_file = tmp_path / "compose.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in (values or {}).items()))
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run([tool, "-f", str(COMPOSE), "--env-file", str(env_file), "config"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def values() -> dict[str, str]:
    return generated_secrets()


@pytest.fixture(scope="module")
def config(tmp_path_factory, values) -> dict:
    done = compose_config(tmp_path_factory.mktemp("compose"), values)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_has_the_airflow_3_services(config):
    assert {"postgres", "minio", "minio-init", "airflow-init", "airflow-apiserver", "airflow-scheduler",
            "airflow-dag-processor", "airflow-triggerer"} <= set(config["services"])
    assert config["services"]["airflow-triggerer"]["command"] in ("triggerer", ["triggerer"])


def test_compose_uses_the_local_stacks_connection_names(config):
    stack = (ROOT / "scripts" / "stack.sh").read_text()
    for service in ("airflow-scheduler", "airflow-apiserver", "airflow-triggerer", "airflow-dag-processor"):
        env = config["services"][service]["environment"]
        for name in ("AIRFLOW_CONN_KUOTA_WAREHOUSE", "AIRFLOW_CONN_KUOTA_S3", "KUOTA_BUCKET"):
            assert name in env and name in stack, (service, name)


def test_compose_publishes_only_on_loopback(config):
    for name, service in config["services"].items():
        for port in service.get("ports", []):
            published = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port.get('published')}"
            assert published.startswith("127.0.0.1:"), (name, port)


def test_compose_requires_every_secret_with_a_message_and_no_default():
    text = COMPOSE.read_text()
    for literal in OLD_LITERALS:
        assert literal not in text, literal
    used = set(re.findall(r"(?<!\$)\$\{(\w+)", text))
    assert SECRETS <= used, SECRETS - used
    for name in used:
        forms = re.findall(r"(?<!\$)\$\{" + name + r"(:?[-?=+]?)([^}]*)\}", text)
        if SECRET_NAME.search(name):
            assert name in SECRETS, f"{name} looks like a secret: add it to SECRETS and .env.example"
            for op, message in forms:
                assert op == ":?" and name in message and ".env" in message, (name, op, message)


def test_compose_without_the_secrets_refuses_naming_the_missing_one(tmp_path, values):
    done = compose_config(tmp_path, {})
    assert done.returncode != 0
    assert re.search(r"set (\w+) in \.env", done.stderr), done.stderr
    for missing in ("KUOTA_PG_PASSWORD", "AIRFLOW_ADMIN_PASSWORD"):
        done = compose_config(tmp_path, {k: v for k, v in values.items() if k != missing})
        assert done.returncode != 0
        assert f"set {missing} in .env" in done.stderr, done.stderr


def test_env_example_lists_every_secret_as_an_empty_placeholder(tmp_path):
    entries = dict(line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines()
                   if line and not line.startswith("#"))
    assert SECRETS <= set(entries), SECRETS - set(entries)
    assert all(entries[name] == "" for name in SECRETS), {n: entries[n] for n in SECRETS if entries[n]}
    # Copied as it is, it is not a working configuration.
    assert compose_config(tmp_path, env_file=ENV_EXAMPLE).returncode != 0


def test_compose_takes_every_secret_from_the_environment(config, values):
    seen = set()
    for name, service in config["services"].items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            if key.startswith("AIRFLOW_CONN_") and value.startswith("{"):
                conn = json.loads(value)
                parts = [conn.get("login"), conn.get("password")]
            elif "://" in value and "@" in value:
                parts = [urlsplit(value).password]
            elif SECRET_NAME.search(key) and key != "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE":
                parts = [value]
            else:
                continue
            for part in parts:
                assert part in values.values(), (name, key)
                seen.add(part)
    assert seen == set(values.values()), "a secret is set but used nowhere"


def test_gitignore_keeps_secrets_out():
    for path in (".env", ".stack/secrets", ".stack/env"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0, path
    assert subprocess.run(["git", "check-ignore", "-q", ".env.example"], cwd=ROOT).returncode == 1


def stack_env(stack_dir: Path) -> dict[str, str]:
    env = dict(os.environ, KUOTA_STACK_DIR=str(stack_dir), KUOTA_PG_DATA=str(stack_dir / "no-cluster"))
    done = subprocess.run([str(ROOT / "scripts" / "stack.sh"), "env"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return dict(re.findall(r"^export (\w+)='(.*)'$", done.stdout, re.M))


def test_local_stack_generates_its_secrets_once_per_stack_directory(tmp_path):
    first = stack_env(tmp_path / "a")
    assert stack_env(tmp_path / "a") == first
    secrets_file = tmp_path / "a" / "secrets"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    password = urlsplit(first["KUOTA_WAREHOUSE_DSN"]).password
    generated = [password, first["AWS_ACCESS_KEY_ID"], first["AWS_SECRET_ACCESS_KEY"]]
    assert all(re.fullmatch(r"[0-9a-f]{48,}", value) for value in generated), generated
    assert len(set(generated)) == 3
    assert urlsplit(first["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).password == password
    conn = json.loads(first["AIRFLOW_CONN_KUOTA_S3"])
    assert (conn["login"], conn["password"]) == (first["AWS_ACCESS_KEY_ID"], first["AWS_SECRET_ACCESS_KEY"])
    other = stack_env(tmp_path / "b")
    assert urlsplit(other["KUOTA_WAREHOUSE_DSN"]).password != password
