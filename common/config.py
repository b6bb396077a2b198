"""Every ``KEFU_*`` environment variable, declared once: name, type, default, meaning, group.

kefu is configured only through ``KEFU_*`` environment variables. :data:`VARIABLES` is their
one declaration; everything else reads them through :func:`value`, which parses the text into
the declared type and raises :class:`SettingError` naming the variable and what it allows::

    from common.config import value

    value("KEFU_TOP_K")                        # 5, or the int in the environment
    value("KEFU_TOP_K", {"KEFU_TOP_K": "7"})   # from a mapping instead (tests)

An unset or empty variable has its default. A default may name another variable
(``$KEFU_CACHE/console.db``), read from the same environment. A default of ``None`` means the
reader decides (e.g. "all cores"); ``shown`` then says what that is. Asking for a name that is
not declared here raises :class:`UnknownVariable`, so a typo in code fails loudly.

README.md's configuration tables are generated from this table:
``python3 -m common.config --write`` rewrites them (``--markdown`` prints them);
``tests/common/test_config.py`` fails when they are stale. The shell launchers (``scripts/``,
``Makefile``, ``Procfile``) read the environment themselves, but every variable they use is
declared here too. Standard library only: both Python environments import it (Rasa's 3.10 and
the app's 3.11).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: groups in README order: name -> title
GROUPS: dict[str, str] = {
    "run": "Processes and ports (`make run`)",
    "bot": "Dialogue and channels (the Rasa process)",
    "security": "Tokens, shopper identity and privacy",
    "engine": "Knowledge engine (`knowledge/settings.py`)",
    "batching": "Micro-batching of the model stages",
    "serving": "Scaled mode and Ray Serve",
    "shop": "Orders and recommendations (`shop/settings.py`)",
    "generator": "Generated pitches and descriptions (`shop/settings.py`)",
    "web": "Web page and agent console",
    "tests": "Tests and reports",
}

#: the types a variable may have, and what each accepts
TYPES: dict[str, str] = {
    "str": "any text",
    "int": "a whole number",
    "float": "a number",
    "bool": "1 or 0 (also true/false, yes/no, on/off)",
    "path": "a file or folder (``~`` expanded)",
    "choice": "one of the listed values",
    "model": "a Hugging Face id or a local folder; ``none`` (any case) for none (``''``)",
    "list": "values separated by spaces or commas (a tuple)",
    "mapping": "``KEY=VALUE`` entries separated by ``sep`` (a dict)",
}
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- config: generated from common/config.py by python3 -m common.config --write -->"
END = "<!-- config: end -->"
_REFERENCE = re.compile(r"\$\{?(KEFU_[A-Z0-9_]+)\}?")


class SettingError(ValueError):
    """A ``KEFU_*`` variable has a value its type does not allow; the message says what does."""


class UnknownVariable(LookupError):
    """A name that is not declared in :data:`VARIABLES` (a typo in the code)."""


@dataclass(frozen=True)
class Var:
    """One ``KEFU_*`` variable.

    ``default`` is text, as a user would write it (``None``: unset, the reader decides);
    ``shown`` is the default as README.md shows it, when the text alone does not say it.
    ``choices`` for ``choice``; ``what`` names its values in messages ("Valid devices are").
    ``minimum`` for numbers (and a mapping's values). For ``mapping``: ``sep`` between entries,
    ``item`` the values' type, ``form`` the entries' form, ``bare`` the key of a lone value.
    """

    name: str
    type: str
    default: str | None
    group: str
    meaning: str
    shown: str = ""
    choices: tuple[str, ...] = ()
    what: str = "value"
    minimum: float | None = None
    sep: str = ","
    item: str = "str"
    form: str = ""
    bare: str = ""

    def __post_init__(self) -> None:
        if not self.name.startswith("KEFU_") or self.type not in TYPES:
            raise ValueError(f"{self.name}: a KEFU_ name and one of {list(TYPES)} are needed")
        if self.group not in GROUPS or not self.meaning or "\n" in self.meaning:
            raise ValueError(f"{self.name}: a group of {list(GROUPS)} and a one-line meaning")
        if (self.type == "choice") != bool(self.choices):
            raise ValueError(f"{self.name}: choices go with the choice type only")


_PREPARED = "set by `scripts/prepare.sh`"
# fmt: off
_DECLARED: list[Var] = [
    # -- run: Processes and ports (`make run`)
    Var("KEFU_HOST", "str", "127.0.0.1", "run",
        "interface Rasa and the web page listen on"),
    Var("KEFU_RASA_PORT", "int", "5005", "run",
        "Rasa's port (channels and HTTP API)"),
    Var("KEFU_ACTIONS_PORT", "int", "5055", "run",
        "the action server's port"),
    Var("KEFU_WEB_PORT", "int", "8080", "run",
        "the web page's port (widget, console)"),
    Var("KEFU_CACHE", "path", "~/.cache/kefu", "run",
        "environments, models, indexes, Rasa models"),
    Var("KEFU_START_TIMEOUT", "int", "300", "run",
        "seconds `make run` waits for each process to answer",
        minimum=1),
    Var("KEFU_PYTHON310", "path", None, "run",
        "Python 3.10 for Rasa's environment",
        shown="`python3.10` on `PATH` or pyenv's"),
    Var("KEFU_PYTHON311", "path", None, "run",
        "Python 3.11 for the app environment",
        shown="`python3.11` on `PATH` or pyenv's"),
    Var("KEFU_APP_PYTHON", "path", None, "run",
        "the Python `bench/gpu.sh` runs the benchmarks with",
        shown="the app environment's"),
    Var("KEFU_RASA_ENV", "path", None, "run",
        "Rasa's environment (Python 3.10)",
        shown=_PREPARED),
    Var("KEFU_APP_ENV", "path", None, "run",
        "the app environment (Python 3.11: actions, knowledge engine, web)",
        shown=_PREPARED),
    Var("KEFU_WEB_ENV", "path", None, "run",
        "the widget's npm packages (socket.io client), served under `/vendor/`",
        shown=_PREPARED),
    Var("KEFU_BOT_MODEL", "path", None, "run",
        "the trained Rasa model `rasa run` loads",
        shown=_PREPARED),
    # -- bot: Dialogue and channels (the Rasa process)
    Var("KEFU_ENDPOINTS", "path", None, "bot",
        "Rasa endpoints file (e.g. a Postgres tracker store)",
        shown="written by `make run`"),
    Var("KEFU_TRACKER_DB", "path", "$KEFU_CACHE/tracker.db", "bot",
        "SQLite file of the conversation store"),
    Var("KEFU_MAX_MESSAGE_CHARS", "int", "2000", "bot",
        "longest message; a longer one is answered with a polite request to shorten it",
        minimum=1),
    Var("KEFU_RATE_LIMIT", "int", "30", "bot",
        'messages per minute per sender (more get a "slow down" reply; 0 = off)',
        minimum=0),
    Var("KEFU_SLOW_REPLY_SECONDS", "float", "10", "bot",
        'when a slow turn gets "still working" on socket.io (the answer follows)',
        minimum=0),
    Var("KEFU_SECOND_OPINION", "float", "0.8", "bot",
        "where NLU says out of scope, unclear, a product or a promotion, the knowledge "
        "engine's answer is given instead when its confidence is at least this (0.5 is its "
        "abstention threshold; `reports/second_opinion.json` measures the bars)", minimum=0),
    Var("KEFU_TURN_BUDGET_S", "float", "3", "bot",
        'seconds a shopper should wait at most: a turn that cannot start in time to finish '
        'within them is answered "busy" at once (and stored); 0 = no admission control',
        minimum=0),
    Var("KEFU_TURNS_AT_ONCE", "int", "8", "bot",
        "turns one Rasa process runs at once; the others wait in line, one per shopper in "
        "turn",
        minimum=1),
    Var("KEFU_REST_REPLY_SECONDS", "float", "30", "bot",
        'when a slow turn gets "still working" on REST (REST answers once: that is the reply)',
        minimum=0),
    # -- security: Tokens, shopper identity and privacy
    Var("KEFU_IDENTITY_SECRET", "str", "", "security",
        "the secret your store's backend signs shoppers' tokens with (≥ 32 characters; see "
        '"Shopper identity"; unset: every shopper is a guest)',
        shown="made once, `$KEFU_CACHE/identity-secret`"),
    Var("KEFU_ACTION_TOKEN", "str", "", "security",
        "Rasa sends it with every action call; the action server refuses calls without it "
        "(401) and does not start without one",
        shown="made once, `$KEFU_CACHE/action-token`"),
    Var("KEFU_RASA_TOKEN", "str", "", "security",
        "token of Rasa's HTTP API (agent hand-back)",
        shown="made once, `$KEFU_CACHE/rasa-token`"),
    Var("KEFU_CORS", "list", "", "security",
        "origins allowed to call Rasa (socket.io) and the widget's API from a browser, "
        "separated by spaces",
        shown="the web page's origin"),
    Var("KEFU_REDACT", "str", "all", "security",
        "personal data kept out of stored transcripts, logs and exports: "
        "`phone,email,id_card,bank_card,address`, or `none`"),
    # -- engine: Knowledge engine (`knowledge/settings.py`)
    Var("KEFU_DATA_DIR", "path", None, "engine",
        "the store's documents, catalog, orders and logistics data",
        shown="`data/` of this checkout"),
    Var("KEFU_TRAINING_DIR", "path", None, "engine",
        "kefu's own training data (documents and written questions) its general models are "
        "trained on once and used for any store",
        shown="`data/` of this checkout"),
    Var("KEFU_RETRIEVER_MODEL", "str", "kefu/retriever-multilingual-e5-small", "engine",
        "bi-encoder: hub id or folder"),
    Var("KEFU_READER_MODEL", "model", "none", "engine",
        "extractive QA model that marks the answer's span inside the chosen sentence: hub "
        "id or folder (`kefu/reader-multilingual-e5-small` is trained by `make models`); "
        "`none` = the sentence alone"),
    Var("KEFU_RERANKER_MODEL", "model", "none", "engine",
        'cross-encoder: hub id or folder; `none` turns it off (see "Knowledge engine")'),
    Var("KEFU_MODEL_PATHS", "mapping", "", "engine",
        "`hub-id=/folder;other-id=/folder`: use these folders for these ids",
        sep=";", item="path", form="'hub-id=/local/folder'"),
    Var("KEFU_HUB_DOWNLOAD", "bool", "0", "engine",
        "`1` lets kefu download missing models from the Hugging Face hub"),
    Var("KEFU_DEVICE", "choice", "cpu", "engine",
        "`cpu`, `cuda` or `auto` (CUDA when there is one)",
        choices=("cpu", "cuda", "auto"), what="device"),
    Var("KEFU_DTYPE", "choice", "bfloat16", "engine",
        "the dtype models use on CUDA (`float16`, `float32`); the CPU always computes "
        "in `float32`",
        choices=("bfloat16", "float16", "float32"), what="dtype"),
    Var("KEFU_TORCH_THREADS", "int", None, "engine",
        "torch threads in the action server",
        shown="all cores", minimum=1),
    Var("KEFU_TOP_K", "int", "5", "engine",
        "passages retrieved per question", minimum=1),
    Var("KEFU_ADAPT", "bool", "1", "engine",
        "fine-tune the matcher on a store's own documents (its FAQ's questions and the page "
        "sentences that restate their answers, its headings), kept only when it beats the "
        "general matcher on a held-out part of them; never for kefu's own store"),
    Var("KEFU_HYBRID", "bool", "0", "engine",
        "`1` fuses BM25 (jieba) with dense retrieval by reciprocal rank"),
    Var("KEFU_INDEX_TYPE", "choice", "flat", "engine",
        "`flat` (exact), `ivf` or `hnsw` (approximate, for large stores)",
        choices=("flat", "ivf", "hnsw"), what="index type"),
    Var("KEFU_ANSWER_THRESHOLD", "float", None, "engine",
        "answer only when the probability that the chosen sentence answers is at least "
        "this (overrides the fitted threshold)",
        shown="fitted by `make models`"),
    # -- batching: Micro-batching of the model stages
    Var("KEFU_BATCH_MAX", "int", None, "batching",
        "questions per micro-batch of each model stage",
        shown="16 (CUDA: 128)", minimum=1),
    Var("KEFU_BATCH_DELAY_MS", "float", None, "batching",
        "milliseconds a question waits for others to share its batch",
        shown="2 (CUDA: 4)", minimum=0),
    Var("KEFU_BATCH_QUEUE", "int", "256", "batching",
        'questions allowed to wait per stage; one more is answered "busy, please try again"',
        minimum=1),
    Var("KEFU_BATCH_BACKEND", "choice", "local", "batching",
        "`local`: the in-process micro-batcher; `ray`: the model stages run on Ray Serve, "
        'batched across every action server (see "Scaled mode")',
        choices=("local", "ray"), what="backend"),
    # -- serving: Scaled mode and Ray Serve
    Var("KEFU_RAY_ADDRESS", "str", "auto", "serving",
        "the Ray cluster of the `ray` backend (`auto`: the local one)"),
    Var("KEFU_SERVE_APP", "str", "kefu", "serving",
        "prefix of the Serve applications (`kefu-read`...)"),
    Var("KEFU_SERVE_REPLICAS", "mapping", "1", "serving",
        "replicas per stage: `2` for every stage, or `read=2,encode=1`",
        minimum=1, item="int", form="N or STAGE=N", bare="*"),
    Var("KEFU_SERVE_GPUS", "float", "0", "serving",
        "GPUs per stage replica",
        minimum=0),
    Var("KEFU_SCALED_PORT", "int", "5080", "serving",
        "`make run-scaled`: the balancer's port"),
    Var("KEFU_RASA_REPLICAS", "int", "2", "serving",
        "`make run-scaled`: Rasa replicas",
        minimum=1),
    Var("KEFU_ACTION_SERVERS", "int", "2", "serving",
        "`make run-scaled`: action servers",
        minimum=1),
    Var("KEFU_SCALED_DIR", "path", None, "serving",
        "`make run-scaled`: logs, configuration and Postgres data (kept between runs)",
        shown="`/tmp/kefu-scaled`"),
    # -- shop: Orders and recommendations
    Var("KEFU_ORDERS_URL", "str", "", "shop",
        "order store (any SQLAlchemy URL); the SQLite file is created and seeded with "
        "`data/orders/demo.yaml`",
        shown="SQLite file in `$KEFU_CACHE/orders/`"),
    Var("KEFU_RECOMMEND_MODEL", "str", "", "shop",
        "encoder for product recommendations: hub id or folder",
        shown="the retriever's, shared in memory"),
    # -- generator: Generated pitches and descriptions
    Var("KEFU_GENERATOR_MODEL", "model", "google/gemma-3-270m", "generator",
        "causal LM for pitches and descriptions: hub id or folder (with "
        "`KEFU_GENERATOR_URL`: the server's model name); `none`: templates only"),
    Var("KEFU_GENERATOR_URL", "str", "", "generator",
        "an OpenAI-compatible server (`http://host:8000/v1`: vLLM, llama.cpp) instead of the "
        "in-process model"),
    Var("KEFU_GENERATOR_API_KEY", "str", "", "generator",
        "the key of `KEFU_GENERATOR_URL`"),
    Var("KEFU_GENERATOR_PROMPT", "choice", "auto", "generator",
        "`chat` (instruction-tuned models), `completion` (few-shot, base models), `tuned` "
        "(the data and the task only: a model from `python -m shop.generate tune`) or `auto` "
        "(a tuned model's folder says so, else by the model's name)",
        choices=("auto", "chat", "completion", "tuned"), what="prompt style"),
    Var("KEFU_GENERATOR_TOKENS", "int", "100", "generator",
        "token budget per generated text",
        minimum=1),
    Var("KEFU_GENERATOR_TIMEOUT", "float", "8", "generator",
        "time budget per generated text in seconds",
        minimum=0),
    Var("KEFU_GENERATOR_RETRIES", "int", "2", "generator",
        "times a text the guard rejects is generated again (sampled) while the time "
        "budget lasts",
        minimum=0),
    Var("KEFU_GENERATOR_USE", "list", "none", "generator",
        "where the model writes: `kind/lang` pairs (`pitch/zh description/en`), `all`, or "
        "`none` (the default: the blind review preferred the templates to the default "
        "270M model's texts in 345 of 360 pairs); the others get the template, at once. "
        "Run `python -m shop.generate review` to choose for your model"),
    Var("KEFU_GENERATOR_INT8", "bool", "1", "generator",
        "`1`: int8 dynamic quantisation of the local generator's linear layers on the CPU "
        "(≈ 2× tokens/s); `0` keeps float"),
    Var("KEFU_GENERATOR_THREADS", "int", "1", "generator",
        "CPU threads of the local generator while it writes one text (one at a time): 1 "
        "leaves the other cores to the conversations (reports/capacity.json)",
        minimum=1),
    # -- web: Web page and agent console
    Var("KEFU_PUBLIC_RASA_URL", "str", "http://localhost:$KEFU_RASA_PORT", "web",
        "where shoppers' browsers reach Rasa (socket.io)"),
    Var("KEFU_RASA_API", "str", "http://127.0.0.1:$KEFU_RASA_PORT", "web",
        "where the web server reaches Rasa's HTTP API (agent hand-back)"),
    Var("KEFU_AGENTS", "str", "", "web",
        "console logins: `name:hash name2:hash2`; make a hash with "
        "`python -m web.auth HASH-ME`",
        shown="one agent `agent`, password made once in `$KEFU_CACHE/console-password`"),
    Var("KEFU_CONSOLE_DB", "path", "$KEFU_CACHE/console.db", "web",
        "agents' corrections and FAQ drafts (SQLite)"),
    Var("KEFU_INSIGHTS_DB", "path", "$KEFU_CACHE/insights.db", "web",
        "the console Overview's summary of the conversations (SQLite; rebuilt from the "
        "tracker store if deleted)"),
    Var("KEFU_TRACKER_URL", "str", "sqlite:///$KEFU_TRACKER_DB", "web",
        "where the console reads conversations (any SQLAlchemy URL; match your tracker store)"),
    Var("KEFU_SECURE_COOKIES", "bool", "0", "web",
        "`1` marks the console cookie `Secure` (serve it over HTTPS)"),
    Var("KEFU_DEMO_LOGIN", "bool", "0", "web",
        "`1`: the demo page's `?shopper=u1001` signs in the demo shoppers of "
        "`data/orders/demo.yaml` (never on with a secret you set, unless you set this too)",
        shown="`1` with the secret `make run` made, else `0`"),
    # -- tests: Tests and reports
    Var("KEFU_REPORTS", "bool", "0", "tests",
        "`1`: the end-to-end tests write their figures to `reports/reliability.json` "
        "(`make reliability`)"),
    Var("KEFU_LOAD_CONVERSATIONS", "int", "40", "tests",
        "conversations of the load test (`make reliability` runs 200)",
        minimum=1),
    Var("KEFU_SCALED_CONVERSATIONS", "int", "100", "tests",
        "conversations of the scaled-mode load test",
        minimum=1),
    Var("KEFU_SCREENSHOTS", "path", None, "tests",
        "folder the browser tests save screenshots in (`make screenshots`)",
        shown="none taken"),
]
# fmt: on

#: every variable by name, in README order
VARIABLES: dict[str, Var] = {v.name: v for v in _DECLARED}
if len(VARIABLES) != len(_DECLARED):  # pragma: no cover - a declaration mistake
    raise ValueError("a KEFU_* variable is declared twice")


def variable(name: str) -> Var:
    """The declaration of ``name``; :class:`UnknownVariable` when there is none."""
    try:
        return VARIABLES[name]
    except KeyError:
        close = difflib.get_close_matches(name, VARIABLES, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UnknownVariable(
            f"{name} is not a kefu setting{hint}; declare it in common/config.py"
        ) from None


def value(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """The value of ``name`` in ``environ`` (default ``os.environ``), parsed to its type.

    Unset or empty: the declared default (``None`` where the reader decides). Raises
    :class:`SettingError` for a value its type does not allow, :class:`UnknownVariable` for a
    name that is not declared.
    """
    var = variable(name)
    env = os.environ if environ is None else environ
    raw = env.get(name, "")
    if raw == "":
        if var.default is None:
            return None
        raw = _REFERENCE.sub(lambda m: str(value(m.group(1), env) or ""), var.default)
    return parse(var, raw)


def values(fields: Mapping[str, str], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A settings object's keyword arguments: each field's variable, those that have a value.

    ``fields`` maps a field to its variable; a field whose variable has no value (no default
    either) is left out, so the object's own default decides.
    """
    read = {name: value(var, environ) for name, var in fields.items()}
    return {name: v for name, v in read.items() if v is not None}


def default(name: str) -> Any:
    """The default of ``name``, parsed (what :func:`value` gives in an empty environment)."""
    return value(name, {})


def parse(var: Var, raw: str) -> Any:
    """``raw`` as ``var``'s type; :class:`SettingError` says what is allowed."""
    if var.type == "mapping":
        return _mapping(var, raw)
    if var.type == "list":
        return tuple(p for p in re.split(r"[\s,]+", raw) if p)
    if var.type == "choice":
        if raw not in var.choices:
            raise SettingError(
                f"Invalid {var.what} {raw!r} in {var.name}. Valid {var.what}s are {var.choices}."
            )
        return raw
    if var.type == "model":
        return "" if raw.strip().lower() == "none" else raw
    return _scalar(var.name, var.type, raw, var.minimum)


def _scalar(name: str, kind: str, raw: str, minimum: float | None = None) -> Any:
    if kind == "str":
        return raw
    if kind == "path":
        return Path(raw).expanduser()
    if kind == "bool":
        if raw.strip().lower() in TRUE:
            return True
        if raw.strip().lower() in FALSE:
            return False
        raise SettingError(f"{name} must be {TYPES['bool']}, got {raw!r}.")
    number: float
    try:
        number = int(raw) if kind == "int" else float(raw)
    except ValueError:
        whole = " (a whole number)" if kind == "int" else ""
        raise SettingError(f"{name} must be a number{whole}, got {raw!r}.") from None
    if minimum is not None and number < minimum:
        raise SettingError(f"{name} must be at least {minimum:g}, got {raw!r}.")
    return number


def _mapping(var: Var, raw: str) -> dict[str, Any]:
    entries = _entries(var, var.default or "") if var.bare else {}
    return entries | _entries(var, raw)


def _entries(var: Var, raw: str) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in raw.split(var.sep))):
        key, eq, text = part.rpartition("=") if var.bare else part.partition("=")
        key = key.strip() or var.bare
        try:
            if (not eq and not var.bare) or not key or not text.strip():
                raise SettingError(part)
            entries[key] = item = _scalar(var.name, var.item, text.strip())
        except SettingError:
            raise SettingError(
                f"{var.name} entry {part!r} is not of the form {var.form}."
            ) from None
        if var.minimum is not None and item < var.minimum:
            raise SettingError(
                f"{var.name} must be at least {var.minimum:g} per entry, got {part!r}."
            )
    return entries


# -- README.md ----------------------------------------------------------------------------------


def _shown(var: Var) -> str:
    if var.shown:
        return var.shown
    if var.default in (None, ""):
        return "–"
    if var.type == "bool":
        return "on (`1`)" if parse(var, var.default) else "off"
    if var.type in ("int", "float"):
        return var.default
    return f"`{var.default}`"


def markdown() -> str:
    """README.md's configuration tables: one per group."""
    out: list[str] = []
    for group, title in GROUPS.items():
        rows = [v for v in VARIABLES.values() if v.group == group]
        out += [f"**{title}**", "", "| variable | default | meaning |", "|---|---|---|"]
        out += [f"| `{v.name}` | {_shown(v)} | {v.meaning} |" for v in rows]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def readme_with_tables(text: str) -> str:
    """``text`` (README.md) with the block between the markers replaced by :func:`markdown`."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no {BEGIN!r} ... {END!r} block")
    return text[: start + len(BEGIN)] + "\n" + markdown() + text[end:]


def main(argv: list[str] | None = None) -> int:
    """``python3 -m common.config --markdown`` prints the tables; ``--write`` updates README."""
    parser = argparse.ArgumentParser(prog="python3 -m common.config", description=__doc__)
    parser.add_argument("--markdown", action="store_true", help="print README's tables")
    parser.add_argument("--write", action="store_true", help="rewrite them in README.md")
    args = parser.parse_args(argv)
    if args.write:
        text = README.read_text(encoding="utf-8")
        new = readme_with_tables(text)
        if new != text:
            README.write_text(new, encoding="utf-8")
        print(f"{README}: configuration tables {'updated' if new != text else 'up to date'}")
    if args.markdown or not args.write:
        sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
