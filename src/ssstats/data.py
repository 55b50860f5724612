"""The data layer: published figures with their provenance, and unit-level returns with censored cells.

Two kinds of data live in the project's ``data/`` directory (see ``data/README.md``, the data dictionary):

* ``published_figures.csv`` -- one row per number published about sexual safety in mental-health inpatient care
  (and the national comparators), each with its qualifier ("more than", "almost", ...), what it counts, the period
  and place, the publisher, the address where it was read and the exact words.  :func:`published_figures` loads and
  validates it; :func:`figure` returns one figure with its provenance and a citation key for
  ``data/references.bib``.
* unit-level returns (one row per unit and period: incidents, referrals to police, police reports, charges, ...),
  as researchers get them from freedom-of-information requests.  :func:`load_units` reads CSV or Parquet,
  validates every row at once and reads suppressed small numbers (``"*"``, ``"<5"``, ``"1-4"``) as censored
  counts with their range, never as zero or as missing.

This module imports only :mod:`ssstats._validate`.

References
----------
.. [1] NHS Digital (2018). Disclosure control methodology for Hospital Episode Statistics (HES) and Emergency
   Care Data Set (ECDS): below national level, counts of 1 to 7 are shown as ``*``.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._validate import ErrorCollector, SSStatsError, check_columns, check_flag

__all__ = [
    "data_dir",
    "published_figures",
    "figure",
    "PublishedFigure",
    "load_units",
    "FIGURE_COLUMNS",
    "QUALIFIERS",
    "SOURCE_TYPES",
    "UNIT_STAGES",
    "NESTED_PAIRS",
]

#: columns of ``published_figures.csv``, in file order
FIGURE_COLUMNS: tuple[str, ...] = (
    "figure_id", "value", "qualifier", "measure", "unit", "period_start", "period_end", "geography", "publisher",
    "title", "date", "url", "source_type", "quote", "derived_from", "bibkey", "note",
)
#: columns that must not be empty in any row
_NONEMPTY = ("figure_id", "value", "measure", "unit", "geography", "publisher", "title", "source_type", "quote",
             "bibkey")
#: the qualifier vocabulary (the empty string: the number is stated as it stands)
QUALIFIERS: tuple[str, ...] = ("", "almost", "nearly", "more than", "less than", "about", "around", "at least",
                               "fewer than")
#: where the words were read: the original publisher's page, a copy of it elsewhere, or another publisher's report
SOURCE_TYPES: tuple[str, ...] = ("original", "copy", "secondary")

_ID = re.compile(r"[a-z][a-z0-9_]*")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_PARTIAL = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_FORMULA = re.compile(r"[A-Za-z0-9_.+\-*/() ]+")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BIBKEY = re.compile(r"^\s*@\w+\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)

_DATA_ENV = "SSSTATS_DATA"


# --------------------------------------------------------------------------------------------------------------
# where the data live

def data_dir() -> Path:
    """The project's ``data/`` directory.

    The environment variable ``SSSTATS_DATA`` overrides it; otherwise it is the repository's ``data/`` beside
    ``src/`` (the package is installed editable from the repository).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    SSStatsError
        If the directory does not exist.

    Examples
    --------
    >>> (data_dir() / "published_figures.csv").exists()  # doctest: +SKIP
    True
    """
    env = os.environ.get(_DATA_ENV)
    path = Path(env).expanduser() if env else Path(__file__).resolve().parents[2] / "data"
    if not path.is_dir():
        how = f"the environment variable {_DATA_ENV}={env!r}" if env else "the repository layout (src/../data)"
        raise SSStatsError(f"the data directory {str(path)!r} (from {how}) does not exist; set {_DATA_ENV} to the "
                           "directory holding published_figures.csv and references.bib")
    return path


# --------------------------------------------------------------------------------------------------------------
# published figures

def _bib_keys(path: Path) -> set[str]:
    return set(_BIBKEY.findall(path.read_text(encoding="utf-8")))


def _cell(row: str, col: str, val: Any) -> str:
    return f"{row}: `{col}` = {val!r}"


def _check_figures(raw: pd.DataFrame, bibkeys: set[str] | None, bibpath: Path, errs: ErrorCollector) -> None:
    """Add one message per bad cell of the raw (all-string) frame to ``errs``."""
    ids = raw["figure_id"].tolist()
    known = set(ids)
    where = [f"row {k} (line {k + 1}, figure_id {fid!r})" for k, fid in enumerate(ids, start=1)]
    for col in _NONEMPTY:
        for k in np.flatnonzero(raw[col].str.strip().eq("").to_numpy()):
            errs.add(f"{where[k]}: `{col}` is empty")
    first_row: dict[str, int] = {}
    for k, fid in enumerate(ids):
        if fid and not _ID.fullmatch(fid):
            errs.add(_cell(where[k], "figure_id", fid) + " is not an id (lower-case letters, digits and _)")
        if fid in first_row:
            errs.add(f"{where[k]}: `figure_id` {fid!r} duplicates row {first_row[fid] + 1}")
        elif fid:
            first_row[fid] = k
    value = pd.to_numeric(raw["value"].str.replace(",", "", regex=False), errors="coerce").to_numpy(dtype=float)
    for k in np.flatnonzero(~np.isfinite(value) & raw["value"].ne("").to_numpy()):
        errs.add(_cell(where[k], "value", raw["value"].iat[k]) + " is not a finite number")
    for k in np.flatnonzero(~raw["qualifier"].isin(QUALIFIERS).to_numpy()):
        errs.add(_cell(where[k], "qualifier", raw["qualifier"].iat[k])
                 + f" is not one of {', '.join(repr(q) for q in QUALIFIERS)}")
    for k in np.flatnonzero(~raw["source_type"].isin(SOURCE_TYPES + ("",)).to_numpy()):
        errs.add(_cell(where[k], "source_type", raw["source_type"].iat[k])
                 + f" is not one of {', '.join(map(repr, SOURCE_TYPES))}")
    for col in ("period_start", "period_end"):
        for k, v in enumerate(raw[col]):
            if v and not (_ISO_DAY.fullmatch(v) and _is_date(v)):
                errs.add(_cell(where[k], col, v) + " is not an ISO date (YYYY-MM-DD)")
    for k, (a, b) in enumerate(zip(raw["period_start"], raw["period_end"])):
        if a and b and _is_date(a) and _is_date(b) and a > b:
            errs.add(f"{where[k]}: `period_start` {a!r} is after `period_end` {b!r}")
    for k, v in enumerate(raw["date"]):
        if v and not _ISO_PARTIAL.fullmatch(v):
            errs.add(_cell(where[k], "date", v) + " is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
    for k, v in enumerate(raw["url"]):
        if v and not v.startswith(("http://", "https://")):
            errs.add(_cell(where[k], "url", v) + " is not an http(s) address")
    for k, v in enumerate(raw["derived_from"]):
        if not v:
            continue
        if not _FORMULA.fullmatch(v):
            errs.add(_cell(where[k], "derived_from", v) + " is not a formula over figure ids (+ - * / and brackets)")
            continue
        refs = _TOKEN.findall(v)
        unknown = [t for t in refs if t not in known]
        if unknown:
            errs.add(_cell(where[k], "derived_from", v)
                     + f" refers to unknown figure id(s) {', '.join(map(repr, unknown))}")
        if ids[k] in refs:
            errs.add(_cell(where[k], "derived_from", v) + " refers to the figure itself")
        if not refs:
            errs.add(_cell(where[k], "derived_from", v) + " names no figure id")
    if bibkeys is None:
        errs.add(f"the bibliography {str(bibpath)!r} does not exist, so no `bibkey` can be checked")
    else:
        for k, v in enumerate(raw["bibkey"]):
            if v and v not in bibkeys:
                errs.add(_cell(where[k], "bibkey", v) + f" is not a key of {bibpath.name}")


def _is_date(v: str) -> bool:
    try:
        date.fromisoformat(v)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=8)
def _load_figures(path: str, bib: str, _stamp: tuple) -> pd.DataFrame:
    p, b = Path(path), Path(bib)
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise SSStatsError(f"{p.name} could not be read as UTF-8 CSV: {e}") from None
    raw = raw.fillna("")  # a row with too few fields
    missing = [c for c in FIGURE_COLUMNS if c not in raw.columns]
    if missing:
        raise SSStatsError(f"{p.name} is missing required column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(map(repr, missing))}; it has {', '.join(map(repr, raw.columns))}")
    errs = ErrorCollector(p.name)
    _check_figures(raw, _bib_keys(b) if b.is_file() else None, b, errs)
    errs.raise_if_any()
    out = raw.copy()
    out["value"] = pd.to_numeric(raw["value"].str.replace(",", "", regex=False)).astype("float64")
    for col in ("period_start", "period_end"):
        out[col] = pd.to_datetime(raw[col].replace("", None), format="%Y-%m-%d")
    return out


def published_figures(path: str | os.PathLike | None = None, *, bibliography: str | os.PathLike | None = None
                      ) -> pd.DataFrame:
    """Load and validate ``data/published_figures.csv``: one row per published number, with its provenance.

    Parameters
    ----------
    path : path-like, optional
        The CSV; default ``data_dir() / "published_figures.csv"``.
    bibliography : path-like, optional
        The BibTeX file holding every ``bibkey``; default ``references.bib`` beside the CSV.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`FIGURE_COLUMNS` in file order: ``value`` as float64, ``period_start`` and
        ``period_end`` as datetimes (NaT when unknown), every other column as text ("" when empty).

    Raises
    ------
    SSStatsError
        Listing every problem at once, each naming the row (and its line in the file), the column and the value:
        a missing column, an empty required cell (id, value, measure, unit, geography, publisher, title,
        source_type, quote, bibkey), a duplicated or malformed id, a value that is not a number, a qualifier outside
        :data:`QUALIFIERS`, a date that is not ISO, a ``derived_from`` formula naming an unknown id, a ``bibkey``
        missing from the bibliography.

    Notes
    -----
    Numbers are kept as published: "more than 1,300" is value 1300 with qualifier "more than"; a figure the source
    computed from others records the formula in ``derived_from`` (e.g. ``"indy_police_charges /
    indy_police_reports"``).  The file is read once per change (cached on its modification time).

    Examples
    --------
    >>> df = published_figures()  # doctest: +SKIP
    >>> df.set_index("figure_id").loc["indy_police_charges", "value"]  # doctest: +SKIP
    26.0
    """
    p = Path(path) if path is not None else data_dir() / "published_figures.csv"
    if not p.is_file():
        raise SSStatsError(f"`path` {str(p)!r} is not a file")
    b = Path(bibliography) if bibliography is not None else p.with_name("references.bib")
    stamp = tuple(f.stat().st_mtime_ns if f.is_file() else None for f in (p, b))
    return _load_figures(str(p.resolve()), str(b.resolve()), stamp).copy()


def _format_number(v: float) -> str:
    s = np.format_float_positional(v, trim="-")
    whole, _, frac = s.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    return sign + whole + (f".{frac}" if frac else "")


@dataclass(frozen=True)
class PublishedFigure:
    """One published number with its provenance (a row of ``published_figures.csv``).

    ``float(fig)`` is the value; ``fig.text`` the number as published with its qualifier (e.g. ``"more than
    1,300"``); ``fig.citation`` the Pandoc citation (``"[@bibkey]"``) for ``data/references.bib``.
    """

    figure_id: str
    value: float
    qualifier: str
    measure: str
    unit: str
    period_start: date | None
    period_end: date | None
    geography: str
    publisher: str
    title: str
    date: str
    url: str
    source_type: str
    quote: str
    derived_from: str
    bibkey: str
    note: str

    def __float__(self) -> float:
        return float(self.value)

    @property
    def number(self) -> str:
        """The value formatted as published: thousands separators, a ``%`` for percentages."""
        if self.unit == "percent":
            return _format_number(self.value) + "%"
        if self.unit == "proportion":
            return _format_number(round(self.value * 100, 2)) + "%"
        return _format_number(self.value)

    @property
    def text(self) -> str:
        """The number with its qualifier, e.g. ``"more than 1,300"`` or ``"less than 2%"``."""
        return f"{self.qualifier} {self.number}".strip()

    @property
    def citation(self) -> str:
        """Pandoc citation of the source, e.g. ``"[@independent2024charges]"``."""
        return f"[@{self.bibkey}]"

    def __str__(self) -> str:
        return self.text


def figure(figure_id: str, *, path: str | os.PathLike | None = None) -> PublishedFigure:
    """One published figure with its provenance.

    Parameters
    ----------
    figure_id : str
        An id of ``published_figures.csv``, e.g. ``"indy_police_charges"``.
    path : path-like, optional
        The CSV (default: the project's).

    Returns
    -------
    PublishedFigure
        Frozen: ``value``, ``qualifier``, every provenance column, ``text``, ``citation``; ``float()`` works.

    Raises
    ------
    SSStatsError
        For an unknown id, suggesting the closest ids.

    Examples
    --------
    >>> f = figure("atkins_police_reports")  # doctest: +SKIP
    >>> f.text, f.citation  # doctest: +SKIP
    ('more than 1,300', '[@independent2024atkins]')
    """
    if not isinstance(figure_id, str):
        raise SSStatsError(f"`figure_id` must be a string such as 'indy_police_charges'; got {figure_id!r}")
    df = published_figures(path)
    hit = df.index[df["figure_id"] == figure_id]
    if len(hit) == 0:
        close = difflib.get_close_matches(str(figure_id), df["figure_id"].tolist(), n=5, cutoff=0.6)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise SSStatsError(f"`figure_id` {figure_id!r} is not in published_figures.csv{hint}")
    row = df.loc[hit[0]]
    values = {f.name: row[f.name] for f in fields(PublishedFigure)}
    values["value"] = float(values["value"])
    for col in ("period_start", "period_end"):
        values[col] = None if pd.isna(values[col]) else values[col].date()
    return PublishedFigure(**values)


# --------------------------------------------------------------------------------------------------------------
# unit-level returns

#: stage count columns in cascade order (``convictions`` is optional)
UNIT_STAGES: tuple[str, ...] = ("incidents", "referred_to_police", "police_reports", "charges", "convictions")
_REQUIRED_STAGES = ("incidents", "referred_to_police", "police_reports", "charges")
#: (earlier, later) stage pairs that are nested: the later is a subset of the earlier.  ``incidents`` (trust
#: returns) and ``police_reports`` (police returns) are different sources and are not compared.
NESTED_PAIRS: tuple[tuple[str, str], ...] = (("incidents", "referred_to_police"), ("police_reports", "charges"),
                                             ("charges", "convictions"))
_MISSING = {"", "na", "n/a", "nan", "null", "none", "missing", "-", "."}
# ASCII digits only: ``\d`` would also match other scripts' digits, which int() and pandas do not all read
_INT = re.compile(r"[0-9]{1,3}(,[0-9]{3})+|[0-9]+(\.0+)?")
_LT = re.compile(r"(<=|≤|<)\s*([0-9]+)")
_RANGE = re.compile(r"([0-9]+)\s*(?:-|–|to)\s*([0-9]+)")


def _read_units(source) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return source.copy(), "the unit-level frame"
    if not isinstance(source, (str, os.PathLike)):
        raise SSStatsError(f"`path_or_frame` must be a path to a .csv or .parquet file or a DataFrame; "
                           f"got {type(source).__name__}")
    p = Path(source)
    if not p.is_file():
        raise SSStatsError(f"`path_or_frame` {str(p)!r} is not a file")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        header = pd.read_csv(p, nrows=0, encoding="utf-8").columns
        as_text = [c for c in header if c in UNIT_STAGES or c in ("unit_id", "provider", "bed_days", "period",
                                                                   "period_start", "period_end")]
        frame = pd.read_csv(p, dtype={c: str for c in as_text}, keep_default_na=False, na_values={
            c: ["", "NA", "N/A", "NaN", "nan", "null"] for c in header if c not in as_text}, encoding="utf-8")
        return frame, p.name
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(p), p.name
    raise SSStatsError(f"`path_or_frame` {str(p)!r} must end in .csv or .parquet; got {suffix or 'no suffix'!r}")


def _parse_counts(col: pd.Series, name: str, suppressed: tuple[int, int], where: _Where, errs: _RowErrors):
    """Parse one stage column: (value with NaN where censored, lower, upper, censored, ok) as arrays."""
    n = len(col)
    lo = np.zeros(n, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    ok = np.ones(n, dtype=bool)
    cens = np.zeros(n, dtype=bool)
    if pd.api.types.is_bool_dtype(col.dtype):
        errs.add(-1, f"`{name}` holds true/false values, not counts")
        return np.full(n, np.nan), lo, hi, cens, np.zeros(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(col.dtype):
        x = col.to_numpy(dtype=float, na_value=np.nan)
        text = pd.Series(np.where(np.isnan(x), "", col.astype(str)), index=col.index)
        num = x
    else:
        text = col.astype("string").fillna("").str.strip()
        num = np.full(n, np.nan)
        plain = text.str.fullmatch(_INT.pattern).fillna(False).to_numpy(dtype=bool)
        num[plain] = pd.to_numeric(text[plain].str.replace(",", "", regex=False)).to_numpy(dtype=float)
        other = ~plain & ~text.str.lower().isin(_MISSING).to_numpy(dtype=bool)
        # a plain number written another way (-3, 2.5, 1e3) is parsed so that its fault can be named
        tried = pd.to_numeric(text[other], errors="coerce").to_numpy(dtype=float)
        num[np.flatnonzero(other)] = tried
    missing = np.isnan(num) & text.str.lower().isin(_MISSING).to_numpy(dtype=bool)
    numeric = ~np.isnan(num)
    for k in np.flatnonzero(missing):
        errs.add(k, f"{where[k]}: `{name}` is missing (a count is required; write a suppressed count as "
                    "'*', '<5' or '1-4')")
    bad = numeric & (num < 0)
    for k in np.flatnonzero(bad):
        errs.add(k, f"{where[k]}: `{name}` = {text.iat[k]!r} is negative")
    frac = numeric & ~bad & (num != np.round(num))
    for k in np.flatnonzero(frac):
        errs.add(k, f"{where[k]}: `{name}` = {text.iat[k]!r} is not a whole number")
    inf = numeric & ~np.isfinite(num)
    for k in np.flatnonzero(inf):
        errs.add(k, f"{where[k]}: `{name}` = {text.iat[k]!r} is not finite")
    good = numeric & ~bad & ~frac & ~inf
    if not pd.api.types.is_numeric_dtype(col.dtype):
        # a whole number written another way ('1e3', '+5', '5.'): refused rather than read silently
        odd = good & ~text.str.fullmatch(_INT.pattern).fillna(False).to_numpy(dtype=bool)
        for k in np.flatnonzero(odd):
            errs.add(k, f"{where[k]}: `{name}` = {text.iat[k]!r} is not written as a plain whole number "
                        f"(write {int(num[k]):d})")
        good &= ~odd
    lo[good] = hi[good] = num[good].astype(np.int64)
    ok &= good | (~numeric & ~missing)
    # censored notations
    rest = np.flatnonzero(~numeric & ~missing)
    if rest.size:
        t = text.iloc[rest]
        star = t.eq("*").to_numpy(dtype=bool)
        lt = t.str.extract(_LT.pattern.join(("^", "$")))
        rg = t.str.extract(_RANGE.pattern.join(("^", "$")))
        is_lt = lt[0].notna().to_numpy(dtype=bool)
        is_rg = rg[0].notna().to_numpy(dtype=bool)
        i = rest[star]
        lo[i], hi[i] = suppressed
        i = rest[is_lt]
        k_ = lt[1].to_numpy()[is_lt].astype(np.int64)
        strict = (lt[0].to_numpy()[is_lt] == "<")
        lo[i], hi[i] = 0, k_ - strict
        i = rest[is_rg]
        lo[i] = rg[0].to_numpy()[is_rg].astype(np.int64)
        hi[i] = rg[1].to_numpy()[is_rg].astype(np.int64)
        cens[rest[star | is_lt | is_rg]] = True
        for k in rest[~(star | is_lt | is_rg)]:
            errs.add(k, f"{where[k]}: `{name}` = {text.iat[k]!r} is neither a count nor a censored count "
                     "('*', '<k', '<=k', 'a-b')")
            ok[k] = False
        for k in np.flatnonzero(cens & (hi < lo)):
            errs.add(k, f"{where[k]}: `{name}` = {text.iat[k]!r} is an empty range")
            ok[k] = False
    value = np.where(cens | ~ok, np.nan, lo.astype(float))
    return value, lo, hi, cens & ok, ok


def load_units(path_or_frame, *, suppressed_range: tuple[int, int] = (1, 7), nested: bool = True,
               stages: Sequence[str] | None = None) -> pd.DataFrame:
    """Read and validate unit-level returns (CSV, Parquet or a DataFrame), with censored small numbers.

    Parameters
    ----------
    path_or_frame : path-like or pandas.DataFrame
        A ``.csv`` (UTF-8) or ``.parquet`` file, or a frame, with one row per unit and period.  Columns (see
        ``data/README.md``): ``unit_id``, ``provider``, ``period`` (or ``period_start`` and ``period_end``, ISO
        dates), the stage counts ``incidents``, ``referred_to_police``, ``police_reports``, ``charges``, optional
        ``convictions``, optional ``bed_days``, optional covariates (e.g. ``ward_type``, ``sector``); any other
        column is kept as it is.
    suppressed_range : (int, int)
        The range a ``"*"`` stands for; default (1, 7), NHS Digital's disclosure rule below national level.
    nested : bool
        Whether the stages follow one cohort, so that a later stage cannot exceed the earlier one (``incidents >=
        referred_to_police``; ``police_reports >= charges >= convictions``).  ``incidents`` and
        ``police_reports`` come from different sources and are never compared.
    stages : sequence of str, optional
        The stage columns the return holds, when not all of ``incidents``, ``referred_to_police``,
        ``police_reports`` and ``charges`` (e.g. a police return: ``("police_reports", "charges")``).

    Returns
    -------
    pandas.DataFrame
        The rows and columns in their original order.  Each stage column ``c`` present becomes float64 with NaN
        where censored, followed by ``c_lower`` and ``c_upper`` (int64; equal to ``c`` where not censored) and
        ``c_censored`` (bool).  ``bed_days`` is float64; ``period_start``/``period_end`` are datetimes.
        ``attrs["censored"]`` maps each stage column to its number of censored cells; ``attrs["nested"]`` records
        ``nested``.

    Raises
    ------
    SSStatsError
        Listing every problem at once, each naming the row (1 = the first data row), the unit, the column and the
        value: a missing required column, a duplicated unit and period, a missing, negative, non-integer or
        unreadable count, a later stage certainly larger than an earlier nested one (with censored cells, only a
        violation at the bounds counts), ``bed_days`` missing, negative, or zero with events.

    Notes
    -----
    Censored notations (FOI returns suppress small numbers): ``"*"`` -> ``suppressed_range``; ``"<k"`` -> 0 to
    k-1; ``"<=k"`` or ``"≤k"`` -> 0 to k; ``"a-b"`` (or ``"a–b"``, ``"a to b"``) -> a to b.  They are never read as
    zero or as missing: the models use the range in their likelihood.  A count written ``"1,234"`` or ``"12.0"``
    is read as 1234 or 12.

    References
    ----------
    .. [1] NHS Digital (2018). Disclosure control methodology for HES and ECDS.

    Examples
    --------
    >>> units = load_units("my_foi_returns.csv")  # doctest: +SKIP
    >>> units[["charges", "charges_lower", "charges_upper", "charges_censored"]].head()  # doctest: +SKIP
    >>> units.attrs["censored"]  # doctest: +SKIP
    {'incidents': 0, 'referred_to_police': 12, 'police_reports': 3, 'charges': 41}
    """
    lo_s, hi_s = _check_range(suppressed_range)
    nested = check_flag(nested, "nested")
    if stages is None:
        wanted = list(_REQUIRED_STAGES)
    else:
        wanted = [stages] if isinstance(stages, str) else list(stages)
        unknown = [s for s in wanted if s not in UNIT_STAGES]
        if unknown or not wanted:
            raise SSStatsError(f"`stages` must name stage columns among {', '.join(map(repr, UNIT_STAGES))}; "
                               f"got {stages!r}")
    frame, what = _read_units(path_or_frame)
    period_cols = ["period"] if "period" in frame.columns or "period_start" not in frame.columns else \
        ["period_start", "period_end"]
    required = ["unit_id", "provider", *period_cols, *wanted]
    check_columns(frame, required, what)
    present = [s for s in UNIT_STAGES if s in frame.columns]
    n = len(frame)
    errs = _RowErrors()
    uid = frame["unit_id"]
    uid_text = uid.astype("string").fillna("").str.strip()
    where = _Where(uid_text)
    for col in ("unit_id", "provider", *period_cols):
        blank = frame[col].isna().to_numpy(dtype=bool) | frame[col].astype("string").fillna("").str.strip().eq(
            "").to_numpy(dtype=bool)
        for k in np.flatnonzero(blank):
            errs.add(k, f"{where[k]}: `{col}` is missing")
    out = frame.copy()
    if period_cols == ["period_start", "period_end"]:
        parsed = {}
        for col in period_cols:
            text = frame[col].astype("string").fillna("").str.strip()
            d = pd.to_datetime(text.where(text.ne("")), format="%Y-%m-%d", errors="coerce")
            for k in np.flatnonzero(d.isna().to_numpy() & text.ne("").to_numpy(dtype=bool)):
                errs.add(k, f"{where[k]}: `{col}` = {text.iat[k]!r} is not an ISO date (YYYY-MM-DD)")
            parsed[col] = d
            out[col] = d
        after = (parsed["period_start"] > parsed["period_end"]).to_numpy(dtype=bool)
        for k in np.flatnonzero(after):
            errs.add(k, f"{where[k]}: `period_start` {frame['period_start'].iat[k]!r} is after `period_end` "
                     f"{frame['period_end'].iat[k]!r}")
    key = pd.DataFrame({"unit_id": uid_text, **{c: frame[c].astype("string") for c in period_cols}})
    dup = key.duplicated(keep=False).to_numpy() & uid_text.ne("").to_numpy(dtype=bool)
    if dup.any():
        first = key[dup].groupby(list(key.columns), dropna=False, sort=False).ngroup().to_numpy()
        rows = np.flatnonzero(dup)
        for g in np.unique(first):
            ks = rows[first == g]
            errs.add(ks[0], f"rows {', '.join(str(k + 1) for k in ks)} (unit {uid_text.iat[ks[0]]!r}, "
                     f"{', '.join(f'{c} {key[c].iat[ks[0]]!r}' for c in period_cols)}): the same unit and period "
                     "appear more than once")
    bounds, censored = {}, {}
    for s in present:
        value, lo, hi, cens, ok = _parse_counts(frame[s], s, (lo_s, hi_s), where, errs)
        bounds[s] = (lo, hi, ok)
        censored[s] = int(cens.sum())
        pos = out.columns.get_loc(s)
        out = out.drop(columns=[s])
        for j, (name, arr) in enumerate(((s, value), (f"{s}_lower", lo), (f"{s}_upper", hi),
                                         (f"{s}_censored", cens))):
            out.insert(pos + j, name, arr)
    if nested:
        for a, b in NESTED_PAIRS:
            if a in bounds and b in bounds:
                (alo, ahi, aok), (blo, bhi, bok) = bounds[a], bounds[b]
                for k in np.flatnonzero(aok & bok & (blo > ahi)):
                    errs.add(k, f"{where[k]}: `{b}` = {_show(frame[b].iat[k])} is larger than `{a}` = "
                             f"{_show(frame[a].iat[k])} (nested stages; pass nested=False if they come from "
                             "different sources)")
    if "bed_days" in frame.columns:
        raw = frame["bed_days"]
        text = raw.astype("string").fillna("").str.strip()
        bd = pd.to_numeric(text.str.replace(",", "", regex=False).where(text.ne("")), errors="coerce").to_numpy(
            dtype=float)
        for k in np.flatnonzero(np.isnan(bd)):
            errs.add(k, f"{where[k]}: `bed_days` = {text.iat[k]!r} is " + ("missing" if text.iat[k] == "" or
                     text.iat[k].lower() in _MISSING else "not a number"))
        for k in np.flatnonzero(np.isinf(bd)):
            errs.add(k, f"{where[k]}: `bed_days` = {text.iat[k]!r} is not finite")
        for k in np.flatnonzero(bd < 0):
            errs.add(k, f"{where[k]}: `bed_days` = {text.iat[k]!r} is negative")
        events = np.zeros(n, dtype=bool)
        for s in present:
            events |= bounds[s][0] > 0
        for k in np.flatnonzero((bd == 0) & events):
            errs.add(k, f"{where[k]}: `bed_days` = {text.iat[k]!r} with events recorded (a rate needs exposure)")
        out["bed_days"] = bd
    collector = ErrorCollector(what)
    collector.extend(errs.sorted())
    collector.raise_if_any()
    if "period" in period_cols and not isinstance(path_or_frame, pd.DataFrame):
        text = frame["period"].astype("string").str.strip()
        if text.str.fullmatch(r"\d{1,4}").all():  # years: keep them as integers
            out["period"] = text.astype("int64")
    out.attrs["censored"] = censored
    out.attrs["nested"] = bool(nested)
    return out


class _RowErrors:
    """Problems keyed by row, reported in row order (stable: checks keep their order within a row)."""

    def __init__(self):
        self.items: list[tuple[int, str]] = []

    def add(self, k: int, message: str) -> None:
        self.items.append((int(k), message))

    def sorted(self) -> list[str]:
        return [m for _, m in sorted(self.items, key=lambda t: t[0])]


class _Where:
    """``where[k]`` names row k (0-based position) for messages: ``"row 3 (unit 'W2')"``; built only for bad rows."""

    def __init__(self, labels: pd.Series):
        self.labels = labels

    def __getitem__(self, k: int) -> str:
        return f"row {int(k) + 1} (unit {self.labels.iat[int(k)]!r})"


def _show(v) -> str:
    return repr(v) if isinstance(v, str) else f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def _check_range(r) -> tuple[int, int]:
    try:
        lo, hi = (int(v) for v in r)
        ok = all(float(v) == int(v) for v in r) and 0 <= lo <= hi
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SSStatsError(f"`suppressed_range` must be two whole numbers (lower, upper) with 0 <= lower <= upper; "
                           f"got {r!r}")
    return lo, hi
