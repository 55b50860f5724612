"""Argument checks shared by the modules of :mod:`ssstats.simulate` (private: nothing here is re-exported).

Built on :mod:`ssstats._validate`, so a bad input gets the package's wording: an :class:`~ssstats.SSStatsError`
naming the argument and the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from .._validate import SSStatsError, as_counts, check_levels, check_method


def one_number(value: Any, name: str, check: Callable | None = None) -> float:
    """A single finite number (``check``, e.g. :func:`~ssstats._validate.as_probability`, validates it further)."""
    if check is None:
        from .._validate import _check_finite, _to_array  # the package's numeric conversion and its wording

        arr, scalar = _to_array(value, name)
        _check_finite(arr, name, None, scalar)
    else:
        arr = check(value, name)
    if np.ndim(value) != 0 or arr.size != 1:
        raise SSStatsError(f"`{name}` must be a single number; got {arr.size} values ({value!r})")
    return float(arr[0])


def whole_number(value: Any, name: str, minimum: int = 1, why: str = "") -> int:
    """A single whole number of at least ``minimum`` (booleans, text and fractions refused)."""
    if np.ndim(value) != 0:
        raise SSStatsError(f"`{name}` must be a single whole number; got {value!r}")
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value < minimum:
        raise SSStatsError(f"`{name}` must be a whole number of at least {minimum}{why}; got {int(value)}")
    (v,) = as_counts(value, name)
    if v < minimum:
        raise SSStatsError(f"`{name}` must be a whole number of at least {minimum}{why}; got {int(v)}")
    return int(v)


def one_level(level: Any, name: str = "level") -> float:
    """One confidence level strictly between 0 and 1 (the study runs at one level per call)."""
    levels = check_levels(level, name)
    if len(levels) != 1:
        raise SSStatsError(f"`{name}` must be a single confidence level (e.g. 0.95); got {len(levels)}: "
                           f"{list(levels)}")
    return levels[0]


def flag(value: Any, name: str) -> bool:
    """``True`` or ``False`` (not a string such as ``"no"``, which is truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise SSStatsError(f"`{name}` must be True or False; got {value!r}")
    return bool(value)


def names(values: Any, table: Mapping, name: str, default: Iterable[str] | None = None) -> list[str]:
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
