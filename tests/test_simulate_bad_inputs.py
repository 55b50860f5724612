"""Bad input to the public functions of ssstats.simulate: each raises SSStatsError naming the argument and value.

One table of calls, each with the fragment its message must contain (matched literally).  Every call is refused
before any model is fitted, so the whole table runs in well under a second.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from ssstats import SSStatsError
from ssstats.simulate import (
    capture_probabilities,
    exact_proportion_coverage,
    exact_rate_coverage,
    foi_return,
    list_probabilities,
    mse_coverage,
    overdispersion_coverage,
    run_study,
    study_tasks,
    summarise_replicates,
    synthetic_linked_lists,
    synthetic_units,
    unit_sizes,
)

P3 = [0.1, 0.175, 0.25]
TRIALS = [3, 5, 8, 2]


def _rows(**change):
    """Per-replicate rows as the Monte Carlo studies make them, with ``change`` applied."""
    rows = pd.DataFrame({"study": "mse", "method": "lognormal", "model": "main", "covered": [True, False],
                         "width": [10.0, 12.0], "estimate": [2000.0, 1990.0], "ok": [True, True]})
    for k, v in change.items():
        if v is None:
            rows = rows.drop(columns=k)
        else:
            rows[k] = v
    return rows


BAD_CALLS = {
    # --- mse_coverage: models, intervals, sizes, flags
    "mse unknown model": (lambda: mse_coverage(2000, P3, 0.0, ["bogus"], 2, seed=1),
                          "`models` must be one of 'main', 'stepwise', 'best'; got 'bogus'"),
    "mse no models": (lambda: mse_coverage(2000, P3, 0.0, [], 2, seed=1), "`models` is empty"),
    "mse model twice": (lambda: mse_coverage(2000, P3, 0.0, ["main", "main"], 2, seed=1),
                        "`models` names 'main' twice"),
    "mse model not a name": (lambda: mse_coverage(2000, P3, 0.0, 3, 2, seed=1),
                             "`models` must be a name or a list of names"),
    "mse unknown interval": (lambda: mse_coverage(2000, P3, 0.0, ["main"], 2, seed=1, intervals=["wald"]),
                             "`intervals` must be one of 'lognormal', 'profile', 'bootstrap'; got 'wald'"),
    "mse no intervals": (lambda: mse_coverage(2000, P3, 0.0, ["main"], 2, seed=1, intervals=[]),
                         "`intervals` is empty"),
    "mse zero population": (lambda: mse_coverage(0, P3, 0.0, ["main"], 2, seed=1),
                            "`population` must be a whole number of at least 1; got 0"),
    "mse fractional population": (lambda: mse_coverage(2000.5, P3, 0.0, ["main"], 2, seed=1),
                                  "`population` must be a whole number (a count); got 2000.5"),
    "mse negative reps": (lambda: mse_coverage(2000, P3, 0.0, ["main"], -1, seed=1),
                          "`reps` must be a whole number of at least 1; got -1"),
    "mse reps as text": (lambda: mse_coverage(2000, P3, 0.0, ["main"], "5", seed=1),
                         "`reps` must be numeric; got the string '5'"),
    "mse few resamples": (lambda: mse_coverage(2000, P3, 0.0, ["stepwise"], 2, seed=1, intervals=["bootstrap"],
                                               n_boot=5), "`n_boot` must be at least 10; got 5"),
    "mse no seed": (lambda: mse_coverage(2000, P3, 0.0, ["main"], 2, seed=None), "`seed` is required"),
    "mse negative seed": (lambda: mse_coverage(2000, P3, 0.0, ["main"], 2, seed=-4),
                          "`seed` must be a non-negative integer; got -4"),
    "mse float seed": (lambda: mse_coverage(2000, P3, 0.0, ["main"], 2, seed=1.5),
                       "`seed` must be an integer, SeedSequence or numpy.random.Generator; got 1.5"),
    "mse two levels": (lambda: mse_coverage(2000, P3, 0.0, ["main"], 2, seed=1, level=[0.9, 0.95]),
                       "`level` must be a single confidence level"),
    "mse replicates as text": (lambda: mse_coverage(2000, P3, 0.0, ["main"], 2, seed=1, replicates="no"),
                               "`replicates` must be True or False; got 'no'"),
    "mse one list": (lambda: mse_coverage(2000, [0.2], 0.0, ["main"], 2, seed=1), "`p` needs at least two lists"),
    "mse log odds ratio text": (lambda: mse_coverage(2000, P3, "high", ["main"], 2, seed=1),
                                "`log_odds_ratio` must be numeric; got the string 'high'"),
    # --- list_probabilities / capture_probabilities
    "lists negative": (lambda: list_probabilities(-2), "`k` must be a whole number of at least 2"),
    "lists zero": (lambda: list_probabilities(0), "needs at least two lists); got 0"),
    "lists one": (lambda: list_probabilities(1), "`k` must be a whole number of at least 2"),
    "lists fraction": (lambda: list_probabilities(2.5), "`k` must be a whole number (a count); got 2.5"),
    "lists boolean": (lambda: list_probabilities(True), "`k` must be numeric; got booleans"),
    "lists too many": (lambda: list_probabilities(21), "`k` must be at most 20 lists"),
    "lists several": (lambda: list_probabilities([3, 4]), "`k` must be a single whole number; got [3, 4]"),
    "capture one list": (lambda: capture_probabilities([0.2]), "`p` needs at least two lists; got 1"),
    "capture zero probability": (lambda: capture_probabilities([0.2, 0.0]),
                                 "`p` must be a probability strictly between 0 and 1; got 0.0 at position 1"),
    "capture log odds ratio nan": (lambda: capture_probabilities([0.2, 0.3], np.nan),
                                   "`log_odds_ratio` must be finite"),
    "capture log odds ratios": (lambda: capture_probabilities([0.2, 0.3], [1.0, 2.0]),
                                "`log_odds_ratio` must be a single number; got 2 values"),
    "capture too many lists": (lambda: capture_probabilities([0.2] * 21), "`p` may give at most 20 lists"),
    # --- overdispersion_coverage
    "od no units": (lambda: overdispersion_coverage([], 0.02, 0.0, 2, seed=1),
                    "`trials` must give at least two units"),
    "od one unit": (lambda: overdispersion_coverage([40], 0.02, 0.0, 2, seed=1),
                    "`trials` must give at least two units (the study is of variation between units); got 1"),
    "od zero trials": (lambda: overdispersion_coverage([3, 0, 2], 0.02, 0.0, 2, seed=1),
                       "`trials` must be greater than zero; got 0.0 at position 1"),
    "od negative trials": (lambda: overdispersion_coverage([3, -1], 0.02, 0.0, 2, seed=1),
                           "`trials` must be a non-negative integer count; got -1.0 at position 1"),
    "od fractional trials": (lambda: overdispersion_coverage([3, 2.5], 0.02, 0.0, 2, seed=1),
                             "`trials` must be a whole number (a count); got 2.5 at position 1"),
    "od mu one": (lambda: overdispersion_coverage(TRIALS, 1.0, 0.0, 2, seed=1),
                  "`mu` must be a probability strictly between 0 and 1; got 1.0"),
    "od several mu": (lambda: overdispersion_coverage(TRIALS, [0.02, 0.03], 0.0, 2, seed=1),
                      "`mu` must be a single number; got 2 values"),
    "od rho one": (lambda: overdispersion_coverage(TRIALS, 0.02, 1.0, 2, seed=1), "`rho` must be less than 1; got 1"),
    "od rho negative": (lambda: overdispersion_coverage(TRIALS, 0.02, -0.1, 2, seed=1),
                        "`rho` must be a probability between 0 and 1; got -0.1"),
    "od zero reps": (lambda: overdispersion_coverage(TRIALS, 0.02, 0.0, 0, seed=1),
                     "`reps` must be a whole number of at least 1; got 0"),
    "od reps list": (lambda: overdispersion_coverage(TRIALS, 0.02, 0.0, [2, 3], seed=1),
                     "`reps` must be a single whole number; got [2, 3]"),
    "od unknown method": (lambda: overdispersion_coverage(TRIALS, 0.02, 0.0, 2, seed=1, methods=["wald"]),
                          "`methods` must be one of 'binomial_wilson', 'binomial_exact', 'beta_binomial', "
                          "'empirical_bayes', 'wilson_per_unit'; got 'wald'"),
    "od no methods": (lambda: overdispersion_coverage(TRIALS, 0.02, 0.0, 2, seed=1, methods=[]),
                      "`methods` is empty"),
    "od bad level": (lambda: overdispersion_coverage(TRIALS, 0.02, 0.0, 2, seed=1, level=95),
                     "`level` must be strictly between 0 and 1 (give 0.95, not 95)"),
    "od bad seed": (lambda: overdispersion_coverage(TRIALS, 0.02, 0.0, 2, seed="seven"),
                    "`seed` must be an integer, SeedSequence or numpy.random.Generator; got 'seven'"),
    "od replicates as int": (lambda: overdispersion_coverage(TRIALS, 0.02, 0.0, 2, seed=1, replicates=1),
                             "`replicates` must be True or False; got 1"),
    # --- the exact coverage functions
    "prop no n": (lambda: exact_proportion_coverage([], 0.1), "`n` is empty"),
    "prop no p": (lambda: exact_proportion_coverage(10, []), "`p` is empty"),
    "prop zero n": (lambda: exact_proportion_coverage(0, 0.1), "`n` must be greater than zero; got 0"),
    "prop negative n": (lambda: exact_proportion_coverage(-5, 0.1), "`n` must be a non-negative integer count; got -5"),
    "prop text n": (lambda: exact_proportion_coverage("20", 0.1), "`n` must be numeric; got the string '20'"),
    "prop p zero": (lambda: exact_proportion_coverage(10, 0.0),
                    "`p` must be a probability strictly between 0 and 1; got 0.0"),
    "prop no methods": (lambda: exact_proportion_coverage(10, 0.1, methods=[]), "`methods` is empty"),
    "prop method twice": (lambda: exact_proportion_coverage(10, 0.1, methods=["wald", "wald"]),
                          "`methods` names 'wald' twice"),
    "prop two levels": (lambda: exact_proportion_coverage(10, 0.1, level=(0.9, 0.95)),
                        "`level` must be a single confidence level (e.g. 0.95); got 2"),
    "rate no mu": (lambda: exact_rate_coverage([]), "`mu` is empty"),
    "rate zero mu": (lambda: exact_rate_coverage([1.0, 0.0]), "`mu` must be greater than zero; got 0.0 at position 1"),
    "rate tail one": (lambda: exact_rate_coverage(2.0, tail=1.0),
                      "`tail` must be a probability strictly between 0 and 1; got 1.0"),
    "rate several tails": (lambda: exact_rate_coverage(2.0, tail=[1e-9, 1e-6]),
                           "`tail` must be a single number; got 2 values"),
    "rate unknown method": (lambda: exact_rate_coverage(2.0, methods="wilson"), "`methods` must be one of"),
    # --- unit sizes
    "sizes zero units": (lambda: unit_sizes(0, 4.0), "`units` must be a whole number of at least 1; got 0"),
    "sizes several units": (lambda: unit_sizes([3, 4], 4.0), "`units` must be a single whole number; got [3, 4]"),
    "sizes fractional units": (lambda: unit_sizes(3.5, 4.0), "`units` must be a whole number (a count); got 3.5"),
    "sizes mean one": (lambda: unit_sizes(10, 1.0), "`mean` must be greater than 1"),
    "sizes several means": (lambda: unit_sizes(10, [4.0, 5.0]), "`mean` must be a single number; got 2 values"),
    "sizes shape zero": (lambda: unit_sizes(10, 4.0, shape=0), "`shape` must be greater than zero; got 0"),
    # --- summarise_replicates
    "summary not a frame": (lambda: summarise_replicates([1, 2]), "`rows` must be a pandas DataFrame; got list"),
    "summary no covered": (lambda: summarise_replicates(_rows(covered=None)),
                           "`rows` is missing required column 'covered'"),
    "summary no rows": (lambda: summarise_replicates(_rows().iloc[:0]), "`rows` has no rows"),
    "summary ok text": (lambda: summarise_replicates(_rows(ok=["yes", "no"])),
                        "`rows`: `ok` must be True or False; got 'yes' in row 0"),
    "summary covered above one": (lambda: summarise_replicates(_rows(covered=[1.5, 0.0])),
                                  "`covered` must be a share from 0 to 1 in every row whose fit is ok; got 1.5 in "
                                  "row 0"),
    "summary covered text": (lambda: summarise_replicates(_rows(covered=["yes", "no"])),
                             "`covered` must be True/False or a share from 0 to 1; got 'yes'"),
    # --- study_tasks / run_study
    "tasks unknown mode": (lambda: study_tasks("slow"), "`mode` must be one of 'quick', 'full'; got 'slow'"),
    "tasks two levels": (lambda: study_tasks("quick", level=[0.9, 0.95]), "`level` must be a single confidence"),
    "tasks no studies": (lambda: study_tasks("quick", studies=[]), "`studies` is empty"),
    "tasks unknown study": (lambda: study_tasks("quick", studies=["coverage"]), "`studies` must be one of"),
    "run negative seed": (lambda: run_study("quick", seed=-3), "`seed` must be a non-negative integer; got -3"),
    "run zero jobs": (lambda: run_study("quick", n_jobs=0), "`n_jobs` must be a non-zero integer"),
    "run progress text": (lambda: run_study("quick", progress="no"), "`progress` must be True or False; got 'no'"),
    # --- the generators of synthetic data
    "units no seed": (lambda: synthetic_units(None), "`seed` is required"),
    "units totals not a mapping": (lambda: synthetic_units(1, totals=5),
                                   "`totals` must be a mapping of stage -> total; got int"),
    "units censor stages none": (lambda: synthetic_units(1, censor_stages=None),
                                 "`censor_stages` must be a stage name or a sequence of them"),
    "units period number": (lambda: synthetic_units(1, period=2023), "`period` must be non-empty text"),
    "units zero days": (lambda: synthetic_units(1, days=0), "`days` must be a whole number of at least 1; got 0"),
    "foi other frame": (lambda: foi_return(pd.DataFrame({"charges": [1]})), "made by synthetic_units"),
    "lists no seed": (lambda: synthetic_linked_lists(None), "`seed` is required"),
    "lists zero total": (lambda: synthetic_linked_lists(1, n_true=0), "`n_true` must be a positive integer; got 0"),
    "lists base rates text": (lambda: synthetic_linked_lists(1, base_rates="abc"),
                              "`base_rates` must be numeric; got the string 'abc'"),
    "lists two base rates": (lambda: synthetic_linked_lists(1, base_rates=(0.5, 0.2)),
                             "`base_rates` must be three probabilities"),
    "lists base rate one": (lambda: synthetic_linked_lists(1, base_rates=(0.5, 1.0, 0.2)),
                            "`base_rates` must be a probability strictly between 0 and 1; got 1.0 at position 1"),
    "lists dependence nan": (lambda: synthetic_linked_lists(1, dependence=float("nan")),
                             "`dependence` must be finite"),
    "lists severity text": (lambda: synthetic_linked_lists(1, severity_effect="strong"),
                            "`severity_effect` must be numeric; got the string 'strong'"),
}


@pytest.mark.parametrize("call, fragment", list(BAD_CALLS.values()), ids=list(BAD_CALLS))
def test_bad_input_raises_ssstats_error_naming_it(call, fragment):
    with pytest.raises(SSStatsError, match=re.escape(fragment)):
        call()


def test_the_error_is_a_value_error():
    with pytest.raises(ValueError):  # SSStatsError subclasses ValueError, so `except ValueError` still catches it
        list_probabilities(0)


def test_good_input_next_to_the_bad_still_works():
    # the checks refuse only what is wrong: the neighbours of the bad calls above run
    assert list_probabilities(2) == [0.1, 0.25]
    assert unit_sizes(5, 4.0).tolist() == [1, 2, 3, 5, 8]
    assert len(exact_rate_coverage(2.0, methods="exact", tail=1e-9)) == 1
    res = overdispersion_coverage(TRIALS, 0.2, 0.0, 3, seed=1, methods="binomial_wilson")
    assert res["replicates"].iloc[0] == 3
    rows = _rows(covered=[1.0, 0.5])  # shares of units, as the unit-level methods give
    assert summarise_replicates(rows)["coverage"].iloc[0] == pytest.approx(0.75)
    assert summarise_replicates(_rows(ok=[1, 0]))["failed"].iloc[0] == 1
