"""docker-compose.yaml is a valid deployment, wired like the local stack, with no public secrets.

Debian's docker-compose can only validate (`docker-compose config`), so that is what runs here;
every run gets its variables from an explicit env file, never from a developer's `.env`.  The
resolved config is checked for what the UI needs to show task logs (one secret key, one logs
volume), healthchecks the pinned Airflow understands, loopback-only ports; the Dockerfile and
.dockerignore for the kuota package and a small build context.
The last tests check the local stack's generated secrets (scripts/stack.sh env, no cluster).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import secrets
import shlex
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
AIRFLOW_IMAGE = "kuota-airflow:3.3.2"

# Every secret of the deployment; the compose file must require each of them (${VAR:?message}).
SECRETS = {
    "POSTGRES_PASSWORD",
    "AIRFLOW_DB_PASSWORD",
    "KUOTA_PG_PASSWORD",
    "MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD",
    "KUOTA_S3_ACCESS_KEY",
    "KUOTA_S3_SECRET_KEY",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_ADMIN_PASSWORD",
    "REDIS_PASSWORD",
}
# The public defaults this file once had: none may come back.
OLD_LITERALS = ("kuota-minio", "change-me", ":kuota@", "POSTGRES_PASSWORD:-", "kuota-local")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|_KEY\b|MINIO_ROOT_USER")


def generated_secrets() -> dict[str, str]:
    """What the README's one-liner writes: hex, and a Fernet key for the Fernet key."""
    import base64

    return {
        name: (
            base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
            if name.endswith("FERNET_KEY")
            else secrets.token_hex(24)
        )
        for name in SECRETS
    }


def compose_config(tmp_path: Path, values: dict[str, str] | None = None, env_file: Path | None = None):
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose not found: install Debian's docker-compose package (.ci/run does)")
    if env_file is None:
        env_file = tmp_path / "compose.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in (values or {}).items()))
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run(
        [tool, "-f", str(COMPOSE), "--env-file", str(env_file), "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def values() -> dict[str, str]:
    return generated_secrets()


@pytest.fixture(scope="module")
def config(tmp_path_factory, values) -> dict:
    done = compose_config(tmp_path_factory.mktemp("compose"), values)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_has_the_airflow_3_services(config):
    assert {
        "postgres",
        "minio",
        "minio-init",
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    } <= set(config["services"])
    assert config["services"]["airflow-triggerer"]["command"] in ("triggerer", ["triggerer"])


def test_compose_uses_the_local_stacks_connection_names(config):
    stack = (ROOT / "scripts" / "stack.sh").read_text()
    for service in ("airflow-scheduler", "airflow-apiserver", "airflow-triggerer", "airflow-dag-processor"):
        env = config["services"][service]["environment"]
        for name in (
            "AIRFLOW_CONN_KUOTA_WAREHOUSE",
            "AIRFLOW_CONN_KUOTA_S3",
            "KUOTA_BUCKET",
            "KUOTA_WAREHOUSE_DSN",
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        ):
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


@pytest.mark.heavy
def test_compose_without_the_secrets_refuses_naming_the_missing_one(tmp_path, values):
    done = compose_config(tmp_path, {})
    assert done.returncode != 0
    assert re.search(r"set (\w+) in \.env", done.stderr), done.stderr
    for missing in ("KUOTA_PG_PASSWORD", "AIRFLOW_ADMIN_PASSWORD"):
        done = compose_config(tmp_path, {k: v for k, v in values.items() if k != missing})
        assert done.returncode != 0
        assert f"set {missing} in .env" in done.stderr, done.stderr


def test_env_example_lists_every_secret_as_an_empty_placeholder(tmp_path):
    entries = dict(
        line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if line and not line.startswith("#")
    )
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


def airflow_services(config, long_running: bool = False) -> dict[str, dict]:
    """The services of the pipeline's image; long_running leaves the one-shot init step out."""
    return {
        name: service
        for name, service in config["services"].items()
        if service.get("image") == AIRFLOW_IMAGE and not (long_running and service.get("restart") == "no")
    }


def mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) of every volume, in the short (compose v1) or long (v2) form."""
    found = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source", ""), volume["target"]
        found.append((source, target))
    return found


def ports(service: dict) -> list[tuple[str, str, str]]:
    """(host address, published port, container port) of every published port."""
    found = []
    for port in service.get("ports", []):
        if isinstance(port, str):
            bits = port.split("/")[0].rsplit(":", 2)
            host_ip, published, target = ["", ""][: 3 - len(bits)] + bits
        else:
            host_ip, published, target = port.get("host_ip", ""), port.get("published"), port.get("target")
        found.append((host_ip, str(published), str(target)))
    return found


def healthcheck_command(service: dict) -> list[str]:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    assert test[0] in ("CMD", "CMD-SHELL"), test
    return test[1:] if test[0] == "CMD" else shlex.split(test[1])


def test_every_airflow_service_shares_the_secret_key_jwt_secret_and_fernet_key(config, values):
    services = airflow_services(config)
    assert {
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-init",
    } <= set(services)
    for key, secret in (
        ("AIRFLOW__API__SECRET_KEY", "AIRFLOW_API_SECRET_KEY"),
        ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW_JWT_SECRET"),
        ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW_FERNET_KEY"),
    ):
        for name, service in services.items():
            assert service["environment"].get(key) == values[secret], (name, key)
    assert values["AIRFLOW_API_SECRET_KEY"] != values["AIRFLOW_JWT_SECRET"]


def test_every_airflow_service_mounts_one_logs_volume_at_the_base_log_folder(config):
    services = airflow_services(config)
    folders = {service["environment"].get("AIRFLOW__LOGGING__BASE_LOG_FOLDER") for service in services.values()}
    assert len(folders) == 1 and None not in folders, folders
    (folder,) = folders
    assert folder.startswith("/")
    sources = set()
    for name, service in services.items():
        at_folder = [source for source, target in mounts(service) if target == folder]
        assert len(at_folder) == 1, (name, mounts(service))
        sources.add(at_folder[0])
    assert len(sources) == 1, sources
    # A named volume (not a host path), declared at the top level: it outlives the containers.
    (volume,) = sources
    assert not volume.startswith(("/", ".")) and volume in config.get("volumes", {}), volume


def test_log_servers_are_reachable_by_their_recorded_hostname_and_not_published(config):
    # Task instances record the hostname of the container that ran them; the api-server fetches
    # a running (deferred) task's log from that name on the compose network.
    for name in ("airflow-scheduler", "airflow-triggerer"):
        service = config["services"][name]
        assert service.get("hostname") == name, name
        assert not ports(service), (name, ports(service))
    scheduler_env = config["services"]["airflow-scheduler"]["environment"]
    if str(scheduler_env.get("AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK", "")).lower() == "true":
        assert scheduler_env.get("AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST") == "127.0.0.1"


def test_every_long_running_airflow_service_has_a_healthcheck_of_its_own_kind(config):
    services = airflow_services(config, long_running=True)
    assert set(services) == {
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",  # the profile celery
    }
    commands = {}
    for name, service in services.items():
        assert "healthcheck" in service and not service["healthcheck"].get("disable"), name
        commands[name] = " ".join(healthcheck_command(service))
    assert "http://localhost:8080/api/v2/monitor/health" in commands["airflow-apiserver"]
    assert (
        "127.0.0.1:8974/health" in commands["airflow-scheduler"]
        or "--job-type SchedulerJob --local" in commands["airflow-scheduler"]
    )
    assert "airflow jobs check --job-type DagProcessorJob --local" in commands["airflow-dag-processor"]
    assert "airflow jobs check --job-type TriggererJob --local" in commands["airflow-triggerer"]
    # A Celery worker answers its own name's ping (the app of the pinned provider).
    assert "celery_executor.app inspect ping -d" in commands["airflow-worker"]
    assert config["services"]["airflow-worker"]["profiles"] == ["celery"]
    assert config["services"]["redis"]["profiles"] == ["celery"]
    # The LocalExecutor's tasks talk to the api-server's Execution API (the triggerer runs its own).
    scheduler_waits_for = config["services"]["airflow-scheduler"]["depends_on"]
    assert scheduler_waits_for["airflow-apiserver"]["condition"] == "service_healthy"
    for name, service in airflow_services(config).items():
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name


@pytest.mark.heavy
def test_healthchecks_and_settings_exist_in_the_pinned_airflow(config):
    """What compose asks of Airflow is there in the version the image pins (the test venv's)."""
    from airflow.api_fastapi.core_api.routes.public import public_router
    from airflow.cli.cli_parser import get_parser
    from airflow.configuration import conf
    from airflow.version import version

    assert f"apache-airflow=={version}\n" in (ROOT / "requirements.txt").read_text()
    assert AIRFLOW_IMAGE.endswith(f":{version}") and f"apache/airflow:{version}-" in DOCKERFILE.read_text()
    assert "/api/v2/monitor/health" in {route.path for route in public_router.routes}
    parser = get_parser()
    for name in ("airflow-dag-processor", "airflow-triggerer"):
        command = healthcheck_command(config["services"][name])
        assert command[:3] == ["airflow", "jobs", "check"], command
        parsed = parser.parse_args(command[1:])
        assert parsed.local and parsed.job_type in ("DagProcessorJob", "TriggererJob")
    if "8974" in " ".join(healthcheck_command(config["services"]["airflow-scheduler"])):
        assert conf.getint("scheduler", "scheduler_health_check_server_port") == 8974
    described = conf.configuration_description
    for name, service in airflow_services(config).items():
        for key in service["environment"]:
            if key.startswith("AIRFLOW__"):
                section, option = key[len("AIRFLOW__") :].lower().split("__", 1)
                assert option in described.get(section, {}).get("options", {}), (name, key)


def test_ui_and_warehouse_are_published_on_loopback_only(config, tmp_path, values):
    published = {name: ports(service) for name, service in config["services"].items() if ports(service)}
    assert published == {
        "airflow-apiserver": [("127.0.0.1", "8080", "8080")],
        "postgres": [("127.0.0.1", "5432", "5432")],
        "minio": [("127.0.0.1", "9000", "9000"), ("127.0.0.1", "9001", "9001")],
    }, published
    done = compose_config(tmp_path, {**values, "KUOTA_PG_PUBLISH_PORT": "15432"})
    assert done.returncode == 0, done.stderr
    assert ports(yaml.safe_load(done.stdout)["services"]["postgres"]) == [("127.0.0.1", "15432", "5432")]


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, enough for these paths: the last matching pattern wins, a directory's
    exclusion covers what is under it, `**/` also matches at the top."""
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        variants = {pattern, pattern[3:]} if pattern.startswith("**/") else {pattern}
        if any(fnmatch.fnmatchcase(prefix, variant) for prefix in prefixes for variant in variants):
            ignored = not negated
    return ignored


def test_dockerignore_keeps_the_venv_state_and_secrets_out_of_the_build_context():
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    for path in (
        ".venv",
        ".venv/lib/python3.11/site-packages/airflow/__init__.py",
        ".stack",
        ".stack/secrets",
        ".env",
        ".git",
        ".pytest_cache",
        "include/kuota/__pycache__/cli.cpython-311.pyc",
        "include/kuota.egg-info",
    ):
        assert dockerignored(path, patterns), path
    copied = [
        source
        for line in DOCKERFILE.read_text().splitlines()
        if line.startswith(("COPY ", "ADD "))
        for source in [w for w in line.split()[1:-1] if not w.startswith("--")]
    ]
    assert {"requirements.txt", "constraints.txt", "pyproject.toml", "include"} <= set(copied), copied
    for path in copied + ["include/kuota/cli.py", "include/sql/migrations/0001_snapshot.sql"]:
        assert (ROOT / path).exists(), path
        assert not dockerignored(path, patterns), path


def test_dockerfile_installs_the_kuota_package_where_compose_mounts_it(config):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["name"] == "kuota"
    assert project["project"]["scripts"]["kuota"] == "kuota.cli:main"
    where = project["tool"]["setuptools"]["packages"]["find"]["where"]
    assert where == ["include"], where
    text = DOCKERFILE.read_text()
    install = re.search(r"^RUN pip install [^\n]*?(?:-e|--editable) (\S+)\s*$", text, re.M)
    assert install, "the Dockerfile does not install the kuota package (pip install -e <project>)"
    project_dir = install[1].rstrip("/")
    copies = re.findall(r"^COPY (?:--\S+ )*(.+) (\S+)$", text, re.M)
    assert any("pyproject.toml" in sources.split() and dest.rstrip("/") == project_dir for sources, dest in copies), (
        copies
    )
    assert any(
        sources.split() == ["include"] and dest.rstrip("/") == f"{project_dir}/include" for sources, dest in copies
    ), copies
    # Editable from the path compose mounts the working tree's include/ at: one copy of the code.
    for name, service in airflow_services(config).items():
        assert (str(ROOT / "include"), f"{project_dir}/include") in mounts(service), (name, mounts(service))


def test_compose_header_and_readme_document_the_admin_login_and_the_warehouse():
    header = "".join(line for line in COMPOSE.read_text().splitlines(True) if line.startswith("#"))
    for word in ("AIRFLOW_ADMIN_USER", "AIRFLOW_ADMIN_PASSWORD", "KUOTA_PG_PUBLISH_PORT"):
        assert word in header, word
    readme = (ROOT / "README.md").read_text()
    docker = readme[readme.index("## Deployment with Docker") :]
    docker = docker[: docker.index("\n## ", 1)]
    for word in (
        "AIRFLOW_ADMIN_USER",
        "AIRFLOW_ADMIN_PASSWORD",
        "postgresql://kuota:",
        "kuota redo-batch",
        "8793",
        "8794",
    ):
        assert word in docker, word


def test_gitignore_keeps_secrets_out():
    for path in (".env", ".stack/secrets", ".stack/env"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0, path
    assert subprocess.run(["git", "check-ignore", "-q", ".env.example"], cwd=ROOT).returncode == 1


def stack_env(stack_dir: Path) -> dict[str, str]:
    env = dict(os.environ, KUOTA_STACK_DIR=str(stack_dir), KUOTA_PG_DATA=str(stack_dir / "no-cluster"))
    done = subprocess.run(
        [str(ROOT / "scripts" / "stack.sh"), "env"], env=env, capture_output=True, text=True, timeout=60
    )
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
