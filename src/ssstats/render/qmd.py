"""Read a Quarto ``.qmd`` file: front matter, ``{{< include >}}`` expansion, ``{python}`` chunks and their ``#|``
options, and inline `` `{python} expr` `` values.

The result is a :class:`Document`: the front matter (a dict) and a flat list of items in document order --
:class:`Markdown` text, :class:`Inline` expressions and :class:`Chunk` code cells -- each carrying the file and
line it came from (include files included), so that an error can name where it happened.

Only what the built-in renderer needs is parsed; the rest of the Markdown is left to pandoc.

References
----------
.. [1] Quarto documentation, "Execution options" and "Includes", https://quarto.org/docs/computations/
.. [2] Quarto documentation, "Inline code", https://quarto.org/docs/computations/inline-code.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .._validate import SSStatsError

__all__ = [
    "RenderError",
    "Origin",
    "Markdown",
    "Inline",
    "Chunk",
    "Document",
    "CHUNK_OPTIONS",
    "read_qmd",
    "parse_options",
    "check_options",
    "split_inline",
]


class RenderError(SSStatsError):
    """A report that cannot be rendered: bad front matter, a missing include, a bad chunk option, a chunk that
    raised.  ``returncode`` is the exit code the command line should return."""

    def __init__(self, message: str, returncode: int = 1):
        super().__init__(message)
        self.returncode = returncode


@dataclass(frozen=True)
class Origin:
    """Where a line came from: the file (relative to the main document's folder when inside it) and line (1-based)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Markdown:
    """Markdown text passed on to pandoc as it is."""

    text: str


@dataclass
class Inline:
    """An inline `` `{python} expr` `` value."""

    expr: str
    origin: Origin


@dataclass
class Chunk:
    """A ``{python}`` code chunk: its code without the ``#|`` lines, its own options and where its fence starts."""

    code: str
    options: dict[str, Any]
    origin: Origin
    index: int = 0
    #: the line (in ``origin.file``) of the first line of ``code``
    code_line: int = 0

    @property
    def label(self) -> str | None:
        return self.options.get("label")

    def describe(self) -> str:
        """``chunk 'fig-x' (sections/_a.qmd:12)``, or ``chunk 3 (...)`` when unlabelled."""
        name = repr(self.label) if self.label else f"{self.index + 1} (unlabelled)"
        return f"chunk {name} at {self.origin}"


@dataclass
class Document:
    """A parsed ``.qmd``: its path, front matter and items in document order."""

    path: Path
    meta: dict[str, Any]
    items: list[Markdown | Inline | Chunk] = field(default_factory=list)

    @property
    def chunks(self) -> list[Chunk]:
        return [i for i in self.items if isinstance(i, Chunk)]


# ---------------------------------------------------------------------------------------------------------------
# chunk options: name -> (check, description of the allowed values)

def _is_bool(v) -> bool:
    return isinstance(v, bool)


def _is_str(v) -> bool:
    return isinstance(v, str)


CHUNK_OPTIONS: dict[str, tuple[Any, str]] = {
    "label": (lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9_][\w.:-]*", v) is not None,
              "a name of letters, digits, '-', '_', '.' or ':'"),
    "echo": (lambda v: _is_bool(v) or v == "fenced", "true, false or fenced"),
    "eval": (_is_bool, "true or false"),
    "output": (lambda v: _is_bool(v) or v == "asis", "true, false or asis"),
    "include": (_is_bool, "true or false"),
    "warning": (_is_bool, "true or false"),
    "error": (_is_bool, "true or false"),
    "fig-cap": (_is_str, "a string"),
    "fig-alt": (_is_str, "a string"),
    "tbl-cap": (_is_str, "a string"),
}
"""The ``#|`` options the built-in renderer honours, with their allowed values."""

#: options that only change layout under Quarto; accepted and not acted on by the built-in renderer
LAYOUT_OPTIONS = frozenset({
    "fig-width", "fig-height", "fig-dpi", "fig-align", "fig-pos", "fig-format", "fig-column", "tbl-column",
    "tbl-colwidths", "code-fold", "code-summary", "code-overflow", "code-line-numbers", "classes", "column",
})

#: front-matter ``execute:`` keys that set chunk defaults
EXECUTE_DEFAULTS = ("echo", "eval", "output", "include", "warning", "error")

#: Quarto's own defaults
DEFAULTS = {"echo": True, "eval": True, "output": True, "include": True, "warning": True, "error": False}


def check_options(options: dict[str, Any], where: str) -> dict[str, Any]:
    """Check chunk (or ``execute:``) options against :data:`CHUNK_OPTIONS`; return them.

    Raises
    ------
    RenderError
        An unknown option or a value outside the allowed ones, naming ``where``, the option and the value.
    """
    for key, value in options.items():
        if key in LAYOUT_OPTIONS:
            continue
        if key not in CHUNK_OPTIONS:
            known = ", ".join(sorted(CHUNK_OPTIONS) + sorted(LAYOUT_OPTIONS))
            raise RenderError(f"{where}: unknown chunk option `{key}` (value {value!r}); known options: {known}")
        ok, allowed = CHUNK_OPTIONS[key]
        if not ok(value):
            raise RenderError(f"{where}: chunk option `{key}` must be {allowed}; got {value!r}")
    return options


def parse_options(lines: list[str], where: str) -> tuple[dict[str, Any], int]:
    """Read the leading ``#|`` lines of a chunk as YAML.

    Parameters
    ----------
    lines : list of str
        The chunk's lines, fence excluded.
    where : str
        Where the chunk is, for messages.

    Returns
    -------
    options : dict
        The checked options.
    n : int
        How many leading lines were option lines.

    Examples
    --------
    >>> parse_options(["#| label: fig-a", "#| echo: false", "x = 1"], "here")
    ({'label': 'fig-a', 'echo': False}, 2)
    """
    n = 0
    while n < len(lines) and lines[n].lstrip().startswith("#|"):
        n += 1
    text = "\n".join(re.sub(r"^\s*#\|\s?", "", line) for line in lines[:n])
    try:
        options = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as e:
        raise RenderError(f"{where}: the `#|` chunk options are not valid YAML:\n{e}") from None
    if not isinstance(options, dict):
        raise RenderError(f"{where}: the `#|` chunk options must be `key: value` lines; got {text!r}")
    return check_options(options, where), n


# ---------------------------------------------------------------------------------------------------------------
# reading, with includes expanded

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_INCLUDE = re.compile(r"^\s*\{\{<\s*include\s+(?P<path>\"[^\"]+\"|'[^']+'|\S+)\s*>\}\}\s*$")
_PAGEBREAK = re.compile(r"^\s*\{\{<\s*pagebreak\s*>\}\}\s*$")
_SHORTCODE = re.compile(r"(?<!\{)\{\{<\s*(\S+).*?>\}\}(?!\})")
_CHUNK_OPEN = re.compile(r"^(?P<fence>`{3,})\s*\{python(?P<rest>[^}]*)\}\s*$")
_FENCE = re.compile(r"^\s{0,3}(?P<fence>`{3,}|~{3,})")
_PAGEBREAK_RAW = "\n```{=typst}\n#pagebreak()\n```\n\n```{=html}\n<div style=\"page-break-after: always;\"></div>\n```\n"


def _split_front_matter(text: str, name: str) -> tuple[dict[str, Any], str, int]:
    """Return (front matter, body, number of lines the front matter took)."""
    m = _FRONT.match(text)
    if not m:
        if text.startswith("---"):
            raise RenderError(f"{name}: the front matter starting at line 1 has no closing `---` line")
        return {}, text, 0
    try:
        meta = yaml.safe_load(m.group(1) or "") or {}
    except yaml.YAMLError as e:
        raise RenderError(f"{name}: the YAML front matter is not valid:\n{e}") from None
    if not isinstance(meta, dict):
        raise RenderError(f"{name}: the YAML front matter must be a mapping of `key: value`; got {meta!r}")
    return meta, text[m.end():], m.group(0).count("\n")


def _lines(path: Path, root: Path, stack: tuple[Path, ...], first_line: int, text: str) -> list[tuple[str, Origin]]:
    """The lines of ``text`` (from ``path``, starting at ``first_line``) with includes expanded recursively."""
    try:
        name = str(path.relative_to(root))
    except ValueError:
        name = str(path)
    out: list[tuple[str, Origin]] = []
    fence = None  # the open fence of a code block: includes are not expanded inside one
    for k, line in enumerate(text.split("\n")):
        origin = Origin(name, first_line + k)
        f = _FENCE.match(line)
        if fence is None and f:
            fence = f.group("fence")
        elif fence is not None and _closes(line, fence):
            fence = None
        elif fence is None and (m := _INCLUDE.match(line)):
            target = (path.parent / m.group("path").strip("'\"")).resolve()
            if target in stack:
                chain = " -> ".join(str(p.name) for p in (*stack, target))
                raise RenderError(f"{origin}: include cycle: {chain}")
            if not target.is_file():
                raise RenderError(f"{origin}: the included file {m.group('path')} was not found (looked for {target})")
            body = target.read_text(encoding="utf-8")
            out.extend(_lines(target, root, (*stack, target), 1, body))
            continue
        elif fence is None and _PAGEBREAK.match(line):
            out.extend((raw, origin) for raw in _PAGEBREAK_RAW.split("\n"))
            continue
        elif fence is None and (m := _SHORTCODE.search(line)):
            raise RenderError(f"{origin}: the shortcode {{{{< {m.group(1)} >}}}} is not supported by the built-in "
                              "renderer (only include and pagebreak are); escape it as {{{< ... >}}} to show it")
        out.append((line, origin))
    return out


_INLINE = re.compile(r"(?<!`)`\{python\}[ \t]+(?P<expr>[^`]+?)[ \t]*`(?!`)")


def split_inline(text: str, origin: Origin) -> list[Markdown | Inline]:
    """Split Markdown text at its inline `` `{python} expr` `` expressions.

    ``origin`` is where ``text`` starts; each :class:`Inline` gets its own line.

    Examples
    --------
    >>> split_inline("n = `{python} n`.", Origin("a.qmd", 3))
    [Markdown(text='n = '), Inline(expr='n', origin=Origin(file='a.qmd', line=3)), Markdown(text='.')]
    """
    items: list[Markdown | Inline] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            items.append(Markdown(text[pos:m.start()]))
        line = origin.line + text.count("\n", 0, m.start())
        items.append(Inline(m.group("expr"), Origin(origin.file, line)))
        pos = m.end()
    if pos < len(text):
        items.append(Markdown(text[pos:]))
    return items


def _closes(line: str, fence: str) -> bool:
    """Whether ``line`` closes a code block opened with ``fence``."""
    f = _FENCE.match(line)
    return bool(f) and f.group("fence")[0] == fence[0] and len(f.group("fence")) >= len(fence) \
        and not line.strip().strip(fence[0])


def _text_items(lines: list[tuple[str, Origin]]) -> list[Markdown | Inline]:
    """Markdown lines -> items; inline expressions are looked for outside fenced code blocks only."""
    items: list[Markdown | Inline] = []
    run: list[tuple[str, Origin]] = []

    def flush(scan: bool) -> None:
        # one run may join lines of several files: cut where the origin jumps, so each inline knows its line
        start = 0
        for k in range(1, len(run) + 1):
            if k == len(run) or run[k][1] != Origin(run[k - 1][1].file, run[k - 1][1].line + 1):
                text = "\n".join(line for line, _ in run[start:k]) + "\n"
                items.extend(split_inline(text, run[start][1]) if scan else [Markdown(text)])
                start = k
        run.clear()

    fence = None
    for line, origin in lines:
        f = _FENCE.match(line)
        if fence is None and f:
            flush(True)
            fence = f.group("fence")
            run.append((line, origin))
        elif fence is not None and _closes(line, fence):
            run.append((line, origin))
            flush(False)
            fence = None
        else:
            run.append((line, origin))
    flush(fence is None)
    return items


def read_qmd(path: str | Path) -> Document:
    """Parse a ``.qmd`` file.

    Parameters
    ----------
    path : str or Path
        The document.

    Returns
    -------
    Document
        Front matter and items (Markdown, inline expressions, chunks) in document order, includes expanded.

    Raises
    ------
    RenderError
        The file is missing; the front matter is not a YAML mapping; an include is missing or circular; a chunk is
        not closed, has options in its fence or a bad ``#|`` option; two chunks share a label; an unsupported
        shortcode is used.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise RenderError(f"`path`: the document {str(path)!r} was not found")
    text = path.read_text(encoding="utf-8")
    meta, body, skip = _split_front_matter(text, path.name)
    execute = meta.get("execute", {}) or {}
    if not isinstance(execute, dict):
        raise RenderError(f"{path.name}: front matter `execute` must be a mapping; got {execute!r}")
    check_options({k: v for k, v in execute.items() if k in EXECUTE_DEFAULTS}, f"{path.name}: front matter `execute`")

    lines = _lines(path, path.parent, (path,), skip + 1, body)
    doc = Document(path=path, meta=meta)
    pending: list[tuple[str, Origin]] = []
    labels: dict[str, Origin] = {}
    k = 0
    fence = None  # an open non-python code block: chunks inside it are shown, not run
    while k < len(lines):
        line, origin = lines[k]
        m = _CHUNK_OPEN.match(line) if fence is None else None
        if not m:
            if fence is None and (f := _FENCE.match(line)):
                fence = f.group("fence")
            elif fence is not None and _closes(line, fence):
                fence = None
            pending.append((line, origin))
            k += 1
            continue
        if m.group("rest").strip():
            raise RenderError(f"{origin}: options in the chunk fence ({m.group('rest').strip()!r}) are not "
                              "supported; write them as `#| key: value` lines")
        doc.items.extend(_text_items(pending))
        pending = []
        ticks = m.group("fence")
        end = k + 1
        while end < len(lines) and not re.fullmatch(rf"{ticks}`*\s*", lines[end][0]):
            end += 1
        if end == len(lines):
            raise RenderError(f"{origin}: the python chunk opened here is never closed with {ticks}")
        body_lines = [ln for ln, _ in lines[k + 1:end]]
        options, n = parse_options(body_lines, f"chunk at {origin}")
        code_lines = body_lines[n:]
        lead = next((j for j, ln in enumerate(code_lines) if ln.strip()), 0)
        chunk = Chunk("\n".join(code_lines).strip("\n"), options, origin, index=len(doc.chunks),
                      code_line=origin.line + 1 + n + lead)
        if chunk.label:
            if chunk.label in labels:
                raise RenderError(f"{origin}: chunk label {chunk.label!r} is already used at {labels[chunk.label]}")
            labels[chunk.label] = origin
        doc.items.append(chunk)
        k = end + 1
    doc.items.extend(_text_items(pending))
    return doc
