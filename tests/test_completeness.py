"""relative_completeness against base R / MASS::glm.nb (tests/results/mse_completeness_reference.csv)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssstats import SSStatsError
from ssstats.underreporting import relative_completeness

RES = Path(__file__).resolve().parent / "results"


@pytest.fixture(scope="module")
def ref():
    return pd.read_csv(RES / "mse_completeness_reference.csv")


@pytest.mark.parametrize("benchmark", ["top_quartile", "top_decile", "negative_binomial"])
def test_matches_r(ref, benchmark):
    r = ref[ref["benchmark"] == benchmark].reset_index(drop=True)
    res = relative_completeness(r["events"].to_numpy(), r["exposure"].to_numpy(), benchmark=benchmark)
    t = res.table
    tol = 1e-10 if benchmark != "negative_binomial" else 1e-5
    assert res.benchmark_rate == pytest.approx(r["benchmark_rate"].iloc[0], rel=tol)
    np.testing.assert_allclose(t["estimate"], r["estimate"], rtol=tol)
    np.testing.assert_allclose(t["lower"], r["lower"], rtol=max(tol, 1e-8), atol=1e-12)
    np.testing.assert_allclose(t["upper"], r["upper"], rtol=max(tol, 1e-8))
    assert benchmark.replace("_", " ").split()[0] in res.assumption or "negative-binomial" in res.assumption
    assert (t["flagged"] == (t["upper"] < 1)).all()


def test_flags_and_labels():
    x = pd.Series([0, 3, 8, 12, 20, 25], index=list("ABCDEF"))
    e = [2000, 2500, 3000, 2800, 4000, 3500]
    res = relative_completeness(x, e, flag_below=0.5)
    assert list(res.table["unit"]) == list("ABCDEF")
    assert res.flagged["unit"].iloc[0] == "A"
    assert "flagged" in res.summary()


def test_bad_inputs():
    with pytest.raises(SSStatsError, match="`benchmark` must be one of"):
        relative_completeness([1, 2, 3, 4], [1, 1, 1, 1], benchmark="median")
    with pytest.raises(SSStatsError, match="`exposure` must be greater than zero; got 0.0 at position 2"):
        relative_completeness([1, 2, 3, 4], [1, 1, 0, 1])
    with pytest.raises(SSStatsError, match="at least 4 units"):
        relative_completeness([1, 2], [1, 1])
    with pytest.raises(SSStatsError, match="all 0"):
        relative_completeness([0, 0, 0, 0], [1, 1, 1, 1])
    with pytest.raises(SSStatsError, match="whole number"):
        relative_completeness([1, 2.5, 3, 4], [1, 1, 1, 1])
    with pytest.raises(SSStatsError, match="`flag_below` must be a number greater than 0; got True"):
        relative_completeness([1, 2, 3, 4], [1, 1, 1, 1], flag_below=True)
    with pytest.raises(SSStatsError, match="`counts` must be finite; got a value that is missing"):
        relative_completeness([1, np.nan, 3, 4], [1, 1, 1, 1])
    with pytest.raises(SSStatsError, match="same length"):
        relative_completeness([1, 2, 3, 4], [1, 1, 1])
    # a NumPy number is a number
    a = relative_completeness([1, 2, 3, 4], [1, 1, 1, 1], flag_below=np.float64(0.5)).table
    b = relative_completeness([1, 2, 3, 4], [1, 1, 1, 1], flag_below=0.5).table
    pd.testing.assert_frame_equal(a, b)


def test_plot():
    assert relative_completeness([0, 3, 8, 12, 20, 25], [2000, 2500, 3000, 2800, 4000, 3500]).plot().axes
