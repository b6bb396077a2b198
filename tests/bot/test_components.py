"""bot/components, run in the dialogue environment (rasa is not in the model environment)."""

import json
import subprocess
from pathlib import Path
from typing import Any

from common.config import value
from knowledge.settings import REPO_ROOT

BOT = REPO_ROOT / "bot"
NLU = """version: "3.1"
nlu:
  - intent: ask_recommendation
    examples: |
      - 推荐一款 [500](budget) 以内的耳机
  - intent: ask_recommendation
    metadata:
      entities: unannotated
    examples: |
      - 想买个加湿器，预算 300
"""
# What the CRF is given to train on, with Rasa's own CRF training replaced by a recorder.
TRAINED_ON = """
import json, sys
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor
from rasa.shared.nlu.training_data.loading import load_data
from components.entities import AnnotatedCRFEntityExtractor

seen = []
CRFEntityExtractor.train = lambda self, data: seen.extend(m.get("text") for m in data.nlu_examples)
extractor = object.__new__(AnnotatedCRFEntityExtractor)
extractor.train(load_data(sys.argv[1]))
print(json.dumps(seen, ensure_ascii=False))
"""


def rasa_python() -> Path:
    env = value("KEFU_RASA_ENV") or subprocess.run(
        [str(REPO_ROOT / "scripts" / "env.sh"), "rasa"], capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    return Path(env) / "bin" / "python"


def rasa_json(code: str) -> Any:
    """Run ``code`` with the real rasa (cwd bot/); the JSON its last printed line holds."""
    out = subprocess.run(
        [str(rasa_python()), "-c", code], cwd=BOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_entity_crf_skips_examples_marked_unannotated(tmp_path: Path) -> None:
    data = tmp_path / "nlu.yml"
    data.write_text(NLU, encoding="utf-8")
    out = subprocess.run(
        [str(rasa_python()), "-c", TRAINED_ON, str(data)], cwd=BOT, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["推荐一款 500 以内的耳机"]
