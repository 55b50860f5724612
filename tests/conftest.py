"""Shared fixtures: the whole report rendered (built-in renderer) in two fresh copies of the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
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


class _RenderJob:
    """``ssstats render --engine builtin --to all`` of a fresh copy of the repository, running in its own process,
    so that the two renders the tests compare run side by side (one per core)."""

    def __init__(self, base: Path, name: str):
        self.work = base / name
        shutil.copytree(ROOT, self.work, ignore=IGNORE)
        # the copy has no git history to date the PDF by: fix the date as a reproducible build does (the renderer
        # otherwise takes the last commit's time in a clone, or now)
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        self.log = (base / f"{name}.log").open("w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ssstats", "render", "report.qmd", "--to", "all", "--engine", "builtin",
             "--timeout", "900"], cwd=self.work, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._result: RenderedReport | None = None

    def result(self) -> RenderedReport:
        if self._result is None:
            rc = self.proc.wait(timeout=1800)
            self.log.seek(0)
            log = self.log.read()
            self.log.close()
            if rc != 0:
                pytest.fail(f"rendering report.qmd failed (exit {rc}):\n{log[-4000:]}")
            outputs = [self.work / "report.html", self.work / "report.pdf"]
            missing = [p.name for p in outputs if not p.is_file()]
            if missing:
                pytest.fail(f"rendering report.qmd wrote no {', '.join(missing)}:\n{log[-4000:]}")
            html_path = outputs[0]
            self._result = RenderedReport(self.work, html_path.read_text(encoding="utf-8"), html_path, outputs)
        return self._result


_EARLY: dict[str, _RenderJob] = {}  # the renders started at collection, by name
_EARLY_BASE: list[Path] = []  # and the folder they render in


def pytest_collection_modifyitems(session, config, items):
    """When a selected test needs the rendered report, start both renders now, so that they run while the rest
    of the suite does (the suite itself is single-threaded; the machines have two cores)."""
    if any({"rendered_report", "rendered_again"} & set(getattr(item, "fixturenames", ())) for item in items):
        base = Path(tempfile.mkdtemp(prefix="ssstats-render-"))
        _EARLY_BASE.append(base)
        _EARLY.update({name: _RenderJob(base, name) for name in ("first", "second")})


@pytest.fixture(scope="session")
def _render_jobs(tmp_path_factory) -> dict[str, _RenderJob]:
    """Both renders: the ones started at collection, else started together the first time either is needed."""
    if _EARLY:
        jobs = dict(_EARLY)
    else:
        base = tmp_path_factory.mktemp("render")
        jobs = {name: _RenderJob(base, name) for name in ("first", "second")}
    yield jobs
    _stop(jobs.values())  # a session cut short leaves no render running


def _stop(jobs) -> None:
    """Kill renders still running, close their logs and remove the folder the early ones rendered in."""
    for job in jobs:
        if job.proc.poll() is None:
            job.proc.kill()
            job.proc.wait()
        if not job.log.closed:
            job.log.close()
    for base in _EARLY_BASE:
        shutil.rmtree(base, ignore_errors=True)


def pytest_sessionfinish(session, exitstatus):
    _stop(_EARLY.values())  # started at collection but never asked for (e.g. -x stopped the session)


@pytest.fixture(scope="session")
def rendered_report(_render_jobs) -> RenderedReport:
    """report.qmd rendered to HTML and PDF in a copy of the repository (the working tree is never written)."""
    return _render_jobs["first"].result()


@pytest.fixture(scope="session")
def rendered_again(_render_jobs) -> RenderedReport:
    """The same report rendered a second time, from another fresh copy, to HTML and PDF (in parallel with the
    first: rendering twice must give the same bytes however the two runs are scheduled)."""
    return _render_jobs["second"].result()
