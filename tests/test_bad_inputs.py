"""Every bad input named in the issues, for every public top-level function.

One parametrised table: (function, a valid call, the argument spoilt, the bad value, fragments the message must
contain).  Each bad input must raise :class:`ssstats.SSStatsError` (a ``ValueError``) whose message names the
argument (e.g. "`x`"), the value and, for array inputs, the position ("position 2").  The valid call is checked
to succeed on its own, so that each case tests the one spoilt argument and nothing else.

Bad values: negative counts, non-integer counts, NaN, +inf, x > n, n = 0 (refused where a proportion needs
trials; left out and counted by design in the unit-level fits), exposure <= 0, a level outside (0, 1) (0, 1, 95,
-0.1), an unknown method, arrays of different lengths, booleans, strings like "3", and empty input where no
estimate can be made.

A case that fails today is marked ``xfail(strict=True)`` with what it does instead; the owner of the module
removes the mark when the source is fixed.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

import ssstats as ss
from ssstats import SSStatsError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---------------------------------------------------------------------------------------------------------------
# valid calls (built from each function's signature and docstring)

def _mse_frame() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "uk2013_modern_slavery_5lists.csv", comment="#")


def _hare() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "hare_capture_histories.csv", comment="#")


def _units() -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "fixtures" / "units_good.csv", dtype=str, keep_default_na=False)


def _table() -> pd.DataFrame:
    return pd.DataFrame({"unit": list("ABCD"), "incidents": [30, 40, 12, 25], "charges": [10, 10, 9, 5]})


#: overdispersed units (the beta-binomial regression refuses data without overdispersion)
Y = (0, 8, 1, 0, 9, 2, 5, 1)
N = (10, 12, 9, 8, 11, 10, 10, 12)


VALID: dict[str, tuple[Callable, Callable[[], dict]]] = {
    "published_figures": (ss.published_figures, lambda: {}),
    "figure": (ss.figure, lambda: {"figure_id": ss.published_figures()["figure_id"].iloc[0]}),
    "load_units": (ss.load_units, lambda: {"path_or_frame": _units()}),
    "proportion_ci": (ss.proportion_ci, lambda: {"x": [1, 2, 3, 4], "n": [10, 10, 10, 10]}),
    "rate_ci": (ss.rate_ci, lambda: {"count": [1, 2, 3, 4], "exposure": [10.0, 10.0, 10.0, 10.0]}),
    "compare_proportions": (ss.compare_proportions, lambda: {"x1": 5, "n1": 50, "x2": 10, "n2": 60}),
    "compare_rates": (ss.compare_rates, lambda: {"c1": 5, "e1": 100.0, "c2": 10, "e2": 120.0}),
    "proportion_test": (ss.proportion_test, lambda: {"x": 5, "n": 50, "value": 0.1}),
    "Cascade": (ss.Cascade, lambda: {"data": {"incidents": 100, "police_reports": 40, "charges": 5}}),
    "fit_beta_binomial": (ss.fit_beta_binomial,
                          lambda: {"successes": list(Y), "trials": list(N)}),
    "fit_negative_binomial": (ss.fit_negative_binomial,
                              lambda: {"counts": [1, 2, 3, 0, 4, 2], "exposure": [100.0, 120, 90, 80, 110, 100]}),
    "fit_quasibinomial": (ss.fit_quasibinomial,
                          lambda: {"successes": list(Y), "trials": list(N)}),
    "fit_beta_binomial_regression": (ss.fit_beta_binomial_regression,
                                     lambda: {"successes": list(Y), "trials": list(N)}),
    "funnel": (ss.funnel, lambda: {"numerator": [1, 2, 3, 0, 4, 2], "denominator": [10, 12, 9, 8, 11, 10]}),
    "suppress": (ss.suppress, lambda: {"table": _table()}),
    "fit_mse": (ss.fit_mse, lambda: {"data": _mse_frame(), "count": "count"}),
    "closed_population": (ss.closed_population, lambda: {"histories": _hare()}),
    "lincoln_petersen": (ss.lincoln_petersen, lambda: {"n1": 50, "n2": 40, "m": 10}),
    "chapman": (ss.chapman, lambda: {"n1": 50, "n2": 40, "m": 10}),
    "multiplier_estimate": (ss.multiplier_estimate, lambda: {"observed": 56, "reporting": 0.16, "n_draws": 2000}),
    "reporting_from_survey": (ss.reporting_from_survey, lambda: {"told": 16, "asked": 100}),
    "relative_completeness": (ss.relative_completeness,
                              lambda: {"counts": [10, 20, 40, 5], "exposure": [1000.0, 1000.0, 1000.0, 1000.0]}),
    "bias_analysis": (ss.bias_analysis,
                      lambda: {"observed": 56, "reporting": ("beta", 16.5, 84.5), "n_draws": 2000, "seed": 1}),
}


def test_every_public_function_has_a_valid_call():
    assert set(VALID) == set(ss._EXPORTS)


@pytest.mark.parametrize("name", sorted(VALID))
def test_the_valid_call_succeeds(name):
    fn, kwargs = VALID[name]
    fn(**kwargs())


# ---------------------------------------------------------------------------------------------------------------
# the table

@dataclass
class Case:
    name: str                      # key of VALID
    arg: str                       # the argument spoilt
    bad: Any                       # its bad value, or a function of the valid kwargs returning it
    frags: tuple                   # every fragment must be in the message (a tuple inside: any one of them)
    label: str
    xfail: str | None = None
    extra: dict = field(default_factory=dict)  # other arguments changed together with the spoilt one

    def call(self):
        fn, make = VALID[self.name]
        kwargs = make()
        bad = self.bad(kwargs) if callable(self.bad) else self.bad
        kwargs.update(self.extra)
        kwargs[self.arg] = bad
        return fn(**kwargs)


CASES: list[Case] = []
LENGTHS = ("length", "same", "values but")
NAN = ("NaN", "nan")  # the value NaN, as the central checks word it ("missing (NaN)") or as repr ("got nan")


def add(name, arg, bad, *frags, label, xfail=None, extra=None, **more):
    extra = {**(extra or {}), **more}
    frags = tuple(NAN if f == "NaN" else f for f in frags)
    CASES.append(Case(name, arg, bad, frags, label, xfail, extra))


def _set(seq, i, v):
    out = list(seq)
    out[i] = v
    return out


def array_counts(name, arg):
    """The bad-count cases of an array argument, spoilt at position 2."""
    def sp(v):
        return lambda kw: _set(kw[arg], 2, v)
    a = f"`{arg}`"
    add(name, arg, sp(-1), a, "-1", "position 2", label="negative")
    add(name, arg, sp(2.5), a, "2.5", "position 2", label="non-integer")
    add(name, arg, sp(np.nan), a, "NaN", "position 2", label="nan")
    add(name, arg, sp(np.inf), a, "inf", "position 2", label="inf")
    add(name, arg, sp("3"), a, "'3'", "position 2", label="string-in-list")
    add(name, arg, lambda kw: [i % 2 == 0 for i in range(len(kw[arg]))], a, "True", label="all-booleans")
    add(name, arg, sp(True), a, "True", "position 2", label="boolean-in-list")
    add(name, arg, lambda kw: kw[arg][:-1], a, LENGTHS, label="shorter")


def array_positive(name, arg):
    def sp(v):
        return lambda kw: _set(kw[arg], 2, v)
    a = f"`{arg}`"
    add(name, arg, sp(0.0), a, "0", "position 2", label="zero")
    add(name, arg, sp(-1.0), a, "-1", "position 2", label="negative")
    add(name, arg, sp(np.nan), a, "NaN", "position 2", label="nan")
    add(name, arg, sp(np.inf), a, "inf", "position 2", label="inf")
    add(name, arg, sp("3"), a, "'3'", "position 2", label="string-in-list")
    add(name, arg, lambda kw: [True] * len(kw[arg]), a, "True", label="all-booleans")
    add(name, arg, sp(True), a, "True", "position 2", label="boolean-in-list")


def scalar_counts(name, arg, non_integer=True):
    a = f"`{arg}`"
    add(name, arg, -1, a, "-1", label="negative")
    if non_integer:
        add(name, arg, 2.5, a, "2.5", label="non-integer")
    add(name, arg, np.nan, a, "NaN", label="nan")
    add(name, arg, np.inf, a, "inf", label="inf")
    add(name, arg, "3", a, "'3'", label="string")
    add(name, arg, True, a, "True", label="boolean")


def scalar_positive(name, arg):
    a = f"`{arg}`"
    add(name, arg, 0.0, a, "got 0", label="zero")
    add(name, arg, -1.0, a, "-1", label="negative")
    add(name, arg, np.nan, a, "NaN", label="nan")
    add(name, arg, np.inf, a, "inf", label="inf")
    add(name, arg, "3", a, "'3'", label="string")
    add(name, arg, True, a, "True", label="boolean")


def levels(name, arg="level"):
    a = f"`{arg}`"
    add(name, arg, 0, a, "got 0", label="level-0")
    add(name, arg, 1, a, "got 1", label="level-1")
    add(name, arg, 95, a, "95", label="level-95")
    add(name, arg, -0.1, a, "-0.1", label="level-negative")
    add(name, arg, np.nan, a, "NaN", label="level-nan")
    add(name, arg, "0.95", a, "'0.95'", label="level-string")


def method(name, arg="method"):
    add(name, arg, "bogus", f"`{arg}`", "'bogus'", label="unknown")


# rates ---------------------------------------------------------------------------------------------------------
array_counts("proportion_ci", "x")
array_counts("proportion_ci", "n")
add("proportion_ci", "x", [1, 2, 11, 4], "`x`", "11", "`n`", "position 2", label="x>n")
add("proportion_ci", "n", [10, 10, 0, 10], "`n`", "0", "position 2", label="n=0", extra={"x": [1, 2, 0, 4]})
add("proportion_ci", "x", True, "`x`", "True", label="scalar-boolean", extra={"n": 10})
add("proportion_ci", "x", "3", "`x`", "'3'", label="scalar-string", extra={"n": 10})
method("proportion_ci")
levels("proportion_ci")
add("proportion_ci", "x", [], "`x`", ("empty", "no "), label="empty", extra={"n": []})

array_counts("rate_ci", "count")
array_positive("rate_ci", "exposure")
method("rate_ci")
levels("rate_ci")
add("rate_ci", "per", 0, "`per`", "got 0", label="per-zero")
add("rate_ci", "per", -100, "`per`", "-100", label="per-negative")

for arg in ("x1", "n1", "x2", "n2"):
    scalar_counts("compare_proportions", arg)
add("compare_proportions", "x1", 51, "`x1`", "51", "`n1`", label="x>n")
add("compare_proportions", "n2", 0, "`n2`", "0", label="n=0", extra={"x2": 0})
add("compare_proportions", "x1", [1, 2, 3], "`x1`", LENGTHS, label="lengths",
    extra={"n1": [10, 10]})
add("compare_proportions", "measures", "bogus", "`measures`", "'bogus'", label="unknown-measure")
levels("compare_proportions")

for arg in ("c1", "c2"):
    scalar_counts("compare_rates", arg)
for arg in ("e1", "e2"):
    scalar_positive("compare_rates", arg)
add("compare_rates", "c1", [1, 2, 3], "`c1`", LENGTHS, label="lengths", extra={"e1": [10.0, 10.0]})
add("compare_rates", "measures", "bogus", "`measures`", "'bogus'", label="unknown-measure")
add("compare_rates", "per", 0, "`per`", "got 0", label="per-zero")
levels("compare_rates")

scalar_counts("proportion_test", "x")
scalar_counts("proportion_test", "n")
add("proportion_test", "x", [], "empty", "`x`", label="empty", extra={"n": []})
add("rate_ci", "count", [], "empty", "`count`", label="empty", extra={"exposure": []})
add("compare_proportions", "x1", [], "empty", "`x1`", label="empty", extra={"n1": []})
add("compare_rates", "c1", [], "empty", "`c1`", label="empty", extra={"e1": []})
add("proportion_test", "x", 51, "`x`", "51", "`n`", label="x>n")
add("proportion_test", "n", 0, "`n`", "0", label="n=0", extra={"x": 0})
for v in (-0.1, 1.5, np.nan):
    add("proportion_test", "value", v, "`value`", repr(float(v)) if not np.isnan(v) else "NaN",
        label=f"value-{v}")
add("proportion_test", "alternative", "bogus", "`alternative`", "'bogus'", label="unknown-alternative")

# cascade -------------------------------------------------------------------------------------------------------
def _stage(v):
    return lambda kw: {**kw["data"], "police_reports": v}


add("Cascade", "data", _stage(-1), "`data`", "-1", "police_reports", label="negative")
add("Cascade", "data", _stage(2.5), "`data`", "2.5", "police_reports", label="non-integer")
add("Cascade", "data", _stage(np.nan), "`data`", "NaN", "police_reports", label="nan")
add("Cascade", "data", _stage(np.inf), "`data`", "inf", "police_reports", label="inf")
add("Cascade", "data", _stage("3"), "`data`", "'3'", "police_reports", label="string")
add("Cascade", "data", _stage(True), "`data`", "True", "police_reports", label="boolean")
add("Cascade", "data", lambda kw: {**kw["data"], "charges": 50}, "'charges'", "50", "'police_reports'", "40",
    label="later>earlier")
add("Cascade", "data", {"incidents": 100}, ("two stages", "at least 2", "at least two"), label="one-stage")
add("Cascade", "data", lambda kw: pd.DataFrame({"incidents": [10, 20, 30], "police_reports": [5, -1, 3]}),
    "`police_reports`", "-1", ("position 1", "row 1"), label="frame-negative")
method("Cascade")
levels("Cascade")

# unit-level models ---------------------------------------------------------------------------------------------
for name in ("fit_beta_binomial", "fit_quasibinomial", "fit_beta_binomial_regression"):
    array_counts(name, "successes")
    array_counts(name, "trials")
    add(name, "successes", _set(Y, 2, 11), "`successes`", "11", "`trials`", "position 2", label="x>n")
    levels(name)
    add(name, "successes", [], ("empty", "at least 2", "no unit", "too few"), label="empty", extra={"trials": []})

array_counts("fit_negative_binomial", "counts")
array_positive("fit_negative_binomial", "exposure")
levels("fit_negative_binomial")
add("fit_negative_binomial", "counts", [], ("empty", "at least 2", "no unit", "too few"), label="empty",
    extra={"exposure": []})

# funnel --------------------------------------------------------------------------------------------------------
array_counts("funnel", "numerator")
array_counts("funnel", "denominator")
add("funnel", "numerator", [1, 2, 11, 0, 4, 2], "`numerator`", "11", "`denominator`", "position 2", label="x>n")
add("funnel", "denominator", [10, 12, 0, 8, 11, 10], "`denominator`", "0", "position 2", label="n=0",
    extra={"numerator": [1, 2, 0, 0, 4, 2]})
add("funnel", "denominator", [10.0, 12, 0, 8, 11, 10], "`denominator`", "0", "position 2", label="exposure-zero",
    extra={"kind": "rate"})
add("funnel", "kind", "bogus", "`kind`", "'bogus'", label="unknown-kind")
add("funnel", "limits", "bogus", "`limits`", "'bogus'", label="unknown-limits")
add("funnel", "overdispersion", "bogus", "`overdispersion`", "'bogus'", label="unknown-overdispersion")
add("funnel", "tau2_method", "bogus", "`tau2_method`", "'bogus'", label="unknown-tau2", overdispersion="additive")
for v in (0, 1, 95, -0.1):
    add("funnel", "levels", (0.95, v), "`levels`", str(v), label=f"levels-{v}")
add("funnel", "target", 1.5, "`target", "1.5", label="target>1")
add("funnel", "target", -0.1, "`target", "-0.1", label="target-negative")
add("funnel", "numerator", [], ("empty", "no unit", "at least"), label="empty", extra={"denominator": []})

# disclosure ----------------------------------------------------------------------------------------------------
def _cell(v, col="incidents"):
    def f(kw):
        t = kw["table"].astype({col: object})
        t.loc[2, col] = v
        return t
    return f


add("suppress", "table", lambda kw: kw["table"].assign(incidents=[3, 40, -1, 25]), "incidents", "-1",
    "position 2", label="negative")
add("suppress", "table", lambda kw: kw["table"].assign(incidents=[3.0, 40.0, 2.5, 25.0]), "incidents", "2.5",
    "position 2", label="non-integer", columns=["incidents"])
add("suppress", "table", lambda kw: kw["table"].assign(incidents=[3.0, 40.0, np.nan, 25.0]), "incidents", "NaN",
    "position 2", label="nan", columns=["incidents"])
add("suppress", "table", lambda kw: kw["table"].assign(incidents=[3.0, 40.0, np.inf, 25.0]), "incidents", "inf",
    "position 2", label="inf", columns=["incidents"])
add("suppress", "table", _cell("3"), "incidents", "'3'", "position 2", label="string", columns=["incidents"])
add("suppress", "columns", "nope", "'nope'", label="unknown-column")
add("suppress", "threshold", -1, "`threshold`", "-1", label="threshold-negative")
add("suppress", "base", 0, "`base`", "0", label="base-zero")
add("suppress", "secondary", "bogus", "`secondary`", "'bogus'", label="unknown-secondary")

# under-reporting -----------------------------------------------------------------------------------------------
def _mse_cell(v):
    def f(kw):
        d = kw["data"].astype({"count": object})
        d.loc[2, "count"] = v
        return d
    return f


add("fit_mse", "data", _mse_cell(-1), "`count`", "-1", "position 2", label="negative")
add("fit_mse", "data", _mse_cell(2.5), "`count`", "2.5", "position 2", label="non-integer")
add("fit_mse", "data", _mse_cell(np.nan), "`count`", "NaN", "position 2", label="nan")
add("fit_mse", "data", _mse_cell(np.inf), "`count`", "inf", "position 2", label="inf")
add("fit_mse", "data", _mse_cell("3"), "`count`", "'3'", "position 2", label="string")
add("fit_mse", "data", lambda kw: kw["data"].assign(LA=kw["data"]["LA"].where(kw["data"].index != 2, 2)),
    "LA", "2", "position 2", label="history-not-0/1")
add("fit_mse", "count", "nope", "'nope'", label="unknown-count-column")
add("fit_mse", "model", "bogus", "`model`", "'bogus'", label="unknown-model")
add("fit_mse", "interval", "bogus", "`interval`", "'bogus'", label="unknown-interval")
add("fit_mse", "criterion", "bogus", "`criterion`", "'bogus'", label="unknown-criterion", model="best")
levels("fit_mse")
add("fit_mse", "data", lambda kw: kw["data"].iloc[:0], ("empty", "no ", "at least", "nobody"), label="empty")


def _hist(v):
    def f(kw):
        h = kw["histories"].astype(object)
        h.iloc[2, 1] = v
        return h
    return f


add("closed_population", "histories", _hist(2), "'c2'", "2", "position 2", label="not-0/1")
add("closed_population", "histories", _hist(-1), "'c2'", "-1", "position 2", label="negative")
add("closed_population", "histories", _hist(np.nan), "'c2'", "NaN", "position 2", label="nan")
add("closed_population", "histories", _hist("1"), "'c2'", "'1'", "position 2", label="string")
add("closed_population", "histories",
    lambda kw: kw["histories"].assign(n=[1] * len(kw["histories"])).astype({"n": float}).assign(
        n=lambda d: d["n"].where(d.index != 2, -1.0)), ("`count`", "`n`"), "-1", "position 2", label="count-negative",
    count="n")
add("closed_population", "count", "nope", "'nope'", label="unknown-count-column")
levels("closed_population")
add("closed_population", "histories", lambda kw: kw["histories"].iloc[:0], ("empty", "no ", "at least", "nobody"),
    label="empty")

for name in ("lincoln_petersen", "chapman"):
    for arg in ("n1", "n2", "m"):
        scalar_counts(name, arg)
    add(name, "m", 45, "`m`", "45", "`n2`", label="m>n2")
    add(name, "m", 51, "`m`", "51", "`n1`", label="m>n1", n2=60)
    add(name, "n1", [50, 60, 70], "`n1`", LENGTHS, label="lengths", n2=[40, 40], m=[10, 10])
    levels(name)
add("lincoln_petersen", "m", 0, "`m`", "0", label="m=0")

scalar_counts("multiplier_estimate", "observed")
add("multiplier_estimate", "observed", [56, 40, -1], "`observed`", "-1", "position 2", label="array-negative")
add("multiplier_estimate", "observed", [], "empty", "`observed`", label="empty")
for v in (0, 1.5, -0.1, np.nan):
    add("multiplier_estimate", "reporting", v, "`reporting`", "NaN" if v != v else repr(v), label=f"reporting-{v}")
add("multiplier_estimate", "reporting", (0.3, 0.1), "`reporting`", ("0.3", "0.1"), label="reporting-reversed")
add("multiplier_estimate", "reporting", "0.16", "`reporting`", "'0.16'", label="reporting-string")
add("multiplier_estimate", "n_draws", 0, "`n_draws`", "0", label="n_draws-zero")
add("multiplier_estimate", "seed", "abc", "`seed`", "'abc'", label="bad-seed")
levels("multiplier_estimate")

scalar_counts("reporting_from_survey", "told")
scalar_counts("reporting_from_survey", "asked")
add("reporting_from_survey", "told", 120, "`told`", "120", "`asked`", label="told>asked")

array_counts("relative_completeness", "counts")
array_positive("relative_completeness", "exposure")
add("relative_completeness", "benchmark", "bogus", "`benchmark`", "'bogus'", label="unknown-benchmark")
levels("relative_completeness")
add("relative_completeness", "counts", [], ("empty", "no unit", "at least"), label="empty", exposure=[])

scalar_counts("bias_analysis", "observed")
add("bias_analysis", "observed", {"incidents": 100, "police_reports": -1}, "police_reports", "-1",
    label="dict-negative")
add("bias_analysis", "reporting", ("bogus", 1, 2), "'bogus'", label="unknown-distribution")
add("bias_analysis", "reporting", 1.5, "reporting", "1.5", label="reporting>1")
add("bias_analysis", "reporting", ("beta", -1, 2), "beta", "-1", label="beta-negative")
add("bias_analysis", "n_draws", 0, "`n_draws`", "0", label="n_draws-zero")
add("bias_analysis", "seed", "abc", "`seed`", "'abc'", label="bad-seed")
levels("bias_analysis")

# data ----------------------------------------------------------------------------------------------------------
add("figure", "figure_id", "no_such_figure", "`figure_id`", "'no_such_figure'", label="unknown-id")
add("figure", "figure_id", 3, "`figure_id`", "3", label="not-a-string")
add("published_figures", "path", "/no/such/file.csv", "`path`", "/no/such/file.csv", label="missing-file")


def _unit_cell(col, v):
    def f(kw):
        u = kw["path_or_frame"].copy()
        u.loc[2, col] = v
        return u
    return f


add("load_units", "path_or_frame", _unit_cell("charges", "-1"), "`charges`", "-1", "row 3", label="negative")
add("load_units", "path_or_frame", _unit_cell("charges", "2.5"), "`charges`", "2.5", "row 3", label="non-integer")
add("load_units", "path_or_frame", _unit_cell("charges", "inf"), "`charges`", "inf", "row 3", label="inf")
add("load_units", "path_or_frame", _unit_cell("charges", "three"), "`charges`", "three", "row 3",
    label="text")
add("load_units", "path_or_frame", _unit_cell("bed_days", "0"), "`bed_days`", "0", "row 3", label="exposure-zero")
add("load_units", "path_or_frame", _unit_cell("bed_days", "-5"), "`bed_days`", "-5", "row 3",
    label="exposure-negative")
add("load_units", "path_or_frame", _unit_cell("charges", "99"), "`charges`", "99", "row 3", label="later>earlier")
add("load_units", "path_or_frame", lambda kw: kw["path_or_frame"].drop(columns="charges"), "charges",
    label="missing-column")
add("load_units", "suppressed_range", (7, 1), "`suppressed_range`", "(7, 1)", label="reversed-range")
add("load_units", "path_or_frame", "/no/such/units.csv", "/no/such/units.csv", label="missing-file")


# ---------------------------------------------------------------------------------------------------------------

#: cases that fail today (test id -> what the call does instead); the module's owner removes an entry on fixing it
KNOWN: dict[str, str] = {
}


def _param(c: Case):
    cid = f"{c.name}-{c.arg}-{c.label}"
    reason = KNOWN.get(cid) or c.xfail
    marks = [pytest.mark.xfail(strict=True, raises=(AssertionError, pytest.fail.Exception), reason=reason)] \
        if reason else []
    return pytest.param(c, id=cid, marks=marks)


def _check(message: str, frags: tuple) -> None:
    for f in frags:
        options = f if isinstance(f, tuple) else (f,)
        assert any(o in message for o in options), f"{options} not in message: {message!r}"


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input_is_refused_naming_argument_and_value(case: Case):
    with pytest.raises(SSStatsError) as info:
        case.call()
    assert isinstance(info.value, ValueError)
    _check(str(info.value), case.frags)


# ---------------------------------------------------------------------------------------------------------------
# units with no trials: left out and counted by design (not refused)

@pytest.mark.parametrize("fn", [ss.fit_beta_binomial, ss.fit_quasibinomial, ss.fit_beta_binomial_regression])
def test_units_with_no_trials_are_left_out_and_counted(fn):
    fit = fn(_set(Y, 2, 0), _set(N, 2, 0))
    assert fit.n_excluded == 1 and fit.n_units == len(N) - 1
    assert "no trials" in fit.summary()


def test_a_survey_of_nobody_gives_the_jeffreys_prior():
    """``reporting_from_survey(0, 0)`` is not refused: by design (Notes) it is the Jeffreys prior Beta(1/2, 1/2)."""
    d = ss.reporting_from_survey(0, 0)
    assert d.args == (0.5, 0.5)

