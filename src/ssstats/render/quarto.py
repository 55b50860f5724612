"""Render with Quarto itself when ``quarto`` is on PATH.

``quarto render <file> --to html`` and ``quarto render <file> --to typst`` (Quarto's Typst format writes the PDF),
run in the document's folder; the outputs are Quarto's defaults, ``<stem>.html`` and ``<stem>.pdf`` beside the
document.

References
----------
.. [1] Quarto documentation, "quarto render", https://quarto.org/docs/cli/render.html
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .qmd import RenderError

__all__ = ["find_quarto", "QUARTO_FORMATS", "render_quarto"]

#: ssstats output -> (Quarto format, file suffix)
QUARTO_FORMATS = {"html": ("html", ".html"), "pdf": ("typst", ".pdf")}


def find_quarto() -> str | None:
    """The ``quarto`` executable on PATH, or ``None``."""
    return shutil.which("quarto")


def render_quarto(path: Path, formats: list[str], quarto: str | None = None) -> list[Path]:
    """Run ``quarto render`` once per format; return the files written.

    Raises
    ------
    RenderError
        Quarto is not on PATH, exits non-zero (``returncode`` is Quarto's), or does not write the expected file.
    """
    quarto = quarto or find_quarto()
    if quarto is None:
        raise RenderError("`engine`: 'quarto' was asked for but no `quarto` executable is on PATH; "
                          "use engine 'auto' or 'builtin'")
    # Quarto runs the chunks with the Python that runs ssstats (its packages, its ipykernel), not whatever
    # `python3` comes first on PATH; a QUARTO_PYTHON set by the user wins.
    env = dict(os.environ)
    env.setdefault("QUARTO_PYTHON", sys.executable)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    written = []
    for fmt in formats:
        qfmt, suffix = QUARTO_FORMATS[fmt]
        start = time.time()
        proc = subprocess.run([quarto, "render", path.name, "--to", qfmt], cwd=path.parent, env=env)
        if proc.returncode != 0:
            raise RenderError(f"quarto render {path.name} --to {qfmt} failed with exit code {proc.returncode}",
                              returncode=proc.returncode)
        out = path.with_suffix(suffix)
        if not out.is_file() or out.stat().st_mtime < start - 2:
            raise RenderError(f"quarto render {path.name} --to {qfmt} exited 0 but did not write {out.name}")
        written.append(out)
    return written
