"""Render a Quarto report (``report.qmd``) to HTML and PDF, with Quarto when it is installed and without it when not.

``render(path, to="all", engine="auto")`` runs ``quarto render`` when ``quarto`` is on PATH (engine ``auto`` or
``quarto``).  Otherwise (engine ``builtin``) it renders the same file itself:

1. :mod:`~ssstats.render.qmd` reads the front matter and body, expanding ``{{< include >}}`` shortcodes;
2. :mod:`~ssstats.render.execute` runs every ``{python}`` chunk and inline `` `{python} expr` `` in document
   order in one Jupyter kernel, in the document's folder;
3. :mod:`~ssstats.render.weave` writes pandoc Markdown, honouring the ``#|`` options;
4. :mod:`~ssstats.render.pandoc` converts it, through ``crossref.lua`` (figure numbers and ``@fig-`` references)
   and citeproc, to self-contained HTML and, through pandoc's Typst writer and the ``typst`` package, to PDF.

Outputs are ``<stem>.html`` and ``<stem>.pdf`` beside the document.  They are written to temporary files and moved
into place only when every requested format has been made, so a failed render never replaces a good report.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .._validate import SSStatsError, check_method
from .qmd import RenderError, read_qmd
from .quarto import find_quarto, render_quarto

__all__ = ["render", "cli_render", "RenderError", "FORMATS", "ENGINES"]

#: ``to`` -> output formats
FORMATS = {"html": ["html"], "pdf": ["pdf"], "all": ["html", "pdf"]}


def _engine_auto() -> str:
    return "quarto" if find_quarto() else "builtin"


#: ``engine`` -> the engine it means
ENGINES = {"auto": _engine_auto, "quarto": lambda: "quarto", "builtin": lambda: "builtin"}


def _render_builtin(path: Path, formats: list[str], timeout: int) -> list[Path]:
    from . import pandoc
    from .execute import KernelSession, execute
    from .weave import pandoc_metadata, weave

    doc = read_qmd(path)
    folder = path.parent
    converters = {"html": (pandoc.to_html, ".html"), "pdf": (pandoc.to_pdf, ".pdf")}
    tmp = Path(tempfile.mkdtemp(prefix=".ssstats-render-", dir=folder))
    try:
        with KernelSession(folder, timeout=timeout) as session:
            outputs, values = execute(doc, session)
        markdown = tmp / f"{path.stem}.md"
        markdown.write_text(pandoc_metadata(doc.meta) + weave(doc, outputs, values, tmp), encoding="utf-8")
        made = []
        for fmt in formats:
            convert, suffix = converters[fmt]
            made.append((convert(markdown, tmp / f"{path.stem}{suffix}", doc.meta, folder), path.with_suffix(suffix)))
        for made_file, final in made:  # only now that every format was made
            os.replace(made_file, final)
        return [final for _, final in made]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


#: where the document's code should write its figures during a render (read by ``analysis.figures_dir``); they are
#: moved into ``figures/`` beside the document only when every output was made
FIGURES_ENV = "SSSTATS_FIGURES_DIR"


def _staged_figures(path: Path, run):
    """Run ``run()`` with figures written to a staging folder; on success move them into ``figures/``; on failure
    leave ``figures/`` (and, for Quarto, the report files) as they were."""
    folder = path.parent
    stage = Path(tempfile.mkdtemp(prefix=".ssstats-render-figures-", dir=folder))
    backup = Path(tempfile.mkdtemp(prefix=".ssstats-render-backup-", dir=folder))
    old = os.environ.get(FIGURES_ENV)
    try:
        kept = {}
        for suffix in (".html", ".pdf"):  # Quarto writes in place, one format at a time: keep the good ones
            out = path.with_suffix(suffix)
            if out.is_file():
                kept[out] = backup / out.name
                shutil.copy2(out, kept[out])
        os.environ[FIGURES_ENV] = str(stage)
        try:
            result = run()
        except BaseException:
            for out, copy in kept.items():
                os.replace(copy, out)
            raise
        made = sorted(stage.iterdir())
        if made:
            (folder / "figures").mkdir(exist_ok=True)
        for f in made:
            os.replace(f, folder / "figures" / f.name)
        return result
    finally:
        if old is None:
            os.environ.pop(FIGURES_ENV, None)
        else:
            os.environ[FIGURES_ENV] = old
        shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(backup, ignore_errors=True)


def _render(path, to, engine, timeout) -> tuple[list[Path], str]:
    formats = check_method(to, FORMATS, "to")
    used = check_method(engine, ENGINES, "engine")()
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        raise SSStatsError(f"`timeout` must be a positive whole number of seconds; got {timeout!r}")
    path = Path(path).resolve()
    if not path.is_file():
        raise RenderError(f"`path`: the document {str(path)!r} was not found")
    if path.suffix != ".qmd":
        raise RenderError(f"`path` must be a .qmd file; got {str(path)!r}")
    if used == "quarto":
        return _staged_figures(path, lambda: render_quarto(path, formats)), used
    return _staged_figures(path, lambda: _render_builtin(path, formats, timeout)), used


def render(path="report.qmd", to: str = "all", engine: str = "auto", timeout: int = 1200) -> list[Path]:
    """Render a Quarto document to HTML and/or PDF.

    Parameters
    ----------
    path : str or Path
        The ``.qmd`` file.
    to : {'all', 'html', 'pdf'}
        Output format(s).  PDF is made through Typst (Quarto's ``typst`` format), never LaTeX.
    engine : {'auto', 'quarto', 'builtin'}
        ``auto`` uses Quarto when ``quarto`` is on PATH, else the built-in renderer.
    timeout : int
        Seconds one chunk may run (built-in renderer).

    Returns
    -------
    list of Path
        The files written, ``<stem>.html`` and/or ``<stem>.pdf`` beside the document.

    Raises
    ------
    SSStatsError
        A bad argument (naming it and its value).
    RenderError
        (an :class:`SSStatsError`) The document cannot be rendered: bad front matter or chunk option, a missing
        include, a chunk that raised (naming its label and line, with the traceback), a pandoc or Typst failure,
        or Quarto exiting non-zero.  No output file is replaced, and ``figures/`` is left as it was: the
        document's code writes its figures to the folder named by ``$SSSTATS_FIGURES_DIR`` (see
        ``analysis.figures_dir``), and they are moved into ``figures/`` only once every output was made.

    Examples
    --------
    >>> from ssstats.render import render
    >>> render("report.qmd", to="html", engine="builtin")  # doctest: +SKIP
    [PosixPath('.../report.html')]
    """
    return _render(path, to, engine, timeout)[0]


def cli_render(args) -> int:
    """``ssstats render``: render ``args.path`` to ``args.to`` with ``args.engine``; print what was written.

    Returns the exit code: 0 on success, Quarto's code if Quarto failed, else 1 (with the reason on stderr).
    """
    start = time.perf_counter()
    try:
        paths, used = _render(args.path, args.to, args.engine, args.timeout)
    except RenderError as e:
        print(f"ssstats render: {e}", file=sys.stderr)
        return e.returncode or 1
    except SSStatsError as e:
        print(f"ssstats render: {e}", file=sys.stderr)
        return 1
    for p in paths:
        print(f"wrote {p}")
    print(f"engine: {used} ({time.perf_counter() - start:.1f} s)")
    return 0
