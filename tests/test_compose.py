"""docker-compose.yaml is a valid deployment, wired like the local stack."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def config() -> dict:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose not found: install Debian's docker-compose package (.ci/run does)")
    done = subprocess.run([tool, "-f", str(ROOT / "docker-compose.yaml"), "config"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
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
