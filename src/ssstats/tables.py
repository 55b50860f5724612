"""Markdown tables for the report (presentation layer).

Quarto and the built-in renderer both read pandoc pipe tables, so report chunks print these with
``#| output: asis``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["markdown_table", "Markdown"]


class Markdown(str):
    """Text to be read as Markdown where an inline expression shows it, e.g. a citation ``[@key]``.

    Quarto (from 1.4) escapes the Markdown in a plain string that an inline `` `{python} expr` `` returns, so that a
    value is shown as it is; an object with ``_repr_markdown_`` (as ``IPython.display.Markdown``) is taken as
    Markdown instead.  ssstats' built-in renderer does the same, so a report reads the same in both.
    """

    def _repr_markdown_(self) -> str:
        return str(self)


def _cell(v, digits: int) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        if float(v).is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:,.{digits}g}"
    return str(v).replace("|", "\\|").replace("\n", " ")


def markdown_table(df: pd.DataFrame, caption: str | None = None, digits: int = 3, index: bool = False,
                   align: dict | None = None) -> str:
    """Format ``df`` as a pandoc pipe table.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; numbers are formatted with thousands separators and ``digits`` significant digits.
    caption : str, optional
        Table caption (pandoc ``: caption`` line).
    digits : int
        Significant digits for non-integer floats.
    index : bool
        Include the index as the first column.
    align : dict, optional
        Column name -> ``'left'`` or ``'right'``; numbers are right-aligned by default.
    """
    if index:
        df = df.reset_index()
    align = align or {}
    cols = [str(c) for c in df.columns]
    rows = [[_cell(v, digits) for v in row] for row in df.itertuples(index=False, name=None)]
    marks = []
    for c in df.columns:
        side = align.get(c) or ("right" if pd.api.types.is_numeric_dtype(df[c]) else "left")
        marks.append("---:" if side == "right" else ":---")
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    out = "\n".join(lines)
    if caption:
        out += f"\n\n: {caption}"
    return "\n" + out + "\n"
