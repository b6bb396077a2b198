"""web/http.py: the plumbing both route modules share, so that neither imports the other."""

import ast
from pathlib import Path

import web

WEB = Path(web.__file__).parent


def imported(module: str) -> set[str]:
    """The web.* modules ``web/<module>.py`` imports, anywhere in the file."""
    tree = ast.parse((WEB / f"{module}.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n.startswith("web.")}


def test_the_console_and_the_plumbing_do_not_import_the_server() -> None:
    assert "web.http" in imported("console_api") and "web.http" in imported("server")
    assert "web.server" not in imported("console_api")
    assert not imported("http"), "the plumbing imports no route module"
