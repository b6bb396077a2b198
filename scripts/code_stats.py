"""Code size and shape at a git revision: lines per package, largest files and functions.

``python3 scripts/code_stats.py [REV ...]`` (standard library; from the repository root)
prints, per revision (default ``HEAD``), the non-blank, non-comment lines of Python per
package (``knowledge/models`` and ``shop/logistics`` count apart from their parents), the ten
largest files and the ten longest functions. ``--out FILE`` writes the same as JSON. The
import graph is checked by ``python3 ../shared/tools/import_cycles.py .``.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

NESTED = ("knowledge", "shop")  # their sub-packages are counted apart


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def package(path: str) -> str:
    """The package a file counts under: its top folder, or its sub-package for NESTED."""
    parts = path.split("/")
    if len(parts) == 1:
        return "(root)"
    if parts[0] in NESTED and len(parts) > 2:
        return f"{parts[0]}/{parts[1]}"
    return parts[0]


def code_lines(text: str) -> int:
    """Lines that are neither blank nor only a comment."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def stats(rev: str) -> dict[str, Any]:
    """The figures of one revision."""
    files = [f for f in _git("ls-tree", "-r", "--name-only", rev).split("\n") if f.endswith(".py")]
    by_package: dict[str, int] = {}
    sizes: list[tuple[int, str]] = []
    functions: list[tuple[int, str]] = []
    for path in files:
        text = _git("show", f"{rev}:{path}")
        lines = code_lines(text)
        by_package[package(path)] = by_package.get(package(path), 0) + lines
        sizes.append((lines, path))
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                functions.append((length, f"{path}:{node.name}"))
    return {
        "revision": _git("rev-parse", "--short", rev).strip(),
        "lines_by_package": dict(sorted(by_package.items())),
        "lines": sum(by_package.values()),
        "largest_files": [{"file": f, "lines": n} for n, f in sorted(sizes, reverse=True)[:10]],
        "longest_functions": [
            {"function": f, "lines": n} for n, f in sorted(functions, reverse=True)[:10]
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """Print (and optionally write) the figures of each revision."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("revisions", nargs="*", default=["HEAD"])
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    report = {rev: stats(rev) for rev in args.revisions}
    text = json.dumps(report, indent=2) + "\n"
    if args.out:
        args.out.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
