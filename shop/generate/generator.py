"""Model first, within a token and a time budget; the template when anything is off.

Every model text goes through the guard. A text cut by the budget keeps its complete
sentences; a text that fails the guard is retried (sampled) while the time budget lasts;
then a failing text, a backend error or no backend at all gives the template built from the
same facts. ``Generated.source`` says which one the shopper saw and
``problems`` why, so agents and the evaluation can count them.

Under load (a capacity question, reports/capacity.json): an in-process model writes one text
at a time (``exclusive``); a shopper who asks while it writes for another gets the template at
once (problem ``busy``) instead of a second model run on the same cores, which slowed every
other conversation for seconds. A text that passed the guard is kept for its prompt (the same
facts give the same prompt), ``CACHE_SIZE`` prompts, so a product described once is not
written again.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.errors import ConfigError
from knowledge.models import ModelResolver
from shop.catalog import Catalog
from shop.generate.backends import Backend, GenerationError, LocalGenerator, OpenAIBackend
from shop.generate.facts import KINDS, Facts
from shop.generate.guard import Guard
from shop.generate.prompt import Prompt, build_prompt
from shop.generate.templates import template
from shop.settings import ShopSettings

log = logging.getLogger(__name__)
SENTENCE_END = re.compile(r"[。！？!?.](?=\s|$)|[。！？]")
MIN_RETRY_SECONDS = 1.5  # a retry needs at least this much of the time budget left
CACHE_SIZE = 512  # texts kept, by prompt (least recently used dropped first)
PREAMBLE = re.compile(
    r"^\s*(?:文案|营销短信|商品描述|推荐语|copy|message|description)\s*[:：]\s*", re.I
)


@dataclass(frozen=True)
class Generated:
    """A text for the shopper and where it came from."""

    text: str
    source: str  # model | template
    problems: tuple[str, ...] = ()
    model_text: str = ""  # what the model wrote (kept for review even when rejected)
    tokens: int = 0
    seconds: float = 0.0  # time spent in the model, every attempt
    attempts: int = 0  # model calls made (a rejected text is retried while time allows)

    @property
    def tokens_per_second(self) -> float:
        """Decoding speed of the model call (0 without one)."""
        return self.tokens / self.seconds if self.seconds else 0.0


def tidy(text: str, finished: bool) -> str:
    """Strip quotes and a "文案：" preamble; a cut text keeps its complete sentences."""
    quotes = '"“”「」'
    text = PREAMBLE.sub("", text.strip().strip(quotes)).strip().strip(quotes).strip()
    if not finished:
        ends = [m.end() for m in SENTENCE_END.finditer(text)]
        text = text[: ends[-1]] if ends else ""
    return text.strip()


class Generator:
    """Writes pitches, marketing messages and descriptions that state only their facts."""

    def __init__(
        self,
        backend: Backend | None,
        guard: Guard,
        max_tokens: int = 120,
        timeout: float = 6.0,
        retries: int = 2,
        exclusive: bool = False,
        use: Iterable[str] = ("all",),
    ) -> None:
        self.backend = backend
        self.use = model_use(use)
        self.guard = guard
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.retries = retries
        self._writing = threading.Lock() if exclusive else None
        self._written: OrderedDict[str, Generated] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def model_name(self) -> str:
        """The backend's model, or ``template``."""
        return self.backend.model_name if self.backend is not None else "template"

    def write(self, facts: Facts) -> Generated:
        """The model's text if it passes the guard, else the template.

        A rejected text is retried while the time budget allows, ``retries`` times.
        """
        if self.backend is None:
            return Generated(template(facts), "template", ("no_model",))
        if (facts.kind, facts.lang) not in self.use:
            return Generated(template(facts), "template", ("template_chosen",))
        prompt = build_prompt(facts)
        key = json.dumps([prompt.messages, prompt.completion], ensure_ascii=False)
        with self._cache_lock:
            if key in self._written:
                self._written.move_to_end(key)
                return self._written[key]
        if self._writing is not None and not self._writing.acquire(blocking=False):
            return Generated(template(facts), "template", ("busy",))
        try:
            written = self._write(facts, prompt)
        finally:
            if self._writing is not None:
                self._writing.release()
        if written.source == "model":
            with self._cache_lock:
                self._written[key] = written
                while len(self._written) > CACHE_SIZE:
                    self._written.popitem(last=False)
        return written

    def _write(self, facts: Facts, prompt: Prompt) -> Generated:
        """The model's attempts at ``prompt`` (see :meth:`write`)."""
        assert self.backend is not None
        start = time.perf_counter()
        problems: tuple[str, ...] = ()
        raw, tokens, seconds, calls = "", 0, 0.0, 0
        for attempt in range(1 + self.retries):
            left = self.timeout - (time.perf_counter() - start)
            if attempt and left < MIN_RETRY_SECONDS:
                break
            calls += 1
            try:
                done = self.backend.complete(prompt, self.max_tokens, left, attempt)
            except GenerationError as exc:
                log.warning("generation failed, template used: %s", exc)
                seconds = time.perf_counter() - start
                return Generated(template(facts), "template", ("backend_error",), seconds=seconds)
            text = tidy(done.text, done.finished)
            problems = tuple(self.guard.problems(text, facts))
            raw, tokens, seconds = done.text, tokens + done.tokens, seconds + done.seconds
            if not problems:
                return Generated(text, "model", (), raw, tokens, seconds, calls)
            log.info("generated text rejected %s: %r", problems, done.text[:200])
        return Generated(template(facts), "template", problems, raw, tokens, seconds, calls)


def build_generator(
    settings: ShopSettings, resolver: ModelResolver, catalog: Catalog, device: str = "cpu"
) -> Generator:
    """The configured generator: an OpenAI-compatible server, a local model, or templates only.

    With ``KEFU_GENERATOR_USE=none`` (the default) no model is loaded at all.
    """
    backend: Backend | None = None
    if not model_use(settings.generator_use):
        pass  # templates everywhere: no model loaded (KEFU_GENERATOR_USE=none)
    elif settings.generator_url:
        backend = OpenAIBackend(
            settings.generator_url,
            settings.generator_model or "default",
            settings.generator_api_key,
        )
    elif settings.generator_model:
        backend = LocalGenerator(
            settings.generator_model,
            resolver,
            device,
            settings.generator_prompt,
            int8=settings.generator_int8,
            threads=settings.generator_threads,
        )
    return Generator(
        backend,
        Guard(catalog),
        settings.generator_tokens,
        settings.generator_timeout,
        settings.generator_retries,
        exclusive=isinstance(backend, LocalGenerator),
        use=settings.generator_use,
    )


def model_use(use: Iterable[str]) -> frozenset[tuple[str, str]]:
    """``KEFU_GENERATOR_USE`` as ``(kind, lang)`` pairs; raises ``ConfigError`` for a bad one."""
    every = {(k, lang) for k in KINDS for lang in ("zh", "en")}
    chosen: set[tuple[str, str]] = set()
    for entry in use:
        if entry == "all":
            chosen |= every
        elif entry != "none":
            kind, _, lang = entry.partition("/")
            if (kind, lang) not in every:
                raise ConfigError(
                    f"KEFU_GENERATOR_USE: {entry!r} is not kind/lang (kinds {KINDS}; zh, en), "
                    "all or none"
                )
            chosen.add((kind, lang))
    return frozenset(chosen)
