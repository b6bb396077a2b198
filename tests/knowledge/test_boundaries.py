"""The answer engine stands alone: knowledge/ imports neither the shop nor the actions."""

from __future__ import annotations

import ast
from pathlib import Path

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_knowledge_imports_neither_shop_nor_actions() -> None:
    crossing = {
        f"{path.relative_to(KNOWLEDGE.parent)}: {name}"
        for path in KNOWLEDGE.rglob("*.py")
        for name in imported(path)
        if name.split(".")[0] in ("shop", "actions", "web", "bot")
    }
    assert not crossing
    assert len(list(KNOWLEDGE.rglob("*.py"))) > 20, "the scan found the package"
