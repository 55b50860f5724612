"""Run a document's chunks and inline expressions, in order, in one Jupyter kernel (nbclient + ipykernel).

:class:`KernelSession` starts the ``python3`` kernel of the running environment in the document's folder, with
matplotlib's inline backend producing PNG figures, and runs code cells one at a time, returning their nbformat
outputs.  :func:`execute` walks a :class:`~ssstats.render.qmd.Document` and attaches outputs to chunks and values
to inline expressions; a chunk that raises (without ``error: true``) stops it with a :class:`RenderError` naming
the chunk, its line and the traceback.

References
----------
.. [1] nbclient documentation, "Executing notebooks", https://nbclient.readthedocs.io/
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .qmd import DEFAULTS, EXECUTE_DEFAULTS, Chunk, Document, Inline, RenderError

__all__ = ["KernelSession", "execute", "traceback_text"]

#: run first, hidden from the user's namespace: PNG figures, and the helper that formats an inline value
_SETUP = r"""
def __ssstats_inline__(value):
    # as Quarto: Markdown objects are Markdown; any other value is shown as text, its Markdown escaped
    import re
    from IPython.display import display
    if hasattr(value, "_repr_markdown_"):
        text = value._repr_markdown_()
    else:
        text = re.sub(r"([\\`*_{}\[\]<>#|~^$@])", r"\\\1", str(value))
    display({"text/markdown": text}, raw=True)

try:
    from matplotlib_inline.backend_inline import set_matplotlib_formats as __ssstats_fmt__
    __ssstats_fmt__("png")
    del __ssstats_fmt__
except ImportError:  # matplotlib not installed: no figures to format
    pass
get_ipython().user_ns_hidden["__ssstats_inline__"] = __ssstats_inline__
"""

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(r"^Cell In\[\d+\], line (\d+)", re.M)  # IPython's frame of the cell itself


def traceback_text(output: dict) -> str:
    """The plain-text traceback of an nbformat ``error`` output (ANSI colours removed)."""
    lines = output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"]
    return _ANSI.sub("", "\n".join(lines))


class KernelSession:
    """One Jupyter kernel running in ``cwd``; use as a context manager.

    Parameters
    ----------
    cwd : str or Path
        The kernel's working directory (the document's folder).
    timeout : int
        Seconds one cell may run.
    kernel_name : str
        The kernel spec.  Kernel specs are looked up in no folder, so ``python3`` is always the ipykernel of the
        running interpreter (``sys.executable``), never a ``python3`` spec a user installed elsewhere.

    Examples
    --------
    >>> with KernelSession(".") as k:  # doctest: +SKIP
    ...     k.run("1 + 1")[0]["data"]["text/plain"]
    '2'
    """

    def __init__(self, cwd: str | Path, timeout: int = 1200, kernel_name: str = "python3"):
        self.cwd = Path(cwd)
        self.timeout = timeout
        self.nb = nbformat.v4.new_notebook()
        km = AsyncKernelManager(kernel_name=kernel_name, kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
        self.client = NotebookClient(self.nb, km=km, kernel_name=kernel_name, timeout=timeout, allow_errors=True,
                                     resources={"metadata": {"path": str(self.cwd)}})
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> KernelSession:
        env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline", PYDEVD_DISABLE_FILE_VALIDATION="1")
        # the kernel process's own stderr (start-up notices, a crash) is kept aside and shown only if it dies
        self._stderr = self._stack.enter_context(tempfile.TemporaryFile("w+"))
        self._stack.enter_context(self.client.setup_kernel(env=env, stderr=self._stderr))
        out = self.run(_SETUP)
        errors = [o for o in out if o.get("output_type") == "error"]
        if errors:  # pragma: no cover - the setup code is ours
            raise RenderError(f"the kernel could not be set up:\n{traceback_text(errors[0])}")
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def run(self, code: str, where: str = "a cell") -> list[dict[str, Any]]:
        """Run ``code``; return its nbformat outputs (errors included, never raised)."""
        cell = nbformat.v4.new_code_cell(code)
        self.nb.cells.append(cell)
        try:
            self.client.execute_cell(cell, len(self.nb.cells) - 1)
        except CellTimeoutError:
            raise RenderError(f"{where} ran for more than {self.timeout} s (the --timeout) and was stopped") from None
        except DeadKernelError as e:
            self._stderr.seek(0)
            log = self._stderr.read()[-3000:]
            raise RenderError(f"the kernel died while running {where}: {e}\nkernel stderr:\n{log}") from None
        return [dict(o) for o in cell.outputs]

    def inline(self, expr: str, where: str = "an inline expression") -> str:
        """Evaluate an inline expression; return its text (a string as it is, else ``str(value)``)."""
        out = self.run(f"__ssstats_inline__((\n{expr}\n))", where)
        for o in out:
            if o.get("output_type") == "error":
                raise RenderError(f"{where} `{{python}} {expr}` raised:\n{traceback_text(o)}")
        texts = [o["data"]["text/markdown"] for o in out if "text/markdown" in o.get("data", {})]
        return "".join(texts)


def effective_options(chunk: Chunk, meta: dict[str, Any]) -> dict[str, Any]:
    """Quarto's defaults, overridden by the front matter's ``execute:``, overridden by the chunk's ``#|`` lines."""
    execute = {k: v for k, v in (meta.get("execute") or {}).items() if k in EXECUTE_DEFAULTS}
    return {**DEFAULTS, **execute, **chunk.options}


def execute(doc: Document, session: KernelSession) -> tuple[dict[int, list[dict]], dict[int, str]]:
    """Run every chunk and inline expression of ``doc`` in document order.

    Returns
    -------
    outputs : dict
        Chunk index -> its nbformat outputs (chunks with ``eval: false`` are absent).
    values : dict
        Position of the inline item in ``doc.items`` -> its text.

    Raises
    ------
    RenderError
        A chunk raised and does not have ``error: true`` (the message names the chunk's label and line and holds the
        traceback), an inline expression raised, or a chunk ran past the timeout.
    """
    outputs: dict[int, list[dict]] = {}
    values: dict[int, str] = {}
    for pos, item in enumerate(doc.items):
        if isinstance(item, Chunk):
            opts = effective_options(item, doc.meta)
            if not opts["eval"]:
                continue
            out = session.run(item.code, item.describe())
            errors = [o for o in out if o.get("output_type") == "error"]
            if errors and not opts["error"]:
                tb = traceback_text(errors[0])
                m = _CELL_LINE.search(tb)
                at = f" (line {item.code_line + int(m.group(1)) - 1} of {item.origin.file})" if m else ""
                raise RenderError(f"{item.describe()} raised an error{at}:\n{tb}")
            outputs[item.index] = out
        elif isinstance(item, Inline):
            values[pos] = session.inline(item.expr, f"the inline expression at {item.origin}")
    return outputs, values
