"""Capture-history tables: validation of the input frame and the 2^k - 1 observable cells.

Shared by :mod:`.mse` (lists) and :mod:`.closed` (capture occasions).  Cells are indexed by the binary code of
their history, ``code = sum_j h_j 2^j`` (list ``j`` is bit ``j``), so cell ``code - 1`` holds history ``code``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validate import SSStatsError, as_counts

__all__ = ["CaptureTable", "capture_table", "histories"]

#: more lists than this makes 2^k - 1 cells too many for the exhaustive methods here
MAX_LISTS = 20


def histories(k: int) -> np.ndarray:
    """All ``2^k - 1`` non-empty capture histories as a (cells x k) 0/1 float array, cell ``c`` = code ``c + 1``."""
    codes = np.arange(1, 2**k)
    return ((codes[:, None] >> np.arange(k)[None, :]) & 1).astype(float)


@dataclass(frozen=True)
class CaptureTable:
    """Observed counts of every non-empty capture history."""

    lists: tuple[str, ...]
    H: np.ndarray  # (cells x k) 0/1
    y: np.ndarray  # (cells,) counts

    @property
    def k(self) -> int:
        return len(self.lists)

    @property
    def n(self) -> float:
        return float(self.y.sum())

    def list_totals(self) -> np.ndarray:
        return self.H.T @ self.y

    def to_frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.H.astype(int), columns=list(self.lists))
        out["count"] = self.y.astype(int)
        return out


def capture_table(data, count: str | None = None, what: str = "list", min_lists: int = 2,
                  lists=None) -> CaptureTable:
    """Validate a 0/1 capture-history frame and tabulate it.

    Parameters
    ----------
    data : pandas.DataFrame or array_like
        One column per list (occasion) holding 0/1 (or booleans), and optionally a count column.  Without
        ``count`` each row is one individual.
    count : str, optional
        Name of the count column.
    what : str
        ``"list"`` or ``"occasion"``, for messages.
    min_lists : int
        Fewest lists accepted.
    lists : sequence of str, optional
        The list columns; default every column but ``count``.

    Raises
    ------
    SSStatsError
        If a history column holds anything but 0/1, a count is not a non-negative whole number, a history has
        every entry 0, there are fewer than ``min_lists`` columns, or a list holds no records.
    """
    if not isinstance(data, pd.DataFrame):
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise SSStatsError(f"`data` must be a DataFrame or 2-D array of 0/1 capture histories; got shape "
                               f"{arr.shape}")
        data = pd.DataFrame(arr, columns=[f"c{j + 1}" for j in range(arr.shape[1])])
    if count is not None:
        if count not in data.columns:
            raise SSStatsError(f"`count` = {count!r} is not a column of `data`; it has "
                               f"{', '.join(repr(c) for c in data.columns)}")
        counts = as_counts(data[count].to_numpy(), "count", labels=list(data.index))
        cols = [c for c in data.columns if c != count]
    else:
        counts = np.ones(len(data))
        cols = list(data.columns)
    if lists is not None:
        lists = [lists] if isinstance(lists, str) else list(lists)
        missing = [c for c in lists if c not in cols]
        if missing:
            raise SSStatsError(f"`lists` names {missing[0]!r}, which is not a column of `data` (other than the "
                               f"count); it has {', '.join(repr(c) for c in cols)}")
        cols = lists
    k = len(cols)
    if k < min_lists:
        raise SSStatsError(
            f"`data` must hold at least {min_lists} {what} columns (one per {what}); got {k}"
            + (f" ({', '.join(map(repr, cols))})" if cols else "")
            + (": with one list nothing overlaps, so nothing about the unobserved can be estimated"
               if k == 1 and what == "list" else "")
        )
    if k > MAX_LISTS:
        raise SSStatsError(f"`data` has {k} {what} columns; at most {MAX_LISTS} are supported")
    H = np.empty((len(data), k))
    for j, c in enumerate(cols):
        col = data[c]
        try:
            v = col.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            v = None
        bad = np.ones(len(col), bool) if v is None else ~np.isin(v, (0.0, 1.0))
        if v is not None and (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
            bad |= np.fromiter((isinstance(e, (str, bytes)) for e in col), bool, len(col))  # '1' is text, not 1
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            bad_value = col.iloc[i].item() if hasattr(col.iloc[i], "item") else col.iloc[i]
            hint = (f"; if {c!r} holds the number of individuals with each history, pass count={c!r}"
                    if count is None and v is not None and np.all(v[np.isfinite(v)] >= 0) else "")
            raise SSStatsError(f"{what} column {c!r} must hold only 0 and 1; got {bad_value!r} for row "
                               f"{data.index[i]!r} (position {i}){hint}")
        H[:, j] = v
    empty_rows = H.sum(axis=1) == 0
    if empty_rows.any():
        i = int(np.flatnonzero(empty_rows)[0])
        raise SSStatsError(
            f"`data` has a capture history with every entry 0 at row {data.index[i]!r} (position {i}); that "
            f"history is the unobserved cell being estimated and cannot be observed: remove the row"
        )
    codes = (H @ (2 ** np.arange(k))).astype(np.int64)
    y = np.bincount(codes - 1, weights=counts, minlength=2**k - 1)
    table = CaptureTable(tuple(str(c) for c in cols), histories(k), y)
    if table.n == 0:
        raise SSStatsError("`data` records nobody (every count is 0)")
    tot = table.list_totals()
    if (tot == 0).any():
        j = int(np.flatnonzero(tot == 0)[0])
        raise SSStatsError(
            f"{what} {table.lists[j]!r} (column {j}) has no records: a {what} with no records carries no "
            f"information and its effect cannot be estimated; remove it"
        )
    return table
