"""What actions say, in both languages. Keep shopper-facing wording here, not in actions."""

from __future__ import annotations

from knowledge.types import Answer, Language

ABSTAIN = {
    "zh": "抱歉，这个问题我没有把握回答，不想给您不准确的信息。需要为您转接人工客服吗？"
    "（人工客服每天 9:00-21:00 在线）",
    "en": "Sorry, I'm not sure enough to answer that, and I'd rather not guess. Would you like "
    "me to connect you with a human agent? (Agents are available 9:00-21:00 daily.)",
}

FAILURE = {
    "zh": "抱歉，系统暂时出了点问题，请稍后再试，或者输入“人工”联系客服。",
    "en": "Sorry, something went wrong on our side. Please try again in a moment, or ask for "
    "a human agent.",
}


def source_line(answer: Answer) -> str:
    """Name the answer's source: page title, section, effective date."""
    src = answer.source
    if src is None:
        return ""
    if answer.lang == "zh":
        date = f"，{src.effective} 起生效" if src.effective else ""
        return f"来源：《{src.title}》· {src.section}{date}"
    date = f", effective {src.effective}" if src.effective else ""
    return f"Source: {src.title} › {src.section}{date}"


def answer_text(answer: Answer) -> str:
    """The reply a shopper sees.

    The sentence with the answer marked and its source; or an abstention offering a human.
    """
    if answer.abstained:
        return ABSTAIN[answer.lang]
    return f"{answer.marked_sentence()}\n{source_line(answer)}"


def failure_text(lang: Language) -> str:
    """A polite reply when the knowledge engine fails."""
    return FAILURE[lang]
