"""Convert the woven pandoc Markdown to self-contained HTML, and to PDF through pandoc's Typst writer and the
``typst`` package.

Pandoc is the binary shipped with ``pypandoc_binary`` (:func:`pypandoc.get_pandoc_path`), run in the document's
folder so that the bibliography and images resolve as they do under Quarto.  Both formats run ``crossref.lua``
and then citeproc.  The HTML embeds every image and stylesheet (``--embed-resources``) and writes mathematics as
MathML, so opening it makes no network request.

References
----------
.. [1] Pandoc User's Guide, https://pandoc.org/MANUAL.html (``--embed-resources``, ``--citeproc``, typst writer)
.. [2] typst-py, https://github.com/messense/typst-py
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from .qmd import RenderError

__all__ = ["pandoc_path", "format_options", "to_html", "to_pdf"]


def pandoc_path() -> str:
    """The pandoc binary of ``pypandoc_binary``."""
    try:
        import pypandoc
    except ImportError:  # pragma: no cover - a declared dependency of the render extra
        raise RenderError("the built-in renderer needs pypandoc_binary: pip install 'ssstats[render]'") from None
    return pypandoc.get_pandoc_path()


def source_date_epoch(cwd: Path) -> int | None:
    """The PDF's creation date, so that rendering twice gives the same file: ``SOURCE_DATE_EPOCH`` when set
    (the reproducible-builds convention), else the time of the last git commit of the report's folder, else
    ``None`` (now)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return int(epoch)
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=cwd, capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    text = out.stdout.strip()
    return int(text) if out.returncode == 0 and text.isdigit() else None


def _data(name: str) -> str:
    """The path of a file shipped in ``ssstats/render/`` (``crossref.lua``, ``typst-header.typ``)."""
    return str(resources.files("ssstats.render").joinpath(name))


def format_options(meta: dict[str, Any], fmt: str) -> dict[str, Any]:
    """The front matter's options for ``fmt`` (``html`` or ``typst``): top-level keys overridden by ``format: fmt:``.

    Examples
    --------
    >>> format_options({"toc": False, "format": {"html": {"toc": True}}}, "html")
    {'toc': True}
    """
    keys = ("toc", "toc-depth", "number-sections", "section-numbering", "page-numbering", "papersize", "fontsize",
            "mainfont", "css")
    opts = {k: meta[k] for k in keys if k in meta}
    fmts = meta.get("format")
    if isinstance(fmts, dict) and isinstance(fmts.get(fmt), dict):
        opts.update(fmts[fmt])
    return opts


def _run(args: list[str], cwd: Path, what: str) -> str:
    proc = subprocess.run([pandoc_path(), *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RenderError(f"pandoc failed making the {what} (exit {proc.returncode}):\n{proc.stderr.strip()}")
    for line in proc.stderr.splitlines():  # warnings (unresolved references, missing citations) are shown
        print(f"pandoc ({what}): {line}", file=sys.stderr)
    return proc.stdout


def _common(opts: dict[str, Any]) -> list[str]:
    # --columns: pipe tables keep their natural column widths instead of widths from the dashes of the rule line
    args = ["--from=markdown", "--standalone", "--columns=10000", f"--lua-filter={_data('crossref.lua')}",
            "--citeproc"]
    if opts.get("toc"):
        args.append("--toc")
        if "toc-depth" in opts:
            args.append(f"--toc-depth={int(opts['toc-depth'])}")
    return args


def to_html(markdown: Path, output: Path, meta: dict[str, Any], cwd: Path) -> Path:
    """Write self-contained HTML from ``markdown``; pandoc runs in ``cwd`` (the document's folder), against which
    the bibliography and image paths resolve."""
    opts = format_options(meta, "html")
    args = [*_common(opts), "--to=html5", "--embed-resources", "--mathml", f"--output={output}", str(markdown)]
    if opts.get("number-sections"):
        args.insert(0, "--number-sections")
    css = opts.get("css") or []
    for sheet in [css] if isinstance(css, str) else css:  # Quarto's `css:` option; embedded in the HTML
        if not (cwd / sheet).is_file():
            raise RenderError(f"the stylesheet {sheet!r} named by `css:` in the front matter does not exist")
        args.insert(0, f"--css={sheet}")
    _run(args, cwd, "HTML")
    return output


def to_pdf(markdown: Path, output: Path, meta: dict[str, Any], cwd: Path) -> Path:
    """Write PDF from ``markdown``: pandoc's Typst writer (run in ``cwd``), compiled by the ``typst`` package with
    ``cwd`` as its root, so that image paths resolve from the document's folder."""
    try:
        import typst
    except ImportError:  # pragma: no cover - a declared dependency of the render extra
        raise RenderError("the built-in renderer needs the typst package: pip install 'ssstats[render]'") from None
    opts = format_options(meta, "typst")
    args = [*_common(opts), "--to=typst", f"--include-in-header={_data('typst-header.typ')}", str(markdown)]
    numbering = opts.get("section-numbering") or ("1.1" if opts.get("number-sections") else None)
    if numbering:
        args += ["--number-sections", f"--variable=section-numbering={numbering}"]
    if opts.get("page-numbering"):
        args.append(f"--variable=page-numbering={opts['page-numbering']}")
    source = _run(args, cwd, "Typst source for the PDF")
    epoch = source_date_epoch(cwd)
    stamp = {"timestamp": epoch} if epoch is not None else {}
    try:
        typst.compile(source.encode("utf-8"), output=str(output), root=str(cwd), **stamp)
    except Exception as e:  # typst raises its own TypstError with the compiler's diagnostics
        raise RenderError(f"typst could not compile the PDF:\n{e}") from None
    return output
