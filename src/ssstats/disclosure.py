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
repeated until no row or column has a lone suppressed cell.  That is not enough (a hidden partner may be a 0
pinned by its own margin; several margins combined may give a cell), so the pattern is then audited by linear
programming, as tau-argus does [2]_ [3]_, and more cells are hidden until no hidden cell can be pinned down by the
margins (and the rule: a hidden non-zero count is at least 1) more precisely than a shown rounded count.

References
----------
.. [1] NHS Digital (2018). *Hospital Episode Statistics (HES) analysis guide*, section "Suppression of small
   numbers" (rule in force from September 2018: 1-7 suppressed, other counts rounded to the nearest 5).
.. [2] Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 4 (cell suppression;
   secondary suppression of tabular data; the attacker's linear programme and the audit of a pattern).
.. [3] Statistics Netherlands. *tau-argus user's manual* (the audit of a suppression pattern: each suppressed
   cell's feasible interval given the published margins).
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


# ---------------------------------------------------------------------------------------------------------------
# audit of secondary suppression (attacker who knows the margins exactly, and that a hidden non-zero count is >= 1)

_TOL = 1e-7


def _line_ranges(values: np.ndarray, floor: np.ndarray, supp: np.ndarray, cells: np.ndarray,
                 axis_rows: bool) -> tuple[np.ndarray, np.ndarray]:
    """Feasible range of each of ``cells`` when only one axis is checked: each line is its own component and
    holds one equality (the sum of its hidden cells, each at least its ``floor``), so when its line hides two
    cells or more a cell ranges over [floor, floor + slack], the slack being the hidden sum less the floors of
    the line's hidden cells, and it is pinned (range 0) when it is alone.  Returns (not pinned, slack)."""
    line = cells[:, 0] if axis_rows else cells[:, 1]
    n_lines = supp.shape[0] if axis_rows else supp.shape[1]
    hidden = np.argwhere(supp)
    h_line = hidden[:, 0] if axis_rows else hidden[:, 1]
    count = np.bincount(h_line, minlength=n_lines)
    slack = np.bincount(h_line, weights=(values - floor)[hidden[:, 0], hidden[:, 1]], minlength=n_lines)
    return count[line] >= 2, slack[line]


def _max_other(v: np.ndarray) -> np.ndarray:
    """For each position, the largest of the *other* entries of ``v`` (-inf if there is none)."""
    if v.size < 2:
        return np.full(v.shape, -np.inf)
    top = np.argmax(v)
    out = np.full(v.shape, v[top])
    out[top] = np.max(np.delete(v, top))
    return out


def _rectangle_widen(values: np.ndarray, floor: np.ndarray, hid: np.ndarray, lo: np.ndarray,
                     hi: np.ndarray) -> None:
    """Widen (in place) the known ranges of hidden cells with the four-cell cycles of the table (both axes
    checked): when cells (i, j), (i, j2), (i2, j2), (i2, j) are all hidden, adding t to the first and third and
    taking t from the others keeps every margin, for -min(s[i, j], s[i2, j2]) <= t <= min(s[i, j2], s[i2, j]),
    where s = x - floor is how far each cell may fall before it reaches its floor (1 for a non-zero count, else
    0).  Each such point is feasible, so this settles most cells of a long table without a linear programme."""
    m = values.shape[1]
    room = values - floor
    for j in range(m):
        for j2 in range(m):
            if j2 == j:
                continue
            rows = np.flatnonzero(hid[:, j] & hid[:, j2])
            if rows.size < 2:
                continue
            xa, sa, sb = values[rows, j], room[rows, j], room[rows, j2]
            down = np.minimum(sa, _max_other(sb))  # largest decrease of (i, j) over the partner rows i2
            up = np.minimum(sb, _max_other(sa))  # largest increase
            lo[rows, j] = np.minimum(lo[rows, j], xa - down)
            hi[rows, j] = np.maximum(hi[rows, j], xa + up)


def _lp_widen(x: np.ndarray, floor: np.ndarray, ii: np.ndarray, jj: np.ndarray, lo: np.ndarray, hi: np.ndarray,
              todo: np.ndarray, width: float) -> None:
    """Widen (in place) the known ranges ``[lo, hi]`` of the cells of one component (hidden values ``x`` at rows
    ``ii``, columns ``jj``; every row and column sum of the component known, each cell >= its ``floor``: 1 for a
    non-zero count, else 0) until each cell flagged in ``todo`` is known to range over at least ``width`` or its
    exact min and max have been found.

    Min and max of a cell are linear programmes (HiGHS).  Every vertex found widens the known range of every
    cell, so programmes that push all open cells up together, then down, are solved first, and a cell gets its
    own programmes only while its known range is too narrow.  A cell is never wider than the slack of either of
    its lines (hidden sum less the floors of its hidden cells): cells that fail this bound get no programme."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    k = x.size
    r_lab, r_idx = np.unique(ii, return_inverse=True)
    c_idx = np.unique(jj, return_inverse=True)[1]
    a_eq = coo_matrix((np.ones(2 * k), (np.concatenate([r_idx, r_lab.size + c_idx]), np.tile(np.arange(k), 2))),
                      shape=(r_lab.size + c_idx.max(initial=-1) + 1, k)).tocsr()
    b_eq = a_eq @ x
    slack = b_eq - a_eq @ floor
    todo = todo & (np.minimum(slack[r_idx], slack[r_lab.size + c_idx]) >= width - _TOL)
    bounds = np.column_stack([floor, np.full(k, np.inf)])

    def solve(c):
        res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if res.status != 0:  # pragma: no cover - the true values are always feasible and the cells bounded
            raise SSStatsError(f"the disclosure audit's linear programme failed: {res.message}")
        np.minimum(lo, res.x, out=lo)
        np.maximum(hi, res.x, out=hi)

    def still_open():
        return todo & (hi - lo < width - _TOL)

    n_open = int(still_open().sum())
    while n_open > 2:
        solve(-still_open().astype(float))
        solve(still_open().astype(float))
        n_now = int(still_open().sum())
        if n_now > 0.8 * n_open:
            break
        n_open = n_now
    for t in np.flatnonzero(still_open()):
        for sign in (-1.0, 1.0):  # maximise, then minimise
            if hi[t] - lo[t] >= width - _TOL:
                break
            c = np.zeros(k)
            c[t] = sign
            solve(c)


def _components(supp_aud: np.ndarray, row_on: bool, col_on: bool) -> np.ndarray:
    """Component label of every hidden audited cell (-1 elsewhere): rows and columns are the nodes of a bipartite
    graph whose edges are the hidden cells; with one axis checked, each line is its own component."""
    lab = np.full(supp_aud.shape, -1)
    cells = np.argwhere(supp_aud)
    if row_on and col_on:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        n, m = supp_aud.shape
        graph = coo_matrix((np.ones(len(cells)), (cells[:, 0], n + cells[:, 1])), shape=(n + m, n + m))
        lab[cells[:, 0], cells[:, 1]] = connected_components(graph, directed=False)[1][cells[:, 0]]
    else:
        lab[cells[:, 0], cells[:, 1]] = cells[:, 0] if row_on else cells[:, 1]
    return lab


def _audit(values: np.ndarray, supp: np.ndarray, reason: np.ndarray, audited: np.ndarray, row_on: bool,
           col_on: bool, width: float, row_labels, col_labels) -> None:
    """Hide more cells (in place, in ``supp`` and ``reason``) until every hidden non-zero audited cell ranges over
    at least ``width`` given the margins; raise :class:`SSStatsError` naming a cell that cannot be protected.

    The attacker knows a hidden non-zero cell to be >= 1 (its ``floor``; a hidden 0 only >= 0).  Protection only
    grows as cells are hidden (hiding a cell relaxes the attacker's constraints), so after each addition only the
    still-unprotected cells of the component it joins are audited again."""
    vals = np.where(audited, values, 0.0)
    floor = (values > 0).astype(float)  # what the attacker knows of a hidden cell: a non-zero one is >= 1
    row_tot, col_tot = vals.sum(axis=1), vals.sum(axis=0)
    # a line's slack: its hidden sum less the floors of its hidden cells, at most (all hidden) its total less the
    # number of its non-zero cells; no hidden cell of the line ranges wider than that
    row_room = row_tot - (vals > 0).sum(axis=1)
    col_room = col_tot - (vals > 0).sum(axis=0)
    # a zero in a checked line whose total is 0 is pinned to 0 by that line: hiding it protects nothing
    useless = audited & (values == 0) & ((row_on & (row_tot == 0))[:, None] | (col_on & (col_tot == 0))[None, :])
    reach = np.full(values.shape, np.inf)
    if row_on:
        reach = np.minimum(reach, row_room[:, None])
    if col_on:
        reach = np.minimum(reach, col_room[None, :])
    hopeless = audited & (values > 0) & (reach < width)
    need = supp & audited & (values > 0)  # a hidden 0 needs no protection: the rule would show it as 0

    def fail(i, j, why):
        raise SSStatsError(f"the suppressed cell at row {row_labels[i]!r}, column {col_labels[j]!r} cannot be "
                           f"protected: {why}; aggregate units (or categories) into larger groups before "
                           "suppressing")

    def check_hopeless(mask):
        bad = np.argwhere(mask & hopeless)
        if len(bad):
            i, j = bad[0]
            lines = " and ".join(([f"row {row_labels[i]!r}"] if row_on and row_room[i] < width else [])
                                 + ([f"column {col_labels[j]!r}"] if col_on and col_room[j] < width else []))
            fail(i, j, f"the total of {lines}, less 1 for each of its non-zero cells (a hidden non-zero count is "
                       f"at least 1), is below {width:g}, so it pins the cell to within less than {width:g} "
                       "whatever else is hidden")

    lo, hi = values.copy(), values.copy()  # ranges known so far: valid for good (hiding only widens them)

    def audit(cells, todo):  # widen the known ranges of the `todo` cells among `cells` (a line or a component)
        r, c = cells[:, 0], cells[:, 1]
        if row_on and col_on:
            l_, h_ = lo[r, c], hi[r, c]
            _lp_widen(values[r, c], floor[r, c], r, c, l_, h_, todo, width)
            lo[r, c], hi[r, c] = l_, h_
        else:
            free_, span = _line_ranges(values, floor, supp & audited, cells, row_on)
            r, c, span = r[free_], c[free_], span[free_]
            lo[r, c] = floor[r, c]
            hi[r, c] = np.maximum(hi[r, c], floor[r, c] + span)

    def protected():
        return hi - lo >= width - _TOL

    check_hopeless(need)
    lab = _components(supp & audited, row_on, col_on)
    if row_on and col_on:
        _rectangle_widen(values, floor, supp & audited, lo, hi)
        for c in np.unique(lab[need]):
            g = np.argwhere(lab == c)
            audit(g, need[g[:, 0], g[:, 1]])
    else:
        g = np.argwhere(need)
        audit(g, need[g[:, 0], g[:, 1]])

    while True:
        weak = np.argwhere(need & ~protected())
        if not len(weak):
            break
        i, j = weak[0]
        comp = np.argwhere(lab == lab[i, j])
        audit(comp, (comp[:, 0] == i) & (comp[:, 1] == j))  # its exact range, unless already wide enough
        if protected()[i, j]:
            continue
        free = audited & ~supp & ~useless & ~hopeless
        pick = None
        mine = lab == lab[i, j]
        # a cell never ranges wider than the slack of one of its lines (hidden sum less the floors of its hidden
        # cells): a line whose slack is too small must hide more non-zero cells (a hidden 0 adds no slack), so
        # look there first; then both of its lines; then every line of its component
        hid_i, hid_j = supp[i] & audited[i], supp[:, j] & audited[:, j]
        row_short = row_on and (vals[i, hid_i] - floor[i, hid_i]).sum() < width
        col_short = col_on and (vals[hid_j, j] - floor[hid_j, j]).sum() < width
        first = (np.array([i] if row_short else [], dtype=int), np.array([j] if col_short else [], dtype=int))
        stages = ((*first, values > 0), (np.array([i]), np.array([j]), free),
                  (mine.any(axis=1), mine.any(axis=0), free))
        for rows, cols_, allowed in stages:
            line = np.zeros(values.shape, dtype=bool)
            if row_on:
                line[rows, :] = True
            if col_on:
                line[:, cols_] = True
            cand = np.argwhere(free & line & allowed)
            if len(cand):
                v = values[cand[:, 0], cand[:, 1]]
                pick = cand[np.lexsort((cand[:, 1], cand[:, 0], v, v == 0))[0]]
                break
            if row_short or col_short:  # the short line has nothing left to hide: no pattern can help
                break
        if pick is None:
            fail(i, j, f"the totals of its rows and columns pin it to within less than {width:g} and no cell left "
                       "in those lines can be hidden to widen that")
        a, b = pick
        supp[a, b] = True
        need[a, b] = values[a, b] > 0
        reason[a, b] = f"secondary: audit (row {row_labels[i]!r} / column {col_labels[j]!r})"
        lab = _components(supp & audited, row_on, col_on)
        if row_on and col_on:
            _rectangle_widen(values, floor, supp & audited, lo, hi)

    # a hidden cell alone in a checked line is pinned by that line (here always a 0: a non-zero one would not be
    # protected); showing it again changes no other cell's range, so hiding it would only hide nothing
    while True:
        hid = supp & audited
        lone = np.zeros(values.shape, dtype=bool)
        if row_on:
            lone |= hid & (hid.sum(axis=1) == 1)[:, None]
        if col_on:
            lone |= hid & (hid.sum(axis=0) == 1)[None, :]
        lone &= values == 0
        if not lone.any():
            return
        supp[lone] = False
        reason[lone] = ""


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
        Which margins an attacker is assumed to know exactly: row totals (across the count columns), column
        totals (across the rows), both, or none (``False``: no secondary suppression).  First, in every checked
        line holding exactly one suppressed cell, the smallest other cell is suppressed too (non-zero cells first,
        total cells last), repeated until stable; then the pattern is audited and repaired (see Notes).  A line of
        one cell (a one-row table, or a single count column) has no margin other than the cell itself and is left
        alone.  Use ``'columns'`` when the count columns are not parts of a whole (e.g. incidents and, of those,
        referrals to police), so that only column totals (the sum over units) can be used to recover a cell.
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
          ``"primary: 1-7"``, ``"secondary: row ..."``/``"secondary: column ..."`` (the single-line pass),
          ``"secondary: audit (row R / column C)"`` (hidden by the audit to protect the cell at row R, column C),
          ``"derived from ..."``, ``"rounds to zero"``); :func:`suppression_log` gives it as a DataFrame;
        - ``attrs["rule"]``: the rule in words.

    Raises
    ------
    SSStatsError
        A count that is negative, not a whole number, or missing (NaN): censored cells must be resolved before
        tables are made, never dropped; unknown columns; a bad ``threshold``, ``base``, ``secondary``,
        ``totals`` or ``derived``.  A suppressed cell that no pattern can protect (see Notes): the message names
        its row and column; aggregate units (or categories) into larger groups, or check fewer margins.

    Notes
    -----
    Rounding the shown counts does not by itself prevent recovery through several margins: a shown 0 is exact,
    and a single-line check misses a hidden partner that is a 0 pinned by its own margin, or a cell given by
    combining margins (e.g. two row totals minus two column totals).  So, after the single-line pass, the pattern
    is audited against a cautious attacker [2]_ [3]_ who

    - knows every checked margin exactly: each row total (across the count columns) when rows are checked and each
      column total (across the rows) when columns are checked, for lines of at least 2 cells, excluding the cells
      of declared ``totals`` rows and columns (totals are not audited and never hidden by the audit);
    - knows every shown cell exactly (ignoring the slack that rounding gives);
    - knows the rule, hence that a suppressed cell holding a non-zero count is >= 1: zeros are shown as 0,
      primary cells are 1 to ``threshold`` (or round to 0), and the single-line pass hides non-zero cells first.
      A suppressed true 0 is known only to be >= 0.  So each suppressed cell gets the largest lower bound its
      true value meets (1 for a non-zero count, 0 for a 0), as if the attacker knew which stars hide zeros: the
      cautious, tightest correct model (a bound of 1 on a hidden 0 would exclude the true table);
    - is *not* assumed to know that a primary cell is <= ``threshold``: a ``*`` does not say whether it is
      primary or secondary (a secondary cell may hold any count), so no suppressed cell is given an upper bound
      other than what the margins imply.  An attacker who could tell primary from secondary stars would narrow
      the primary cells' ranges further; that is not audited.

    The unknowns are then the suppressed cells, and each line gives one equality (the sum of its suppressed cells),
    each suppressed non-zero cell bounded below by 1 and each suppressed 0 by 0.  Rows and columns are the nodes of a
    bipartite graph whose edges are the suppressed cells; in each connected component (each line, when only one axis
    is checked) the minimum and maximum of every suppressed cell are found by linear programming
    (``scipy.optimize.linprog``, HiGHS; a closed form with one axis: a line hiding two cells or more lets each range
    over ``[lower bound, lower bound + slack]``, the slack being the line's hidden sum less the lower bounds of its
    hidden cells; exact shifts around four-cell cycles, each cell kept at or above its lower bound, settle most
    cells of a long table first).  **Protection rule:** a suppressed cell is protected when
    ``max - min >= max(base - 1, 1)``: no suppressed cell is known more precisely than a shown rounded count (a
    shown 10 stands for 8 to 12); with ``base=1`` a suppressed cell must just not be exact.  A suppressed true 0
    needs no protection (the rule would show it as 0); a suppressed 0 alone in a checked line is pinned by it, hides
    nothing and is shown again.

    While some cell is unprotected (the first in row-major order), one more cell is suppressed: an unsuppressed,
    non-total cell in one of its lines (a non-zero cell in the line whose slack is below the width if there is one,
    since no cell ranges wider than that and a hidden 0 adds no slack; else in its row or column; else in any line
    of its component), non-zero cells first, smallest first, ties by position; a 0 in a checked line whose total is
    0 (pinned by that line) is never chosen.  Only the still-unprotected cells of the component are audited again,
    since hiding a cell only widens the others' ranges.  When no cell can be added, or a checked line's total less
    the number of its non-zero cells is below the width (the most slack the line can have, with all its cells
    hidden, so no pattern can then protect a non-zero cell in it), :class:`SSStatsError` is raised naming the
    cell.  The repair is greedy, so the pattern is protected but not necessarily minimal.

    References
    ----------
    .. [1] NHS Digital (2018). HES analysis guide: suppression of small numbers (from September 2018).
    .. [2] Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 4.
    .. [3] Statistics Netherlands. *tau-argus user's manual* (auditing a suppression pattern).

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

    # audit: no suppressed cell may be pinned down by the margins more precisely than a shown rounded count
    audited = ~total_rows[:, None] & ~total_cols[None, :]
    row_on = do_rows and int((~total_cols).sum()) >= 2
    col_on = do_cols and int((~total_rows).sum()) >= 2
    if (row_on or col_on) and (supp & audited).any():
        _audit(values, supp, reason, audited, row_on, col_on, float(max(base - 1, 1)), table.index, cols)

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
