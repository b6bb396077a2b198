"""bench/gpu.sh's path, checked on the CPU: what travels to the GPU machine builds and answers.

``bench/gpu.sh prepare`` copies the configured models' configs and tokenizers (no weights);
there, random weights of the same shapes are built and searched without faiss (the GPU machine
has none). Here the same, on the CPU: the graph's stages run inline and micro-batched over the
random models and give the same answers, so the GPU run finds a working benchmark.
"""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.settings import REPO_ROOT, Settings


def test_the_gpu_benchmark_models_build_and_answer_on_the_cpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subprocess.run(
        [str(REPO_ROOT / "bench" / "gpu.sh"), "prepare", str(tmp_path / "gpu")],
        cwd=REPO_ROOT, check=True, capture_output=True, env={"KEFU_APP_PYTHON": sys.executable,
        "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    configs = tmp_path / "gpu" / "models" / "retriever"
    assert (configs / "config.json").exists() and (configs / "tokenizer.json.xz").exists()
    assert not list(configs.glob("*.safetensors"))  # no weights travel
    monkeypatch.setitem(sys.modules, "faiss", None)  # as on the GPU machine
    from bench.devices import compare
    from bench.pipeline import questions
    from bench.random_models import random_service

    settings = replace(Settings(cache_dir=tmp_path / "cache"), device="cpu")
    inline, how = random_service(settings, tmp_path / "gpu" / "models")
    batched, _ = random_service(settings, tmp_path / "gpu" / "models")
    assert "NumPy flat inner product" in how
    report = compare(inline, batched, questions(16))
    assert report["answers_equal"] == 16 and report["min_vector_cosine"] > 0.9999
