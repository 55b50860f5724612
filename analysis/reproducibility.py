"""Section "Reproducibility": the package version, Python and library versions, and checksums of the data files,
of the lock file and of the code, so a reader can tell whether their copy of the report was made from the same
inputs (the package's version number alone does not change with every commit)."""

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


#: the code the numbers and figures come from: (folder or file, glob)
CODE = [("src/ssstats", "**/*"), ("analysis", "**/*.py"), ("sections", "*.qmd"), (".", "report.qmd")]


def code_files(root: Path = ROOT) -> list[Path]:
    """The files of :data:`CODE` (no caches), sorted by path."""
    out = set()
    for folder, pattern in CODE:
        for p in (root / folder).glob(pattern):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
                out.add(p)
    return sorted(out, key=lambda p: p.relative_to(root).as_posix())


def code_checksum(root: Path = ROOT) -> str:
    """One SHA-256 over the code: each file's path and SHA-256 on a line, in path order, hashed."""
    lines = "".join(f"{p.relative_to(root).as_posix()}\t{sha256(p)}\n" for p in code_files(root))
    return hashlib.sha256(lines.encode()).hexdigest()


def checksums(root: Path = ROOT) -> pd.DataFrame:
    """SHA-256 of every file in ``data/``, of ``requirements.lock`` and (one digest) of the code."""
    files = sorted(p for p in (root / "data").rglob("*") if p.is_file() and not p.name.startswith("."))
    files.append(root / "requirements.lock")
    names = [str(p.relative_to(root)) for p in files]
    digests = [sha256(p) for p in files]
    names.append(f"code: {', '.join(f for f, _ in CODE if f != '.')} and report.qmd "
                 f"({len(code_files(root))} files)")
    digests.append(code_checksum(root))
    return pd.DataFrame({"File": names, "SHA-256": digests})


def versions() -> pd.DataFrame:
    rows = [("Python", platform.python_version())] + [(lib, version(lib)) for lib in LIBRARIES]
    return pd.DataFrame(rows, columns=["Software", "Version"])


def run(root: Path = ROOT) -> dict:
    return {"versions": versions(), "checksums": checksums(root)}
