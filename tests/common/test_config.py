"""common/config.py: the one table of KEFU_* variables, its accessor and README's tables."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from common import config
from common.config import VARIABLES, SettingError, UnknownVariable, default, value

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", "__pycache__", "node_modules", ".venv", ".rasa", ".gpu", "models", "reports"}
REGENERATE = "python3 -m common.config --write"
CORS = ("http://a.example", "http://b.example", "http://c.example")


def sources(*suffixes: str, names: tuple[str, ...] = ()) -> list[Path]:
    """The repository's files with these suffixes or names (no caches, models or reports)."""
    return sorted(
        p
        for p in ROOT.rglob("*")
        if p.is_file()
        and (p.suffix in suffixes or p.name in names)
        and not SKIP_DIRS & set(p.relative_to(ROOT).parts[:-1])
    )


# -- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "parsed"),
    [
        ("KEFU_HOST", "0.0.0.0", "0.0.0.0"),
        ("KEFU_TOP_K", "7", 7),
        ("KEFU_ANSWER_THRESHOLD", "0.5", 0.5),
        ("KEFU_HYBRID", "1", True),
        ("KEFU_HYBRID", "Yes", True),
        ("KEFU_GENERATOR_INT8", "0", False),
        ("KEFU_GENERATOR_INT8", "off", False),
        ("KEFU_CACHE", "/srv/kefu", Path("/srv/kefu")),
        ("KEFU_CACHE", "~/k", Path.home() / "k"),
        ("KEFU_DEVICE", "cuda", "cuda"),
        ("KEFU_READER_MODEL", "None", ""),
        ("KEFU_READER_MODEL", "/models/reader", "/models/reader"),
        ("KEFU_CORS", "http://a.example  http://b.example,http://c.example", CORS),
        ("KEFU_MODEL_PATHS", "a/b=/m/ab; c/d = /m/c", {"a/b": Path("/m/ab"), "c/d": Path("/m/c")}),
        ("KEFU_SERVE_REPLICAS", "3", {"*": 3}),
        ("KEFU_SERVE_REPLICAS", "read=2, encode=1", {"*": 1, "read": 2, "encode": 1}),
    ],
)
def test_each_type_is_parsed(name: str, raw: str, parsed: object) -> None:
    assert value(name, {name: raw}) == parsed


def test_unset_or_empty_gives_the_declared_default() -> None:
    assert value("KEFU_TOP_K", {}) == value("KEFU_TOP_K", {"KEFU_TOP_K": ""}) == 5
    assert default("KEFU_CORS") == () and default("KEFU_MODEL_PATHS") == {}
    assert default("KEFU_SERVE_REPLICAS") == {"*": 1}
    assert default("KEFU_RERANKER_MODEL") == "", "declared as 'none'"
    assert default("KEFU_TORCH_THREADS") is None, "None: the reader decides (all cores)"


def test_a_default_may_name_another_variable_read_from_the_same_environment() -> None:
    env = {"KEFU_CACHE": "/srv/kefu", "KEFU_RASA_PORT": "6005"}
    assert value("KEFU_CONSOLE_DB", env) == Path("/srv/kefu/console.db")
    assert value("KEFU_TRACKER_URL", env) == "sqlite:////srv/kefu/tracker.db"
    env["KEFU_TRACKER_DB"] = "/data/t.db"
    assert value("KEFU_TRACKER_URL", env) == "sqlite:////data/t.db"
    assert value("KEFU_PUBLIC_RASA_URL", env) == "http://localhost:6005"
    assert value("KEFU_RASA_API", {}) == "http://127.0.0.1:5005"


def test_the_process_environment_is_read_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_RATE_LIMIT", "12")
    assert value("KEFU_RATE_LIMIT") == 12
    monkeypatch.delenv("KEFU_RATE_LIMIT")
    assert value("KEFU_RATE_LIMIT") == 30


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("KEFU_TOP_K", "many", r"KEFU_TOP_K must be a number \(a whole number\), got 'many'"),
        ("KEFU_TOP_K", "2.5", "KEFU_TOP_K must be a number"),
        ("KEFU_ANSWER_THRESHOLD", "high", "KEFU_ANSWER_THRESHOLD must be a number, got 'high'"),
        ("KEFU_RATE_LIMIT", "-1", "KEFU_RATE_LIMIT must be at least 0, got '-1'"),
        ("KEFU_HYBRID", "2", r"KEFU_HYBRID must be 1 or 0 \(also true/false"),
        ("KEFU_DEVICE", "tpu", r"Invalid device 'tpu' in KEFU_DEVICE\. Valid devices are"),
        ("KEFU_BATCH_BACKEND", "celery", "KEFU_BATCH_BACKEND. Valid backends are"),
        ("KEFU_MODEL_PATHS", "no-equals", "KEFU_MODEL_PATHS entry 'no-equals' is not of the form"),
        ("KEFU_MODEL_PATHS", "a=", "not of the form 'hub-id=/local/folder'"),
        ("KEFU_SERVE_REPLICAS", "read=two", "KEFU_SERVE_REPLICAS entry 'read=two' is not of"),
        ("KEFU_SERVE_REPLICAS", "read=0", "KEFU_SERVE_REPLICAS must be at least 1 per entry"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_it_allows(
    name: str, raw: str, message: str
) -> None:
    with pytest.raises(SettingError, match=message):
        value(name, {name: raw})


def test_a_setting_error_is_a_value_error() -> None:
    """Callers that caught ValueError from int() or the redaction kinds still catch it."""
    assert issubclass(SettingError, ValueError)


def test_an_undeclared_name_fails_loudly() -> None:
    with pytest.raises(UnknownVariable, match=r"KEFU_TOPK is not a kefu setting.*KEFU_TOP_K"):
        value("KEFU_TOPK", {"KEFU_TOPK": "3"})
    with pytest.raises(UnknownVariable, match=r"declare it in common/config\.py"):
        default("KEFU_NOTHING_LIKE_IT")


# -- the table itself ---------------------------------------------------------------------------


def test_every_variable_is_declared_once_with_a_valid_default_group_and_meaning() -> None:
    assert len(VARIABLES) == len(config._DECLARED)
    for var in VARIABLES.values():
        default(var.name)  # parses (templates included)
        assert var.group in config.GROUPS and var.meaning and "|" not in var.meaning, var.name
        assert var.default is not None or var.shown, f"{var.name}: say what unset means"
    assert set(config.GROUPS) == {v.group for v in VARIABLES.values()}, "an empty group"
    assert {"engine", "batching", "serving", "shop", "generator", "web"} <= set(config.GROUPS)


def test_the_module_needs_only_the_standard_library_and_python_3_10() -> None:
    """Rasa's environment (Python 3.10) imports it too."""
    source = (ROOT / "common" / "config.py").read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 10))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
             for a in n.names}  # fmt: skip
    names |= {n.module.split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.module}  # fmt: skip
    assert names <= set(sys.stdlib_module_names) | {"__future__"}


# -- README.md ----------------------------------------------------------------------------------


def test_readme_configuration_tables_are_generated_from_the_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert config.BEGIN in readme and config.END in readme
    assert config.readme_with_tables(readme) == readme, (
        f"README.md's configuration tables are stale: run `{REGENERATE}`"
    )


def test_markdown_has_one_table_per_group_and_one_row_per_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert config.main(["--markdown"]) == 0
    out = capsys.readouterr().out
    for title in config.GROUPS.values():
        assert f"**{title}**" in out
    for name in VARIABLES:
        assert len(re.findall(rf"^\| `{name}` \|", out, re.M)) == 1, name
    assert "| `KEFU_TOP_K` | 5 | passages retrieved per question |" in out


# -- nothing else reads KEFU_* from the environment -------------------------------------------


def _is_environ(node: ast.AST, aliases: set[str]) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "environ"
    return isinstance(node, ast.Name) and node.id in aliases | {"environ"}


def environ_reads(source: str) -> list[str]:
    """``line: what`` for each read of a KEFU_* variable (or a computed name) from os.environ.

    Reads: ``os.environ.get(...)``, ``os.environ[...]``, ``... in os.environ``, ``os.getenv(...)``,
    also through a name bound to ``os.environ`` (``env = os.environ``). Building an environment
    for a child process (``{**os.environ, "KEFU_X": ...}``) or setting one is not reading.
    """
    tree = ast.parse(source)
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            candidates = [node.value]
            if isinstance(node.value, ast.IfExp):
                candidates = [node.value.body, node.value.orelse]
            if any(_is_environ(c, set()) for c in candidates):
                aliases |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    found: list[str] = []
    for node in ast.walk(tree):
        key: ast.AST | None = None
        if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
            reads = node.func.attr in ("get", "pop") and _is_environ(node.func.value, aliases)
            key = node.args[0] if reads or node.func.attr == "getenv" else None
        elif isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Name):
            key = node.args[0] if node.func.id == "getenv" else None
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = node.slice if _is_environ(node.value, aliases) else None
        elif isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In | ast.NotIn):
            key = node.left if _is_environ(node.comparators[0], aliases) else None
        if key is None:
            continue
        if not isinstance(key, ast.Constant):
            found.append(f"{node.lineno}: a computed name")
        elif isinstance(key.value, str) and key.value.startswith("KEFU_"):
            found.append(f"{node.lineno}: {key.value}")
    return found


def test_the_scanner_finds_each_kind_of_read() -> None:
    source = """
import os
from os import environ, getenv
a = os.environ.get("KEFU_A")
b = os.environ["KEFU_B"]
c = "KEFU_C" in os.environ
d = getenv("KEFU_D")
env = os.environ if True else {}
e = env.get("KEFU_E")
f = os.environ.get(name)
g = environ["KEFU_G"]
ok = os.environ.get("HF_HUB_OFFLINE"), {**os.environ, "KEFU_H": "1"}
os.environ["KEFU_I"] = "1"
"""
    assert [r.split(": ")[1] for r in environ_reads(source)] == [
        "KEFU_A", "KEFU_B", "KEFU_C", "KEFU_D", "KEFU_E", "a computed name", "KEFU_G",
    ]  # fmt: skip


def test_only_common_config_reads_kefu_variables_from_the_environment() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{read}"
        for path in sources(".py")
        if path != ROOT / "common" / "config.py"
        for read in environ_reads(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, (
        "read KEFU_* variables with common.config.value (declare new ones in common/config.py): "
        + ", ".join(offenders)
    )


def test_every_kefu_name_the_code_scripts_and_docs_mention_is_declared() -> None:
    """Launchers (scripts, Makefile, Procfile, deploy/) read the environment themselves."""
    not_variables = {"KEFU_CONFIG", "KEFU_PYTHON"}  # widget placeholder; lib.sh's KEFU_PYTHON310
    files = sources(
        ".py", ".sh", ".yml", ".yaml", ".md", ".toml", ".conf", ".js", ".html", ".in",
        names=("Makefile", "Procfile", "Dockerfile"),
    )  # fmt: skip
    unknown = {
        f"{name} ({path.relative_to(ROOT)})"
        for path in files
        if path != Path(__file__).resolve()
        for name in re.findall(r"\bKEFU_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(errors="replace"))
        if name not in VARIABLES and name not in not_variables
    }
    assert not unknown, f"declare these in common/config.py: {sorted(unknown)}"


def test_the_launchers_shell_defaults_match_the_table() -> None:
    files = sources(".sh", names=("Makefile", "Procfile"))
    mismatches = []
    for path in files:
        for name, literal in re.findall(r"\$\{(KEFU_[A-Z0-9_]+):-([^}$\"'(]*)\}", path.read_text()):
            var = VARIABLES[name]
            if not var.shown and var.default is not None and literal != var.default:
                mismatches.append(f"{path.relative_to(ROOT)}: {name}={literal}, not {var.default}")
    assert not mismatches
