#!/usr/bin/env bash
# The hot-path benchmark on a GPU machine (an H200 lent for 15 minutes, no network, no hub,
# only the working tree travels: 64 MiB). Two steps:
#
#   bench/gpu.sh prepare   here, in the app environment: copies the configured models'
#                          configs and tokenizer (no weights, ~3 MB) into .gpu/models/
#                          (ignored by git, see .gitignore; carry it); `prepare DIR`: into
#                          DIR/models (tests/bench/test_gpu_path.py)
#   bench/gpu.sh run       there, from the repository root, with carry [".gpu"]: builds
#                          random-weight models of the same shapes (bench/random_models.py),
#                          checks CPU vs CUDA results (bench/devices.py), runs
#                          bench/pipeline.py on CUDA with 256 shoppers, and leaves
#                          bench.json (its "gpu" entry), bench_gpu.png, devices.json and the
#                          logs in $OUT. Copy the "gpu" entry into reports/bench.json here.
#
# What the GPU machine has (see the device notes): python3 3.12 with torch (CUDA),
# transformers, sentence-transformers, numpy, matplotlib, PyYAML; no faiss (passages are
# searched by a NumPy inner product, what a flat FAISS index computes) and no kefu env.
# Budget: model build ~1 min, device check ~1 min, benchmark ~5 min; run with timeout_s 540.
set -euo pipefail
cd "$(dirname "$0")/.."

prepare() {
  local py="${KEFU_APP_PYTHON:-$(scripts/env.sh app)/bin/python}"
  export GPU_PREPARE_DIR="${1:-.gpu}"
  rm -rf "$GPU_PREPARE_DIR/models" && mkdir -p "$GPU_PREPARE_DIR/models"
  "$py" - <<'EOF'
import lzma, os, shutil
from pathlib import Path
from knowledge.models import ModelResolver
from knowledge.settings import Settings

settings = Settings.from_env()
resolver = ModelResolver(settings)
roles = {"retriever": settings.retriever_model, "reader": settings.reader_model,
         "reranker": settings.reranker_model}
for role, name in roles.items():
    if not name:
        continue
    src, dst = resolver.resolve(name), Path(os.environ["GPU_PREPARE_DIR"]) / "models" / role
    dst.mkdir(parents=True)
    for f in src.rglob("*"):
        if f.is_file() and f.suffix not in (".safetensors", ".bin", ".pt", ".md") and f.name != "tokenizer.json":
            (dst / f.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dst / f.relative_to(src))
    (dst / "tokenizer.json.xz").write_bytes(lzma.compress((src / "tokenizer.json").read_bytes()))
    print(f"{role}: {name} -> {dst}")
EOF
  du -sh "$GPU_PREPARE_DIR"
}

run() {
  : "${OUT:?set OUT to the folder the results go to}"
  [ -d .gpu/models ] || { echo "no .gpu/models: run 'bench/gpu.sh prepare' here and carry .gpu" >&2; exit 2; }
  export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # kefu's packages, from the repository root
  export KEFU_CACHE=/tmp/kefu KEFU_DEVICE=cuda KEFU_DTYPE="${KEFU_DTYPE:-bfloat16}"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
  python3 -c "import torch, transformers, sentence_transformers as st; print(torch.__version__, transformers.__version__, st.__version__, torch.cuda.is_available())" | tee -a "$OUT/gpu.txt"
  timeout 150 python3 -m bench.devices --random-models .gpu/models --questions 128 --out "$OUT" 2>&1 | tee "$OUT/devices.log" || echo "device check failed or timed out (see devices.log)"
  local how="bench/gpu.sh run on $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1): random-weight models of the configured shapes, ${KEFU_DTYPE}, NumPy passage search"
  timeout 420 python3 -m bench.pipeline --random-models .gpu/models --out reports --how "$how" 2>&1 | tee "$OUT/bench.log"
  cp reports/bench.json "$OUT/bench.json"
  cp reports/bench_gpu.png "$OUT/" 2>/dev/null || true
}

case "${1:-}" in
  prepare) prepare "${2:-}" ;;
  run) run ;;
  *) echo "usage: bench/gpu.sh prepare|run" >&2; exit 2 ;;
esac
