"""deploy/: the scaled mode's configuration files, checked without starting the stack."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.local import ScaledError, ScaledStack

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ScaledStack:
    for key in ("KEFU_RASA_ENV", "KEFU_APP_ENV", "KEFU_BOT_MODEL"):
        monkeypatch.setenv(key, str(tmp_path / key))
    return ScaledStack(tmp_path / "work", rasa_replicas=3, action_servers=2)


def test_needs_the_prepared_environments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEFU_BOT_MODEL", raising=False)
    with pytest.raises(ScaledError, match=r"run_scaled\.sh"):
        ScaledStack(tmp_path)


def test_every_replica_has_its_own_port(stack: ScaledStack) -> None:
    assert stack.rasa_names == ["rasa-1", "rasa-2", "rasa-3"]
    assert stack.action_names == ["actions-1", "actions-2"]
    assert len(set(stack.ports.values())) == len(stack.ports)


def test_rasa_shares_postgres_and_redis_and_calls_the_balanced_actions(stack: ScaledStack) -> None:
    endpoints = yaml.safe_load(stack.endpoints().read_text())
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["tracker_store"]["port"] == stack.ports["postgres"]
    assert endpoints["lock_store"] == {
        "type": "redis", "url": "127.0.0.1", "port": stack.ports["redis"], "db": 1
    }  # fmt: skip
    assert endpoints["action_endpoint"]["url"].endswith(f":{stack.ports['lb_actions']}/webhook")
    assert endpoints["action_endpoint"]["headers"] == {
        "Authorization": "Bearer ${KEFU_ACTION_TOKEN}"
    }


def test_nginx_balances_every_replica_and_accepts_its_configuration(stack: ScaledStack) -> None:
    service = stack._nginx()
    conf = (stack.workdir / "nginx.conf").read_text()
    for name in stack.rasa_names + stack.action_names:
        assert f"127.0.0.1:{stack.ports[name]} " in conf
    assert "hash $remote_addr$http_user_agent consistent" in conf, "socket.io is sticky"
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed (scripts/servers.sh installs it)")
    check = subprocess.run([*service.argv, "-t"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


def test_deployment_files_parse_and_name_the_same_services() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    assert {"postgres", "redis", "nginx", "rasa", "actions", "ray-head", "serve-deploy"} <= set(
        compose["services"]
    )
    assert compose["services"]["rasa"]["deploy"]["replicas"] == 2
    kinds = [
        (d["kind"], d["metadata"]["name"])
        for d in yaml.safe_load_all((DEPLOY / "k8s" / "kefu.yaml").read_text())
    ]
    assert ("Deployment", "kefu-rasa") in kinds and ("Job", "kefu-serve-deploy") in kinds
    for endpoints in (
        yaml.safe_load((DEPLOY / "compose" / "endpoints.yml").read_text()),
        yaml.safe_load(
            next(
                d
                for d in yaml.safe_load_all((DEPLOY / "k8s" / "kefu.yaml").read_text())
                if d["kind"] == "ConfigMap"
            )["data"]["endpoints.yml"]
        ),
    ):
        assert endpoints["lock_store"]["type"] == "redis"
        assert endpoints["tracker_store"]["dialect"] == "postgresql"
        assert endpoints["action_endpoint"]["headers"] == {
            "Authorization": "Bearer ${KEFU_ACTION_TOKEN}"
        }
