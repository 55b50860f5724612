"""Section "Reproducibility": the package version, Python and library versions, and checksums of the data files
and of the lock file, so a reader can tell whether their copy of the report was made from the same inputs."""

from __future__ import annotations

import hashlib
import platform
from importlib.metadata import version
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LIBRARIES = ["ssstats", "numpy", "scipy", "statsmodels", "pandas", "matplotlib"]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def checksums(root: Path = ROOT) -> pd.DataFrame:
    """SHA-256 of every file in ``data/`` and of ``requirements.lock``, sorted by path."""
    files = sorted(p for p in (root / "data").rglob("*") if p.is_file() and not p.name.startswith("."))
    files.append(root / "requirements.lock")
    return pd.DataFrame({"File": [str(p.relative_to(root)) for p in files],
                         "SHA-256": [sha256(p) for p in files]})


def versions() -> pd.DataFrame:
    rows = [("Python", platform.python_version())] + [(lib, version(lib)) for lib in LIBRARIES]
    return pd.DataFrame(rows, columns=["Software", "Version"])


def run(root: Path = ROOT) -> dict:
    return {"versions": versions(), "checksums": checksums(root)}
