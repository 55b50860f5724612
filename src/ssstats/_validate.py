"""Input validation shared by every public function of ssstats.

One exception class, :class:`SSStatsError`, and one wording everywhere: the message names the argument, the
position (or the unit label, when the input carries one) and the offending value, e.g.::

    SSStatsError: `x` must be a non-negative integer count; got -1 for unit 'Ward B' (position 1)

Functions here convert inputs to NumPy arrays and refuse what cannot be used; they never drop, clip or coerce a
value silently.  Every public function of the package calls them, so that the same bad input gets the same
message whichever function it reaches first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SSStatsError",
    "ErrorCollector",
    "as_counts",
    "as_positive",
    "as_nonnegative",
    "as_probability",
    "check_le",
    "as_one_number",
    "as_whole_number",
    "check_level",
    "check_flag",
    "check_names",
    "valid_events_and_trials",
    "check_levels",
    "check_method",
    "check_columns",
    "broadcast",
    "labels_of",
    "unit_labels",
    "as_seed",
]


class SSStatsError(ValueError):
    """The package's own error for input that cannot be used.

    A subclass of :class:`ValueError`, so ``except ValueError`` still catches it.  The message names the argument,
    the position or unit, and the value.
    """


class ErrorCollector:
    """Gather every problem with an input before raising once.

    Used where a user benefits from seeing all offending rows at once (e.g. loading a unit-level file).

    Examples
    --------
    >>> errs = ErrorCollector("units.csv")
    >>> errs.add("row 3 (unit 'A'): `charges` = -1 is negative")
    >>> errs.raise_if_any()
    Traceback (most recent call last):
    ...
    ssstats._validate.SSStatsError: units.csv has 1 problem:
      - row 3 (unit 'A'): `charges` = -1 is negative
    """

    def __init__(self, what: str, limit: int = 200):
        self.what = what
        self.limit = limit
        self.problems: list[str] = []

    def add(self, message: str) -> None:
        self.problems.append(message)

    def extend(self, messages: Iterable[str]) -> None:
        self.problems.extend(messages)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        n = len(self.problems)
        shown = self.problems[: self.limit]
        lines = "\n".join(f"  - {p}" for p in shown)
        more = f"\n  ... and {n - self.limit} more" if n > self.limit else ""
        raise SSStatsError(f"{self.what} has {n} problem{'s' if n != 1 else ''}:\n{lines}{more}")


# --------------------------------------------------------------------------------------------------------------
# helpers

def labels_of(value: Any) -> np.ndarray | None:
    """The unit labels carried by ``value`` (a Series' index), or ``None``."""
    if isinstance(value, pd.Series) and not isinstance(value.index, pd.RangeIndex):
        return np.asarray(value.index)
    return None


def unit_labels(**values: Any) -> np.ndarray | None:
    """The unit labels shared by the named inputs (their Series' indexes), or ``None``.

    Inputs are matched by position, so two labelled Series whose indexes differ (other units, or the same units in
    another order) would pair one unit's numerator with another's denominator: that is refused, naming both.
    """
    found = [(name, labels_of(v)) for name, v in values.items()]
    found = [(name, lab) for name, lab in found if lab is not None]
    for name, lab in found[1:]:
        first, ref = found[0]
        if len(lab) != len(ref) or not np.array_equal(lab, ref):
            raise SSStatsError(
                f"`{first}` and `{name}` are Series with different indexes (other units, or the same units in "
                f"another order); inputs are matched by position, so align them first, e.g. "
                f"`{name}.reindex({first}.index)`")
    return found[0][1] if found else None


def _where(i: int, labels: Sequence | np.ndarray | None, scalar: bool) -> str:
    if scalar:
        return ""
    if labels is not None:
        return f" for unit {labels[i]!r} (position {i})"
    return f" at position {i}"


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, (np.integer,)):
        return str(int(v))
    return repr(v)


def _to_array(value: Any, name: str) -> tuple[np.ndarray, bool]:
    """Convert to a 1-D float array; return (array, was_scalar)."""
    if isinstance(value, (str, bytes)):
        raise SSStatsError(f"`{name}` must be numeric; got the string {value!r}")
    if isinstance(value, pd.DataFrame):
        raise SSStatsError(f"`{name}` must be a scalar, array or Series, not a DataFrame; pass one column")
    scalar = np.ndim(value) == 0
    kind = _dtype_kind(value)
    if kind == "b":
        raise SSStatsError(f"`{name}` must be numeric; got booleans (True/False), which are not counts or amounts")
    # text would silently parse ("3" -> 3.0), and a True among numbers in a list silently becomes 1: refuse both,
    # naming the first
    if kind in "OUS" or isinstance(value, (list, tuple)):
        obj = np.atleast_1d(np.asarray(value, dtype=object))
        for i, v in enumerate(obj.ravel()):
            if isinstance(v, (str, bytes, bool, np.bool_)):
                raise SSStatsError(f"`{name}` must be numeric; got {v!r}{_where(i, labels_of(value), scalar)}")
    try:
        if isinstance(value, pd.Series) and isinstance(value.dtype, pd.api.extensions.ExtensionDtype):
            arr = value.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        obj = np.atleast_1d(np.asarray(value, dtype=object))
        for i, v in enumerate(obj.ravel()):
            try:
                float(v)
            except (TypeError, ValueError):
                raise SSStatsError(
                    f"`{name}` must be numeric; got {v!r}{_where(i, labels_of(value), scalar)}"
                ) from None
        raise SSStatsError(f"`{name}` must be numeric") from None
    if arr.ndim > 1:
        raise SSStatsError(f"`{name}` must be a scalar or one-dimensional; got shape {arr.shape}")
    return np.atleast_1d(arr), scalar


def _dtype_kind(value: Any) -> str:
    """NumPy's dtype kind of ``value`` ('b' bool, 'O' object, 'U'/'S' text, 'i', 'f', ...)."""
    dt = getattr(value, "dtype", None)
    if dt is None:
        try:
            dt = np.asarray(value).dtype
        except (TypeError, ValueError):  # ragged or otherwise odd: let the conversion below name the problem
            return "O"
    if isinstance(dt, pd.api.extensions.ExtensionDtype):
        if pd.api.types.is_bool_dtype(dt):
            return "b"
        return "O" if pd.api.types.is_string_dtype(dt) or dt == object else "f"
    return dt.kind


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_finite(arr, name, labels, scalar):
    bad = ~np.isfinite(arr)
    if bad.any():
        i = _first_bad(bad)
        what = "missing (NaN)" if np.isnan(arr[i]) else f"infinite ({_fmt(arr[i])})"
        n = int(bad.sum())
        extra = f" ({n} such values)" if n > 1 else ""
        raise SSStatsError(f"`{name}` must be finite; got a value that is {what}{_where(i, labels, scalar)}{extra}")


# --------------------------------------------------------------------------------------------------------------
# public checks

def as_counts(value: Any, name: str, labels: Sequence | None = None, *, keep_int: bool = False) -> np.ndarray:
    """Validate non-negative integer counts and return them as a float64 array (integer-valued).

    Float64 holds every integer up to 2**53 exactly, which is what SciPy's distributions take.  With
    ``keep_int=True`` an integer array is returned as it is (no copy), for callers that accept either.

    Raises
    ------
    SSStatsError
        If any value is missing, infinite, negative or not a whole number.
    """
    raw = value.to_numpy() if isinstance(value, pd.Series) else value
    if isinstance(raw, np.ndarray) and raw.ndim == 1 and raw.dtype.kind in "iu":
        # fast path for integer arrays: whole and finite by type, only the sign to check
        if raw.size and raw.min() < 0:
            labels = labels if labels is not None else labels_of(value)
            i = _first_bad(raw < 0)
            raise SSStatsError(
                f"`{name}` must be a non-negative integer count; got {int(raw[i])}{_where(i, labels, False)}")
        if keep_int:
            return raw if raw.dtype.kind == "i" else raw.astype(np.int64)  # no unsigned wrap-around at x - 1
        return raw.astype(np.float64)
    arr, scalar = _to_array(value, name)
    # one fused pass; diagnose only when something is wrong
    if bool(((arr >= 0) & (arr == np.rint(arr)) & (arr < np.inf)).all()):
        return arr
    labels = labels if labels is not None else labels_of(value)
    _check_finite(arr, name, labels, scalar)
    neg = arr < 0
    if neg.any():
        i = _first_bad(neg)
        raise SSStatsError(
            f"`{name}` must be a non-negative integer count; got {_fmt(arr[i])}{_where(i, labels, scalar)}"
        )
    frac = arr != np.round(arr)
    if frac.any():
        i = _first_bad(frac)
        raise SSStatsError(
            f"`{name}` must be a whole number (a count); got {_fmt(arr[i])}{_where(i, labels, scalar)}"
        )
    return arr


def valid_events_and_trials(x: Any, n: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(x, n)`` as they are when both are 1-D int64 arrays (or Series) of one length with ``0 <= x <= n`` and
    ``n > 0``, else ``None`` (the caller then checks each argument in turn, naming what is wrong).

    Two passes instead of four: ``n.min() > 0``, then ``x <= n`` compared as unsigned integers, where a negative
    ``x`` wraps to at least 2**63 and so exceeds every positive ``n``.
    """
    xr = x.to_numpy() if isinstance(x, pd.Series) else x
    nr = n.to_numpy() if isinstance(n, pd.Series) else n
    if not (isinstance(xr, np.ndarray) and isinstance(nr, np.ndarray) and xr.dtype == nr.dtype == np.int64
            and xr.ndim == nr.ndim == 1 and 0 < xr.size == nr.size):
        return None
    if nr.min() > 0 and bool((xr.view(np.uint64) <= nr.view(np.uint64)).all()):
        return xr, nr
    return None


def as_nonnegative(value: Any, name: str, labels: Sequence | None = None) -> np.ndarray:
    """Validate finite values >= 0 (e.g. expected counts)."""
    arr, scalar = _to_array(value, name)
    labels = labels if labels is not None else labels_of(value)
    _check_finite(arr, name, labels, scalar)
    neg = arr < 0
    if neg.any():
        i = _first_bad(neg)
        raise SSStatsError(f"`{name}` must be zero or more; got {_fmt(arr[i])}{_where(i, labels, scalar)}")
    return arr


def as_positive(value: Any, name: str, labels: Sequence | None = None) -> np.ndarray:
    """Validate finite values > 0 (exposures, denominators, bed days)."""
    arr, scalar = _to_array(value, name)
    # two reductions and no temporaries (NaN propagates through min and max, so it fails both); diagnose only
    # when something is wrong
    if arr.size and arr.min() > 0 and arr.max() < np.inf:
        return arr
    labels = labels if labels is not None else labels_of(value)
    _check_finite(arr, name, labels, scalar)
    bad = arr <= 0
    if bad.any():
        i = _first_bad(bad)
        raise SSStatsError(f"`{name}` must be greater than zero; got {_fmt(arr[i])}{_where(i, labels, scalar)}")
    return arr


def as_probability(value: Any, name: str, labels: Sequence | None = None, *, open_interval: bool = False
                   ) -> np.ndarray:
    """Validate probabilities in [0, 1] (or (0, 1) with ``open_interval=True``)."""
    arr, scalar = _to_array(value, name)
    labels = labels if labels is not None else labels_of(value)
    _check_finite(arr, name, labels, scalar)
    bad = (arr <= 0) | (arr >= 1) if open_interval else (arr < 0) | (arr > 1)
    if bad.any():
        i = _first_bad(bad)
        rng = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise SSStatsError(f"`{name}` must be a probability {rng}; got {_fmt(arr[i])}{_where(i, labels, scalar)}")
    return arr


def check_le(x: np.ndarray, n: np.ndarray, xname: str, nname: str, labels: Sequence | None = None) -> None:
    """Check ``x <= n`` elementwise (e.g. events cannot exceed trials)."""
    bad = x > n
    if bad.any():
        i = _first_bad(bad)
        scalar = x.size == 1 and n.size == 1
        raise SSStatsError(
            f"`{xname}` must be less than or equal to `{nname}`; got {xname}={_fmt(x[i])} > "
            f"{nname}={_fmt(n[i])}{_where(i, labels, scalar)}"
        )


def check_levels(level: Any, name: str = "level") -> tuple[float, ...]:
    """Validate one or several confidence levels, each strictly between 0 and 1.

    Returns a tuple of floats, so callers can always iterate.
    """
    if isinstance(level, (str, bytes)):
        raise SSStatsError(f"`{name}` must be a number strictly between 0 and 1 (e.g. 0.95); got {level!r}")
    levels = np.atleast_1d(np.asarray(level, dtype=object))
    if levels.size == 0:
        raise SSStatsError(f"`{name}` must hold at least one confidence level")
    out = []
    for v in levels:
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise SSStatsError(f"`{name}` must be a number strictly between 0 and 1 (e.g. 0.95); got {v!r}") from None
        if not (0.0 < f < 1.0):
            hint = " (give 0.95, not 95)" if f > 1 else ""
            raise SSStatsError(f"`{name}` must be strictly between 0 and 1{hint}; got {_fmt(v)}")
        out.append(f)
    if len(set(out)) != len(out):
        raise SSStatsError(f"`{name}` lists the same level twice: {out}")
    return tuple(out)


def check_method(method: Any, table: Mapping[str, Any], name: str = "method") -> Any:
    """Look ``method`` up in a table of methods, with a message listing the valid names."""
    if not isinstance(method, str) or method not in table:
        valid = ", ".join(repr(k) for k in table)
        raise SSStatsError(f"`{name}` must be one of {valid}; got {method!r}")
    return table[method]


def check_columns(frame: pd.DataFrame, required: Iterable[str], what: str = "the data") -> None:
    """Check that ``frame`` is a DataFrame holding every required column."""
    if not isinstance(frame, pd.DataFrame):
        raise SSStatsError(f"{what} must be a pandas DataFrame; got {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SSStatsError(
            f"{what} is missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(c) for c in missing)}; it has {', '.join(repr(c) for c in frame.columns)}"
        )


def broadcast(arrays: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """Broadcast named 1-D arrays to a common length; length-1 arrays stretch, other mismatches are refused."""
    sizes = {k: a.size for k, a in arrays.items()}
    longs = {k: s for k, s in sizes.items() if s != 1}
    if len(set(longs.values())) > 1:
        desc = ", ".join(f"`{k}` has {s}" for k, s in sizes.items())
        raise SSStatsError(f"inputs must have the same length (or length 1); {desc}")
    n = max(sizes.values()) if sizes else 1
    empty = [k for k, s in sizes.items() if s == 0]
    if empty:  # an empty input does not stretch: there is nothing to estimate even if the others are scalars
        raise SSStatsError(f"inputs are empty ({', '.join(f'`{k}`' for k in empty)}): there is nothing to estimate")
    return [np.broadcast_to(a, (n,)).copy() if a.size == 1 else a for a in arrays.values()]


def as_one_number(value: Any, name: str, check: Callable | None = None) -> float:
    """A single finite number (``check``, e.g. :func:`as_probability`, validates it further)."""
    if check is None:
        arr, scalar = _to_array(value, name)
        _check_finite(arr, name, None, scalar)
    else:
        arr = check(value, name)
    if np.ndim(value) != 0 or arr.size != 1:
        raise SSStatsError(f"`{name}` must be a single number; got {arr.size} values ({value!r})")
    return float(arr[0])


def as_whole_number(value: Any, name: str, minimum: int = 1, why: str = "") -> int:
    """A single whole number of at least ``minimum`` (booleans, text and fractions refused)."""
    if np.ndim(value) != 0:
        raise SSStatsError(f"`{name}` must be a single whole number; got {value!r}")
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value < minimum:
        raise SSStatsError(f"`{name}` must be a whole number of at least {minimum}{why}; got {int(value)}")
    (v,) = as_counts(value, name)
    if v < minimum:
        raise SSStatsError(f"`{name}` must be a whole number of at least {minimum}{why}; got {int(v)}")
    return int(v)


def check_level(level: Any, name: str = "level") -> float:
    """One confidence level strictly between 0 and 1 (the study runs at one level per call)."""
    levels = check_levels(level, name)
    if len(levels) != 1:
        raise SSStatsError(f"`{name}` must be a single confidence level (e.g. 0.95); got {len(levels)}: "
                           f"{list(levels)}")
    return levels[0]


def check_flag(value: Any, name: str) -> bool:
    """``True`` or ``False`` (not a string such as ``"no"``, which is truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise SSStatsError(f"`{name}` must be True or False; got {value!r}")
    return bool(value)


def check_names(values: Any, table: Mapping, name: str, default: Iterable[str] | None = None) -> list[str]:
    """Names looked up in ``table`` (a string is one name; ``None`` gives ``default``, or every name).

    An unknown name lists the valid ones; an empty sequence, a repeated name or a non-sequence is refused.
    """
    if values is None:
        return list(table) if default is None else list(default)
    if isinstance(values, str):
        values = [values]
    elif isinstance(values, Mapping) or not isinstance(values, Iterable) or isinstance(values, bytes):
        valid = ", ".join(repr(k) for k in table)
        raise SSStatsError(f"`{name}` must be a name or a list of names from {valid}; got {values!r}")
    out = list(values)
    if not out:
        valid = ", ".join(repr(k) for k in table)
        raise SSStatsError(f"`{name}` is empty: give at least one of {valid}")
    for m in out:
        check_method(m, table, name)
    seen = set()
    for m in out:
        if m in seen:
            raise SSStatsError(f"`{name}` names {m!r} twice; got {out!r}")
        seen.add(m)
    return out


def as_seed(seed: Any, name: str = "seed") -> np.random.Generator:
    """Turn ``seed`` (int, ``SeedSequence`` or ``Generator``) into a ``numpy.random.Generator``.

    ``None`` is refused: every random step in ssstats is seeded so results reproduce.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        raise SSStatsError(f"`{name}` is required (an integer or numpy.random.Generator) so results reproduce")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        raise SSStatsError(f"`{name}` must be an integer, SeedSequence or numpy.random.Generator; got {seed!r}")
    if isinstance(seed, (int, np.integer)) and seed < 0:
        raise SSStatsError(f"`{name}` must be a non-negative integer; got {seed}")
    return np.random.default_rng(seed)
