"""Where generated text comes from: a causal LM in this process, or an OpenAI-compatible server.

``LocalGenerator`` loads any causal LM folder or hub id through the model resolver (kefu's
offline default is built from a PyPI package, see ``knowledge/models/offline.py``) and
generates greedily with a token and a time budget, writing only the numbers its facts contain
(``constrain.py``); on CPU its linear layers run in int8 (dynamic quantisation) by default.
``OpenAIBackend`` posts the same messages to ``/v1/chat/completions`` of a server such as vLLM
or llama.cpp's ``llama-server``: what a store runs in production, on a GPU.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import requests

from knowledge.component import ModelComponent
from knowledge.errors import KnowledgeError
from shop.generate.constrain import FactNumbers, NoRepeat, Vocabulary
from shop.generate.prompt import Prompt

log = logging.getLogger(__name__)


class GenerationError(KnowledgeError):
    """The generator could not produce text (server down, bad reply, model failure)."""


@dataclass(frozen=True)
class Completion:
    """What a backend returned."""

    text: str
    tokens: int
    seconds: float
    finished: bool = True  # the model ended the text itself (not cut by the token/time budget)


class Backend(Protocol):
    """Anything that turns chat messages into text."""

    model_name: str

    def warm_up(self) -> None:
        """Load (or check) the model once."""

    def complete(
        self, prompt: Prompt, max_tokens: int, timeout: float, attempt: int = 0
    ) -> Completion:
        """Text for ``prompt`` within ``max_tokens`` new tokens and ``timeout`` seconds.

        ``attempt`` 0 is greedy, a later one samples (seeded by ``attempt``).
        """


class OpenAIBackend:
    """An OpenAI-compatible chat-completions endpoint (vLLM, llama.cpp server, ...)."""

    def __init__(self, base_url: str, model: str, api_key: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.model_name = model
        self.api_key = api_key

    def warm_up(self) -> None:
        """Nothing to load; the server is asked on each call."""

    def complete(
        self, prompt: Prompt, max_tokens: int, timeout: float, attempt: int = 0
    ) -> Completion:
        """POST ``/chat/completions``; a timeout or a bad reply is a ``GenerationError``."""
        messages = prompt.messages
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.model_name, "messages": messages, "max_tokens": max_tokens,
                "temperature": 0.2 if attempt == 0 else SAMPLING["temperature"],
                "seed": attempt, "stream": False}  # fmt: skip
        start = time.perf_counter()
        try:
            reply = requests.post(
                f"{self.base_url}/chat/completions", json=body, headers=headers, timeout=timeout
            )
            reply.raise_for_status()
            data = reply.json()
            text = data["choices"][0]["message"]["content"]
        except requests.Timeout as exc:
            raise GenerationError(
                f"generator at {self.base_url} took over {timeout:.1f} s"
            ) from exc
        except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as exc:
            raise GenerationError(f"generator at {self.base_url} failed: {exc}") from exc
        usage = data.get("usage") or {}
        return Completion(
            text=str(text or ""),
            tokens=int(usage.get("completion_tokens") or 0),
            seconds=time.perf_counter() - start,
            finished=data["choices"][0].get("finish_reason", "stop") == "stop",
        )


MIN_TOKENS = 8  # a copy goes on at least this far after the product's name
SAMPLING = {"temperature": 0.7, "top_p": 0.9}  # a retry samples instead of decoding greedily
STOPS = ("\n",)  # a completion prompt's copy is one line; the next line is the next example


TUNED_MARK = "kefu-tuned.json"  # in a model folder written by ``python -m shop.generate tune``


def prompt_style(model: str, style: str, folder: Path | None = None) -> str:
    """The prompt style for ``model``: ``chat``, ``completion`` or ``tuned``.

    ``chat`` for instruction-tuned models, ``completion`` (few-shot) for base models,
    ``tuned`` (the data and the task, no examples) for a model kefu tuned on its copy.

    ``auto`` decides by the model's folder (kefu's tuning leaves a mark in it), then by its
    name: instruct / chat / ``-it`` models chat.
    """
    if style != "auto":
        return style
    if folder is not None and (folder / TUNED_MARK).exists():
        return "tuned"
    name = model.lower()
    return "chat" if any(k in name for k in ("instruct", "chat", "-it")) else "completion"


class LocalGenerator(ModelComponent):
    """A causal LM (transformers) in this process, greedy, CPU or CUDA."""

    kind = "generator"

    def __init__(
        self,
        model: str,
        resolver: Any,
        device: str = "cpu",
        style: str = "auto",
        int8: bool = False,
        threads: int | None = None,
    ) -> None:
        super().__init__(model, resolver, device)
        self.asked_style = style
        self.style = prompt_style(model, style)  # until the folder is known (``_load``)
        self.int8 = int8
        self.threads = threads  # torch threads while writing (None: the process's setting)
        self._tokenizer: Any = None
        self._vocab: Vocabulary | None = None
        self._banned: dict[frozenset[str], list[list[int]]] = {}  # phrases -> token sequences

    def _load(self, folder: Path) -> Any:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.style = prompt_style(self.model_name, self.asked_style, folder)
        self._tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self._vocab = Vocabulary(self._tokenizer)
        dtype = torch.float16 if self.device == "cuda" else torch.float32
        model: Any = AutoModelForCausalLM.from_pretrained(str(folder), dtype=dtype)
        model = model.to(self.device).eval()
        if self.int8 and self.device == "cpu":
            model = torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear}, dtype=torch.qint8
            )
        return model

    def _completing(self) -> bool:
        """Whether the prompt is a completion, whose copy is one line.

        Few-shot (a base model, or a tokenizer without a chat template) or ``tuned``.
        """
        return self.style in ("completion", "tuned") or not getattr(
            self._tokenizer, "chat_template", None
        )

    def _text(self, prompt: Prompt) -> str:
        tok = self._tokenizer
        if self.style == "tuned":
            return prompt.brief
        if self._completing():
            return prompt.completion
        return str(
            tok.apply_chat_template(prompt.messages, tokenize=False, add_generation_prompt=True)
        )

    def _banned_ids(self, phrases: frozenset[str]) -> list[list[int]]:
        """Token sequences of ``phrases`` as a model may write them (case, hyphen, a space).

        Tokenised once per set of phrases (a product lacks one of a few sets of the examples'
        features), not at every generation.
        """
        if phrases not in self._banned:
            self._banned[phrases] = self._tokenize_phrases(phrases)
        return self._banned[phrases]

    def _tokenize_phrases(self, phrases: frozenset[str]) -> list[list[int]]:
        sequences: set[tuple[int, ...]] = set()
        for phrase in phrases:
            forms = {phrase, phrase.replace(" ", "-"), phrase.capitalize(), phrase.title(),
                     phrase.upper()}  # fmt: skip
            for form in forms:
                for text in (form, " " + form):
                    ids = self._tokenizer(text, add_special_tokens=False)["input_ids"]
                    if ids:
                        sequences.add(tuple(ids))
        return [list(s) for s in sorted(sequences)]

    def complete(
        self, prompt: Prompt, max_tokens: int, timeout: float, attempt: int = 0
    ) -> Completion:
        """At most ``max_tokens`` tokens, stopped after ``timeout`` seconds.

        Greedy on the first attempt, sampled (seeded by ``attempt``, so reproducible) on a retry.
        """
        import torch
        from transformers import LogitsProcessorList

        model = self.model
        completing = self._completing()
        lead = prompt.lead if completing and self.style != "tuned" else ""
        inputs = self._tokenizer(self._text(prompt), return_tensors="pt").to(self.device)
        stops = {"stop_strings": list(STOPS), "tokenizer": self._tokenizer}
        extra = stops if completing else {}
        assert self._vocab is not None  # set by _load
        prompt_length = inputs["input_ids"].shape[1]
        no_repeat = NoRepeat(
            prompt_length, endings=self._vocab.line_breaks, min_tokens=MIN_TOKENS,
            free=self._vocab.number_ids,
        )  # fmt: skip
        only_facts = FactNumbers(
            self._vocab, prompt.numbers, self._tokenizer, prompt_length, lead, prompt.money,
            prompt.measures, dict(prompt.roles),
        )  # fmt: skip
        banned = self._banned_ids(prompt.banned)
        if banned:
            extra = extra | {"bad_words_ids": banned}
        if attempt:
            torch.manual_seed(attempt)
        sampling = {"do_sample": True, **SAMPLING} if attempt else {"do_sample": False}
        start = time.perf_counter()
        before = torch.get_num_threads()
        if self.threads and self.device == "cpu":  # this thread's only (OpenMP's is per thread)
            torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                out = model.generate(
                    **inputs, max_new_tokens=max_tokens, max_time=timeout, **sampling,
                    logits_processor=LogitsProcessorList([no_repeat, only_facts]),
                    pad_token_id=self._tokenizer.eos_token_id, **extra,
                )  # fmt: skip
        except Exception as exc:  # the model's own failure, reported as ours
            raise GenerationError(f"{self.model_name} failed to generate: {exc}") from exc
        finally:
            torch.set_num_threads(before)
        seconds = time.perf_counter() - start
        new = out[0, inputs["input_ids"].shape[1] :]
        text = self._tokenizer.decode(new, skip_special_tokens=True)
        eos = self._tokenizer.eos_token_id
        finished = bool(len(new)) and int(new[-1]) == eos
        for stop in STOPS:  # the copy ends where the next example would begin
            if stop in text:
                text, finished = text.split(stop, 1)[0], True
        return Completion(lead + text, len(new), seconds, finished=finished)
