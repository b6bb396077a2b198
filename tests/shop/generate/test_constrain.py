import torch

from shop.generate.constrain import FactNumbers, NoRepeat, Vocabulary, deal_role

PIECES = ["<pad>", "a", "▁", "¥", "1", "2", "3", "4", "8", "9", ".", "▁30", "<unused0>", "x5", "，",
          ",", "0", "▁hours", "▁g"]  # fmt: skip


class Tokenizer:
    """The tokenizer interface FactNumbers needs: pieces and decoding."""

    def __len__(self) -> int:
        return len(PIECES)

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        return [PIECES[i] for i in ids]

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return "".join(PIECES[i] for i in ids if PIECES[i] != "<pad>").replace("▁", " ")


def only(
    allowed: set[str], money: set[str] = frozenset(), lead: str = "", measures: set = frozenset()
) -> FactNumbers:
    tok = Tokenizer()
    return FactNumbers(
        Vocabulary(tok), allowed, tok, prompt_length=1, lead=lead, money=money,
        measures=measures,
    )  # fmt: skip


def ok(mask: torch.Tensor) -> set[str]:
    return {PIECES[i] for i in range(len(PIECES)) if not mask[i]}


def test_the_vocabulary_lists_digit_tokens_but_not_special_ones() -> None:
    texts = dict(Vocabulary(Tokenizer()).tokens)
    assert set(texts.values()) == {"1", "2", "3", "4", "8", "9", ".", " 30", "x5", ",", "0"}


def test_an_unfinished_number_must_go_on_towards_a_fact() -> None:
    c = only({"399", "4.8"})
    assert ok(c.banned("39")) == {"9"}
    assert ok(c.banned("4")) == {"."}
    assert "8" in ok(c.banned("4.")) and "a" not in ok(c.banned("4."))


def test_a_finished_number_ends_or_stops_growing() -> None:
    c = only({"399", "30"})
    after = ok(c.banned("399"))
    assert {"a", "，", "."} <= after and not after & {"1", "9", "3"}
    assert "▁30" in ok(c.banned("")) and "x5" not in ok(c.banned(""))


def test_after_the_yuan_sign_only_money_may_follow() -> None:
    c = only({"399", "30", "4.8"}, money={"399"})
    assert ok(c.banned("", after_yuan=True)) & {"3", "4"} == {"3"}
    assert "4" in ok(c.banned(""))


def test_a_deals_threshold_and_reduction_keep_their_roles() -> None:
    tok = Tokenizer()
    c = FactNumbers(
        Vocabulary(tok), {"399", "4.8", "300", "40"}, tok, prompt_length=1,
        money={"399", "300", "40"}, roles={"threshold": {"300"}, "reduction": {"40"}},
    )  # fmt: skip
    assert ok(c.banned("", role="threshold")) & {"3", "4"} == {"3"}, "满 300, never 满 4.8"
    assert ok(c.banned("", role="reduction")) & {"3", "4"} == {"4"}
    assert ok(c.banned("4", role="reduction")) & {"0", "."} == {"0"}, "减 40, not 减 4.8"
    assert {deal_role(t) for t in ("满 ", "满 ¥", "orders over ¥")} == {"threshold"}
    assert {deal_role(t) for t in ("减", "Take ¥", "save ¥")} == {"reduction"}
    assert deal_role("售价 ¥") == deal_role("makeover ¥") == ""


def test_greedy_decoding_with_the_processor_writes_only_fact_numbers() -> None:
    c = only({"399"}, money={"399"})
    preference = torch.tensor(
        [0.0, 1, 0, 0, 9, 8, 3, 7, 6, 2, 0, 0, 0, 5, 0, 0, 0, 0, 0]
    )  # likes 1, 2, 4
    ids = torch.tensor([[0, 3]])  # prompt "<pad>", then "¥" already written
    for _ in range(4):
        scores = c(ids, preference.clone().unsqueeze(0))
        ids = torch.cat([ids, scores.argmax(-1, keepdim=True)], dim=1)
    assert Tokenizer().decode(ids[0].tolist()) == "¥399a"


def test_separators_only_where_a_number_has_them() -> None:
    c = only({"2000", "5.5"})
    assert "," in ok(c.banned("2")) and "," not in ok(c.banned("20"))
    assert ok(c.banned("2,")) == {"0"} and ok(c.banned("2,00")) == {"0"}
    assert ok(c.banned("5.")) == set()  # 5.5 goes on with a "5", which this vocabulary lacks
    assert "," not in ok(c.banned("5"))
    assert {"a", "，"} <= ok(c.banned("2,000"))


def test_a_number_cannot_take_a_unit_the_facts_do_not_give_it() -> None:
    c = only({"30", "5"}, measures={("30", "h"), ("5", "g")})
    hours, grams = PIECES.index("▁hours"), PIECES.index("▁g")
    prefers_hours = torch.zeros(1, len(PIECES))
    prefers_hours[0, hours], prefers_hours[0, grams] = 5.0, 1.0
    after_five = torch.tensor([[0, PIECES.index("x5")]])  # "x5": 5 is the weight in grams
    assert int(c(after_five, prefers_hours.clone()).argmax()) == grams
    after_thirty = torch.tensor([[0, PIECES.index("▁30")]])
    assert int(c(after_thirty, prefers_hours.clone()).argmax()) == hours


def test_a_dead_end_left_by_other_processors_gives_the_row_back() -> None:
    c = only({"399"})
    scores = torch.full((1, len(PIECES)), float("-inf"))
    scores[0, PIECES.index("a")] = 1.0  # "39" must go on with "9", which something else banned
    out = c(torch.tensor([[0, PIECES.index("3"), PIECES.index("9")]]), scores)
    assert torch.isfinite(out).any() and int(out.argmax()) == PIECES.index("a")


def test_repeats_count_in_the_generated_text_only() -> None:
    prompt = [3, 6, 9, 9]  # "¥399" in the facts may be copied
    ids = torch.tensor([[*prompt, 3, 6, 9]])
    scores = NoRepeat(prompt_length=4, size=4, penalty=2.0)(ids, torch.ones(1, 16))
    assert torch.isfinite(scores[0, 9]) and scores[0, 9] == 0.5  # used once: penalised only
    again = torch.tensor([[*prompt, 3, 6, 9, 9, 1, 3, 6, 9]])  # "3 6 9 9" was generated
    assert not torch.isfinite(NoRepeat(4, 4)(again, torch.ones(1, 16))[0, 9])


def test_digits_may_repeat_when_they_are_free() -> None:
    again = torch.tensor([[1, 3, 6, 9, 9, 1, 3, 6, 9]])  # "满 2000" then "减 200": 0 after 2 0
    scores = NoRepeat(1, 4, penalty=2.0, free=[9])(again, torch.ones(1, 16))
    assert scores[0, 9] == 1.0, "a free token is neither banned nor penalised"
    assert scores[0, 6] == 0.5, "the others still are"


def test_no_line_break_or_end_before_the_minimum() -> None:
    stop = NoRepeat(prompt_length=2, endings=[1], min_tokens=3)
    early = stop(torch.tensor([[0, 3, 5]]), torch.ones(1, 16))
    assert not torch.isfinite(early[0, 1])
    late = stop(torch.tensor([[0, 3, 5, 6, 7]]), torch.ones(1, 16))
    assert torch.isfinite(late[0, 1])
