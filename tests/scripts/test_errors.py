"""The set-up scripts stop with one clear sentence, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bash(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_missing_python_310_says_what_to_install(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KEFU_PYTHON310": "/nowhere/python"}
    result = bash("source scripts/lib.sh; kefu_python_for rasa", env)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "kefu: Python 3.10 is needed for the rasa environment but was not found; install it "
        "(e.g. 'pyenv install 3.10') or set KEFU_PYTHON310 to its path."
    )


def test_port_in_use_is_reported_before_anything_is_built(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "KEFU_RASA_PORT": str(port), "KEFU_CACHE": str(tmp_path)}
        result = bash("scripts/run.sh", env)
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "envs").exists(), "nothing is built when the stack cannot start"
