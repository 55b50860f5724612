"""Turn a parsed document and its executed outputs into pandoc Markdown.

Each chunk becomes, as its options say: its code (``echo``), its printed output as a code block or, with
``output: asis``, as raw Markdown, its results (``text/markdown`` as Markdown, ``text/plain`` as a code block) and
its PNG images.  The images of a chunk labelled ``fig-x`` become one figure with id ``fig-x``, caption ``fig-cap``
and alt text ``fig-alt``, written as a Quarto figure div (``::: {#fig-x}``) that ``crossref.lua`` turns into a
numbered pandoc figure.  The outputs of a chunk labelled ``tbl-x`` are wrapped in a ``::: {#tbl-x}`` div likewise.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import yaml

from .execute import effective_options, traceback_text
from .qmd import Chunk, Document, Inline, Markdown

__all__ = ["weave", "pandoc_metadata", "QUARTO_ONLY_KEYS"]

#: front-matter keys that configure Quarto itself, not the document: not passed to pandoc
QUARTO_ONLY_KEYS = frozenset({"format", "execute", "jupyter", "engine", "knitr", "filters", "crossref", "project",
                              "freeze", "editor", "toc", "number-sections", "section-numbering"})


def _fence(text: str, info: str = "") -> str:
    """A fenced code block holding ``text``, with a fence longer than any backtick run inside it."""
    longest = max((len(run) for run in text.replace("\n", " ").split() if set(run) == {"`"}), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip(chr(10))}\n{ticks}"


def _attr(value: str) -> str:
    return json.dumps(value)  # a double-quoted string with \" escapes, which pandoc's attribute syntax reads


def _chunk_markdown(chunk: Chunk, opts: dict[str, Any], outputs: list[dict], image_dir: Path, rel_to: Path) -> str:
    parts: list[str] = []
    if opts["echo"] == "fenced":
        parts.append(_fence("```{python}\n" + chunk.code + "\n```", " {.python}"))
    elif opts["echo"]:
        parts.append(_fence(chunk.code, " {.python}"))
    if opts["output"] is False:
        return "\n\n".join(parts)
    asis = opts["output"] == "asis"
    label = chunk.label or ""
    images: list[tuple[bytes, str]] = []
    figures: list[str] = []  # images of a fig- chunk, gathered into one figure
    stream: list[str] = []  # consecutive stdout text is shown as one block

    def flush_stream():
        if stream:
            text = "".join(stream)
            parts.append(text if asis else _fence(text))
            stream.clear()

    for o in outputs:
        kind = o.get("output_type")
        if kind == "stream":
            if o.get("name") == "stderr":
                if opts["warning"]:
                    flush_stream()
                    parts.append(_fence(o.get("text", ""), " {.stderr}"))
                continue
            stream.append(o.get("text", ""))
            continue
        flush_stream()
        if kind == "error":  # only reached with error: true
            parts.append(_fence(traceback_text(o), " {.error}"))
            continue
        data = o.get("data", {})
        if "image/png" in data:
            png = base64.b64decode(data["image/png"])
            if png in (img for img, _ in images):  # a figure both returned and auto-shown by the inline backend
                continue
            name = f"{chunk.label or f'chunk-{chunk.index + 1}'}-{len(images) + 1}.png"
            path = image_dir / name
            path.write_bytes(png)
            images.append((png, path.relative_to(rel_to).as_posix()))
            alt = opts.get("fig-alt")
            md = f"![]({images[-1][1]})" + (f"{{fig-alt={_attr(alt)}}}" if alt else "")
            (figures if label.startswith("fig-") else parts).append(md)
        elif "text/markdown" in data:
            parts.append(data["text/markdown"])
        elif "text/plain" in data:
            parts.append(data["text/plain"] if asis else _fence(data["text/plain"]))
    flush_stream()

    if figures:
        return "\n\n".join([*parts, f"::: {{#{label}}}", *figures, opts.get("fig-cap", ""), ":::"])
    if label.startswith("tbl-"):
        cap = opts.get("tbl-cap")
        head = f"::: {{#{label}" + (f" tbl-cap={_attr(cap)}" if cap else "") + "}"
        return "\n\n".join([head, *parts, ":::"])
    return "\n\n".join(parts)


def weave(doc: Document, outputs: dict[int, list[dict]], values: dict[int, str], image_dir: Path) -> str:
    """The body of the document as pandoc Markdown (no metadata block).

    Parameters
    ----------
    doc : Document
        The parsed document.
    outputs, values : dict
        From :func:`ssstats.render.execute.execute`.
    image_dir : Path
        Where PNG figures are written; Markdown refers to them relative to the document's folder.
    """
    out: list[str] = []
    for pos, item in enumerate(doc.items):
        if isinstance(item, Markdown):
            out.append(item.text)
        elif isinstance(item, Inline):
            out.append(values[pos])
        elif isinstance(item, Chunk):
            opts = effective_options(item, doc.meta)
            if not opts["include"]:
                continue
            md = _chunk_markdown(item, opts, outputs.get(item.index, []), image_dir, doc.path.parent)
            if md:
                out.append("\n" + md + "\n\n")
    return "".join(out)


def pandoc_metadata(meta: dict[str, Any]) -> str:
    """The document's front matter as a pandoc YAML metadata block, without Quarto's own settings."""
    kept = {k: v for k, v in meta.items() if k not in QUARTO_ONLY_KEYS}
    if not kept:
        return ""
    return "---\n" + yaml.safe_dump(kept, allow_unicode=True, sort_keys=False) + "---\n\n"
