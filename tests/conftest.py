"""Shared fixtures: the whole report rendered (built-in renderer) in two fresh copies of the repository."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ssstats-render-*",
                                "figures", "report.html", "report.pdf", "*.egg-info")


@dataclass
class RenderedReport:
    root: Path
    html: str
    html_path: Path
    outputs: list[Path]

    @property
    def figures(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted((self.root / "figures").iterdir())}


def _render_copy(base: Path, name: str, to: str) -> RenderedReport:
    from ssstats.render import render

    work = base / name
    shutil.copytree(ROOT, work, ignore=IGNORE)
    # the copy has no git history to date the PDF by: fix the date as a reproducible build does (the renderer
    # otherwise takes the last commit's time in a clone, or now)
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    try:
        outputs = render(work / "report.qmd", to=to, engine="builtin", timeout=900)
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    html_path = next(p for p in outputs if p.suffix == ".html")
    return RenderedReport(work, html_path.read_text(encoding="utf-8"), html_path, outputs)


@pytest.fixture(scope="session")
def rendered_report(tmp_path_factory) -> RenderedReport:
    """report.qmd rendered to HTML and PDF in a copy of the repository (the working tree is never written)."""
    return _render_copy(tmp_path_factory.mktemp("render"), "first", "all")


@pytest.fixture(scope="session")
def rendered_again(tmp_path_factory) -> RenderedReport:
    """The same report rendered a second time, from another fresh copy, to HTML and PDF."""
    return _render_copy(tmp_path_factory.mktemp("render"), "second", "all")
