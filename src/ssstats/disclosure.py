"""Statistical disclosure control for unit-level tables: :func:`suppress`.

Figures about sexual incidents on a single ward or provider can identify the people involved.  Every unit-level
table (and every labelled point of a plot) that ssstats publishes goes through :func:`suppress`, which applies NHS
Digital's rule for Hospital Episode Statistics below national level (from September 2018) [1]_:

- counts from 1 to 7 are replaced by ``"*"``;
- every other count is rounded to the nearest 5 (0 stays 0);
- a percentage or rate built on a suppressed count is suppressed too.

On top of the published rule, :func:`suppress` applies *secondary* (complementary) suppression [2]_: when a row or
a column of counts holds exactly one suppressed cell, that cell could be recovered by subtracting the others from
the row or column total, so the next smallest cell of that row or column is suppressed as well, and the check is
repeated until no row or column has a lone suppressed cell.

References
----------
.. [1] NHS Digital (2018). *Hospital Episode Statistics (HES) analysis guide*, section "Suppression of small
   numbers" (rule in force from September 2018: 1-7 suppressed, other counts rounded to the nearest 5).
.. [2] Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 4 (cell suppression;
   secondary suppression of tabular data).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._validate import SSStatsError, as_counts, check_columns, check_method

__all__ = ["suppress", "suppression_log", "round_to_base", "SECONDARY_MODES"]

#: secondary-suppression mode -> (check rows, check columns)
SECONDARY_MODES: dict = {True: (True, True), "both": (True, True), "rows": (True, False),
                         "columns": (False, True), False: (False, False)}


def round_to_base(counts, base: int = 5) -> np.ndarray:
    """Round non-negative counts to the nearest multiple of ``base``; half-way values round up.

    With the default ``base=5`` no count is half-way (counts are whole numbers), so the tie rule matters only for
    even bases (with ``base=10``, 15 becomes 20).

    Examples
    --------
    >>> round_to_base([0, 8, 12, 13, 1374]).tolist()
    [0.0, 10.0, 10.0, 15.0, 1375.0]
    """
    x = np.asarray(counts, dtype=float)
    return np.floor(x / base + 0.5) * base


def suppression_log(shown: pd.DataFrame) -> pd.DataFrame:
    """What :func:`suppress` hid in ``shown`` and why: a DataFrame ``row, column, reason`` (never the values)."""
    return pd.DataFrame(shown.attrs.get("suppressed", []), columns=["row", "column", "reason"])


def _as_whole(value, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise SSStatsError(f"`{name}` must be a whole number of at least {minimum}; got {value!r}")
    return int(value)


def _count_columns(table: pd.DataFrame, columns) -> list:
    if columns is None:
        cols = [c for c in table.columns
                if pd.api.types.is_integer_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c])]
        if not cols:
            raise SSStatsError(
                "`table` has no integer columns to treat as counts; name the count columns with `columns=`; "
                f"it has {', '.join(f'{c!r} ({table[c].dtype})' for c in table.columns)}")
        return cols
    cols = [columns] if isinstance(columns, str) else list(columns)
    check_columns(table, cols, "`table`")
    if len(set(cols)) != len(cols):
        raise SSStatsError(f"`columns` lists a column twice: {cols}")
    return cols


def _derived_map(table: pd.DataFrame, derived, cols: list) -> dict:
    if derived is None:
        return {}
    if not isinstance(derived, Mapping):
        raise SSStatsError(f"`derived` must map a derived column to the count column(s) it is built on; "
                           f"got {type(derived).__name__}")
    out = {}
    for d, src in derived.items():
        srcs = [src] if isinstance(src, str) else list(src)
        check_columns(table, [d], "`table`")
        if d in cols:
            raise SSStatsError(f"`derived` column {d!r} is also listed as a count column")
        for s in srcs:
            if s not in cols:
                raise SSStatsError(f"`derived[{d!r}]` names {s!r}, which is not one of the count columns "
                                   f"{cols}")
        out[d] = srcs
    return out


def _total_positions(table: pd.DataFrame, totals, cols: list) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks: which rows hold column totals, which count columns hold row totals."""
    rows = np.zeros(len(table), dtype=bool)
    tcols = np.zeros(len(cols), dtype=bool)
    if totals is None:
        return rows, tcols
    if not isinstance(totals, Mapping) or set(totals) - {"rows", "columns"}:
        raise SSStatsError("`totals` must be None or a dict with keys 'rows' (index labels of total rows) "
                           f"and/or 'columns' (names of total columns); got {totals!r}")
    for label in np.atleast_1d(np.asarray(totals.get("rows", []), dtype=object)):
        hit = np.asarray(table.index == label)
        if not hit.any():
            raise SSStatsError(f"`totals['rows']` names {label!r}, which is not in the table's index")
        rows |= hit
    for name in np.atleast_1d(np.asarray(totals.get("columns", []), dtype=object)):
        if name not in cols:
            raise SSStatsError(f"`totals['columns']` names {name!r}, which is not one of the count columns {cols}")
        tcols[cols.index(name)] = True
    return rows, tcols


def _fmt_count(v: float) -> str:
    return f"{int(v):,}"


def _secondary_pass(values: np.ndarray, supp: np.ndarray, penalty: np.ndarray, axis: int) -> np.ndarray:
    """One vectorised pass over rows (axis=1) or columns (axis=0): in every line with exactly one suppressed cell,
    suppress the smallest unsuppressed cell (non-zero, non-total cells preferred).  Returns the new cells.

    A line of a single cell has no margin other than the cell itself, so it is left alone."""
    new = np.zeros_like(supp)
    if values.shape[axis] < 2:
        return new
    lines = np.flatnonzero(supp.sum(axis=axis) == 1)
    pick = np.argmin(np.where(supp, np.inf, values + penalty), axis=axis)
    if axis == 0:
        new[pick[lines], lines] = True
    else:
        new[lines, pick[lines]] = True
    return new


def suppress(table: pd.DataFrame, columns=None, *, threshold: int = 7, base: int = 5, derived=None,
             secondary=True, totals=None, symbol: str = "*") -> pd.DataFrame:
    """Apply disclosure control to a unit-level table: suppress small counts, round the rest.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per unit (ward, provider, ...); count columns hold non-negative whole numbers.
    columns : str or sequence of str, optional
        The count columns.  Default: every integer column (booleans excluded).  Float columns holding counts must
        be named here.
    threshold : int
        Counts from 1 to ``threshold`` are suppressed (shown as ``symbol``).  Default 7 (NHS Digital, HES).
    base : int
        Every other count is rounded to the nearest multiple of ``base``; half-way values round up (only possible
        for even bases); 0 stays 0.  ``base=1`` turns rounding off.  A non-zero count that would round to 0 (only
        possible when ``threshold < base / 2``) is suppressed instead, never shown as 0.
    derived : dict, optional
        Maps a derived column (a percentage, rate or ratio) to the count column(s) it is built on, e.g.
        ``{"pct_referred": ["referred_to_police", "incidents"]}``.  A derived cell is suppressed when any count it
        is built on is suppressed (primary or secondary); otherwise its value is kept as given (compute it
        from the unrounded counts, as HES does, or from the rounded ones).
    secondary : {True, 'both', 'rows', 'columns', False}
        Secondary suppression: in every row (across the count columns) and/or every count column (across the
        rows) holding exactly one suppressed cell, the smallest other cell is suppressed too (non-zero cells
        first, total cells last), repeated until stable.  A line of one cell (a one-row table, or a single count column) has no margin
        other than the cell itself and is left alone.  Use ``'columns'`` when the count columns are not parts
        of a whole (e.g. incidents and, of those, referrals to police), so that only column totals (the sum over
        units) can be used to recover a cell.
    totals : dict, optional
        Where the table itself holds totals: ``{"rows": [index labels of rows holding column totals],
        "columns": [count columns holding row totals]}``.  Totals are counts like the others (suppressed and
        rounded by the same rule) and are the last choice for secondary suppression.  Without it, the margins
        (row and column sums) are assumed to be computable or published elsewhere, which is the cautious
        assumption.
    symbol : str
        What suppressed cells show.

    Returns
    -------
    pandas.DataFrame
        A new frame, same index and columns.  Count columns hold display strings (thousands separators, or
        ``symbol``); derived columns hold their values or ``symbol`` (object dtype); other columns (labels) are
        copied unchanged.  Format it with :func:`ssstats.tables.markdown_table`.  ``.attrs``
        records what was done, never the suppressed values:

        - ``attrs["suppressed"]``: a list of records ``{"row", "column", "reason"}`` (reasons
          ``"primary: 1-7"``, ``"secondary: row ..."``/``"secondary: column ..."``, ``"derived from ..."``,
          ``"rounds to zero"``); :func:`suppression_log` gives it as a DataFrame;
        - ``attrs["rule"]``: the rule in words.

    Raises
    ------
    SSStatsError
        A count that is negative, not a whole number, or missing (NaN): censored cells must be resolved before
        tables are made, never dropped; unknown columns; a bad ``threshold``, ``base``, ``secondary``,
        ``totals`` or ``derived``.

    Notes
    -----
    Secondary suppression here protects against recovery from a single row or column total.  It does not audit
    every linear combination of margins (which needs linear programming, as in tau-argus); with every shown count
    also rounded to 5, exact recovery through several margins is not possible anyway.

    References
    ----------
    .. [1] NHS Digital (2018). HES analysis guide: suppression of small numbers (from September 2018).

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["A", "B", "C"], "incidents": [3, 40, 12]})
    >>> suppress(t, secondary="columns")["incidents"].tolist()
    ['*', '40', '*']
    """
    check_columns(table, [], "`table`")
    threshold = _as_whole(threshold, "threshold", 0)
    base = _as_whole(base, "base", 1)
    if not isinstance(symbol, str):
        raise SSStatsError(f"`symbol` must be a string; got {symbol!r}")
    if isinstance(secondary, (bool, np.bool_)):
        check_lines = SECONDARY_MODES[bool(secondary)]
    else:
        check_lines = check_method(secondary, {k: v for k, v in SECONDARY_MODES.items() if isinstance(k, str)},
                                   "secondary")
    cols = _count_columns(table, columns)
    deriv = _derived_map(table, derived, cols)
    total_rows, total_cols = _total_positions(table, totals, cols)
    labels = table.index if not isinstance(table.index, pd.RangeIndex) else None

    values = np.column_stack([as_counts(table[c], f"table[{c!r}]", labels) for c in cols]) if len(table) \
        else np.zeros((0, len(cols)))
    rounded = round_to_base(values, base)
    primary = (values >= 1) & (values <= threshold)
    to_zero = (values > 0) & (rounded == 0) & ~primary
    supp = primary | to_zero
    reason = np.full(values.shape, "", dtype=object)
    reason[primary] = f"primary: 1-{threshold}"
    reason[to_zero] = "rounds to zero"

    # secondary suppression: prefer small, non-zero, non-total cells
    big = float(values.max(initial=0.0)) + 1.0
    penalty = (values == 0) * big + (total_rows[:, None] | total_cols[None, :]) * 2 * big
    do_rows, do_cols = check_lines
    changed = do_rows or do_cols
    while changed:
        changed = False
        for axis, active in ((0, do_cols), (1, do_rows)):
            if not active or values.size == 0:
                continue
            new = _secondary_pass(values, supp, penalty, axis)
            if new.any():
                where = np.argwhere(new)
                for i, j in where:
                    reason[i, j] = (f"secondary: column {cols[j]!r}" if axis == 0
                                    else f"secondary: row {table.index[i]!r}")
                supp |= new
                changed = True

    out = table.copy()
    out.attrs = {}
    for j, c in enumerate(cols):
        out[c] = pd.Series([symbol if s else _fmt_count(v) for s, v in zip(supp[:, j], rounded[:, j])],
                           index=table.index, dtype=object)
    for d in deriv:
        out[d] = out[d].astype(object)

    records = [(table.index[i], cols[j], reason[i, j]) for i, j in np.argwhere(supp)]
    for d, srcs in deriv.items():
        idx = [cols.index(s) for s in srcs]
        hit = supp[:, idx].any(axis=1)
        if hit.any():
            out.loc[hit, d] = symbol
            hit_rows = np.flatnonzero(hit)
            records += [(table.index[i], d, "derived from " + ", ".join(repr(s) for s in srcs)) for i in hit_rows]

    # plain records, not a DataFrame: pandas compares attrs when frames are concatenated
    out.attrs["suppressed"] = [dict(row=r, column=c, reason=why) for r, c, why in records]
    out.attrs["rule"] = (f"counts 1-{threshold} shown as {symbol!r}; other counts rounded to the nearest {base} "
                         f"(0 stays 0); secondary suppression: {secondary!r}")
    return out
