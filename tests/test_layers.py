"""The package's layers: data -> models -> presentation; nothing imports upward (checked on the source)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ssstats"

DATA = {"_validate", "_result", "_exports", "data"}
MODELS = {"rates", "attrition", "units", "funnel", "disclosure", "underreporting", "simulate"}
PRESENTATION = {"plots", "tables", "render", "cli", "reproduce", "__init__", "__main__"}
LAYER = {**{m: 0 for m in DATA}, **{m: 1 for m in MODELS}, **{m: 2 for m in PRESENTATION}}


def _top(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    return rel.parts[0]


def _imports(path: Path) -> set[str]:
    """First-level ssstats modules that ``path`` imports at module level (imports inside functions are the
    documented call-time look-ups, e.g. Result.plot)."""
    tree = ast.parse(path.read_text())
    pkg = path.relative_to(SRC).parts[:-1]
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(pkg[: len(pkg) - node.level + 1])
                parts = base + (node.module.split(".") if node.module else [])
                found.update([parts[0]] if parts else [a.name for a in node.names])
            elif node.module and node.module.startswith("ssstats."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("ssstats."):
                    found.add(a.name.split(".")[1])
    return {f for f in found if f in LAYER}


FILES = sorted(p for p in SRC.rglob("*.py"))


def test_every_module_has_a_layer():
    assert {_top(p) for p in FILES} <= set(LAYER), {_top(p) for p in FILES} - set(LAYER)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_upward_import(path):
    me = _top(path)
    for other in _imports(path):
        assert LAYER[other] <= LAYER[me], f"{path.relative_to(SRC)} ({me}) imports {other} from a higher layer"
