"""Multiple systems estimation: fit_mse, two-list estimators, identifiability, batched IRLS.

References: base-R glm fits in tests/results/mse_reference.csv (script mse_reference.R), profile-likelihood
intervals in tests/results/mse_profile_reference.csv (also mse_reference.R), the published UK 2013
range in tests/results/mse_uk2013_published.csv, closed forms for Lincoln-Petersen and Chapman.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import ssstats
from ssstats import SSStatsError
from ssstats.underreporting import chapman, fit_mse, lincoln_petersen
from ssstats.underreporting._loglinear import PairModels, irls_batch
from ssstats.underreporting._tables import histories
from ssstats.underreporting.identifiability import mle_exists

ROOT = Path(__file__).resolve().parents[1]
RES = ROOT / "tests" / "results"


@pytest.fixture(scope="module")
def uk():
    return pd.read_csv(ROOT / "data" / "uk2013_modern_slavery_5lists.csv", comment="#")


@pytest.fixture(scope="module")
def ref():
    return pd.read_csv(RES / "mse_reference.csv", keep_default_na=False)


def test_public_names_exported():
    for name in ["fit_mse", "closed_population", "lincoln_petersen", "chapman", "multiplier_estimate",
                 "relative_completeness", "bias_analysis"]:
        assert callable(getattr(ssstats, name))


def test_uk_stepwise_within_published_range(uk):
    pub = pd.read_csv(RES / "mse_uk2013_published.csv").iloc[0]
    res = fit_mse(uk, count="count", model="stepwise")
    assert pub["lower"] <= res.estimate <= pub["upper"]
    assert res.n_observed == 2744
    path = res.models[res.models["accepted"]]
    assert path["step"].tolist() == list(range(len(path)))


def test_stepwise_models_table_fitted_on_first_reading(uk):
    """The candidates' fits are made when ``models`` is first read, once; each row's estimate is that of the
    model it names fitted on its own, and the last model on the path is the one chosen."""
    res = fit_mse(uk, count="count", model="stepwise")
    assert callable(res._models)  # nothing fitted yet
    m = res.models
    assert res.models is m
    path = m[m["accepted"]]
    last = path.iloc[-1]
    np.testing.assert_allclose(last["estimate"], res.estimate, rtol=1e-12)
    assert last["terms"] == " + ".join(res.terms)
    for _, row in m[m["identifiable"]].sample(5, random_state=1).iterrows():
        own = fit_mse(uk, count="count", model=row["terms"].split(" + ") if row["n_terms"] else "main")
        np.testing.assert_allclose(row["estimate"], own.estimate, rtol=1e-12)
        np.testing.assert_allclose(row["AIC"], own.aic, rtol=1e-12)


@pytest.mark.parametrize("row", range(5))
def test_uk_fixed_models_match_r_glm(uk, ref, row):
    r = ref[ref["dataset"] == "uk2013"].iloc[row]
    terms = r["terms"].split(" + ") if r["terms"] else []
    res = fit_mse(uk, count="count", model=terms)
    np.testing.assert_allclose(res.estimate, r["abundance"], rtol=1e-6)
    np.testing.assert_allclose(res.stderr, r["stderr"], rtol=1e-5)
    np.testing.assert_allclose(res.dark_figure, r["dark_figure"], rtol=1e-6)
    np.testing.assert_allclose(res.deviance, r["deviance"], rtol=1e-6, atol=1e-8)
    assert res.df == r["df"]
    np.testing.assert_allclose(res.aic, r["AIC"], rtol=1e-8)
    np.testing.assert_allclose(res.bic, r["BIC"], rtol=1e-8)
    # the lognormal interval: n + exp(qnorm(q, beta0, se)) from R's beta0 and its standard error
    z = 1.959963984540054
    np.testing.assert_allclose([res.lower, res.upper],
                               2744 + np.exp(r["beta0"] + np.array([-z, z]) * r["se_beta0"]), rtol=1e-5)


def test_main_model_matches_r(uk, ref):
    r = ref[(ref["dataset"] == "uk2013") & (ref["model"] == "main")].iloc[0]
    res = fit_mse(uk, count="count", model="main")
    np.testing.assert_allclose(res.estimate, r["abundance"], rtol=1e-6)


def test_best_model_has_smallest_aic_among_r_fits(uk, ref):
    res = fit_mse(uk, count="count", model="best")
    assert res.aic <= ref[ref["dataset"] == "uk2013"]["AIC"].min() + 1e-8
    assert any("LA:GP" in d for d in res.dropped)  # the one pair with no overlap is named


def test_two_lists_main_is_lincoln_petersen(uk, ref):
    two = uk.groupby(["NG", "PFNCA"], as_index=False)["count"].sum()
    two = two[(two["NG"] + two["PFNCA"]) > 0]
    res = fit_mse(two, count="count")
    n1 = two.loc[two["NG"] == 1, "count"].sum()
    n2 = two.loc[two["PFNCA"] == 1, "count"].sum()
    m = two.loc[(two["NG"] == 1) & (two["PFNCA"] == 1), "count"].sum()
    np.testing.assert_allclose(res.estimate, n1 * n2 / m, rtol=1e-8)
    lp = lincoln_petersen(n1, n2, m)
    np.testing.assert_allclose(lp["estimate"], n1 * n2 / m, rtol=1e-12)
    r = ref[ref["dataset"] == "uk2013_NG_PFNCA"].iloc[0]
    np.testing.assert_allclose(res.estimate, r["abundance"], rtol=1e-6)


def test_individual_rows_equal_counts(uk):
    rows = uk.loc[uk.index.repeat(uk["count"]), ["LA", "NG", "PFNCA", "GO", "GP"]].reset_index(drop=True)
    a = fit_mse(rows, model="main")
    b = fit_mse(uk, count="count", model="main")
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-10)


# ---- two-list closed forms -----------------------------------------------------------------------------------

def test_lincoln_petersen_and_chapman_closed_forms():
    n1, n2, m = 100.0, 80.0, 20.0
    lp = lincoln_petersen(n1, n2, m).iloc[0]
    assert lp["estimate"] == pytest.approx(400.0, rel=1e-12)
    assert lp["stderr"] == pytest.approx(np.sqrt(100 * 80 * 80 * 60 / 20**3), rel=1e-12)
    ch = chapman(n1, n2, m).iloc[0]
    assert ch["estimate"] == pytest.approx(101 * 81 / 21 - 1, rel=1e-12)
    assert ch["stderr"] == pytest.approx(np.sqrt(101 * 81 * 80 * 60 / (21**2 * 22)), rel=1e-12)
    # Chao's log-normal interval by hand
    f = ch["estimate"] - 160
    C = np.exp(1.959963984540054 * np.sqrt(np.log(1 + ch["stderr"] ** 2 / f**2)))
    assert ch["lower"] == pytest.approx(160 + f / C, rel=1e-9)
    assert ch["upper"] == pytest.approx(160 + f * C, rel=1e-9)


def test_no_overlap_chapman_finite_others_explain():
    ch = chapman(30, 40, 0).iloc[0]
    assert np.isfinite(ch["estimate"]) and ch["estimate"] == pytest.approx(31 * 41 - 1)
    with pytest.raises(SSStatsError, match="do not overlap.*chapman"):
        lincoln_petersen(30, 40, 0)
    d = pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [30, 40]})
    with pytest.raises(SSStatsError, match=r"does not exist.*share no record.*chapman"):
        fit_mse(d, count="count")


def test_two_list_bad_input():
    with pytest.raises(SSStatsError, match="`m` must be less than or equal to `n1`"):
        chapman(10, 50, 20)
    with pytest.raises(SSStatsError, match="whole number"):
        chapman(10.5, 50, 2)


# ---- degenerate inputs ---------------------------------------------------------------------------------------

def test_list_with_no_records():
    d = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "C": [0, 0, 0], "count": [10, 12, 3]})
    with pytest.raises(SSStatsError, match="list 'C'.*no records"):
        fit_mse(d, count="count")


def test_one_list_only():
    with pytest.raises(SSStatsError, match="at least 2 list columns.*one list"):
        fit_mse(pd.DataFrame({"A": [1], "count": [5]}), count="count")


def test_non_integer_counts():
    d = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [10, 12.5, 3]})
    with pytest.raises(SSStatsError, match="`count` must be a whole number.*12.5.*position 1"):
        fit_mse(d, count="count")


def test_negative_counts():
    d = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [10, -1, 3]})
    with pytest.raises(SSStatsError, match="non-negative.*-1"):
        fit_mse(d, count="count")


def test_history_all_zero():
    d = pd.DataFrame({"A": [1, 0, 1, 0], "B": [0, 1, 1, 0], "count": [10, 12, 3, 4]})
    with pytest.raises(SSStatsError, match="every entry 0 at row 3"):
        fit_mse(d, count="count")


def test_history_not_binary():
    d = pd.DataFrame({"A": [1, 2], "B": [0, 1], "count": [10, 12]})
    with pytest.raises(SSStatsError, match="column 'A' must hold only 0 and 1; got 2 for row 1"):
        fit_mse(d, count="count")


def test_bad_names(uk):
    with pytest.raises(SSStatsError, match="`model` must be one of 'main', 'stepwise', 'best'; got 'forward'"):
        fit_mse(uk, count="count", model="forward")
    with pytest.raises(SSStatsError, match="`interval` must be one of"):
        fit_mse(uk, count="count", interval="wald")
    with pytest.raises(SSStatsError, match="got 'LA:XX' at position 1"):
        fit_mse(uk, count="count", model=["LA:NG", "LA:XX"])
    with pytest.raises(SSStatsError, match="`count` = 'n' is not a column"):
        fit_mse(uk, count="n")
    with pytest.raises(SSStatsError, match="`seed` is required"):
        fit_mse(uk, count="count", interval="bootstrap")
    with pytest.raises(SSStatsError, match="`threshold` must be a p-value between 0 and 1; got 2"):
        fit_mse(uk, count="count", model="stepwise", threshold=2)
    with pytest.raises(SSStatsError, match="`threshold` must be a p-value between 0 and 1; got True"):
        fit_mse(uk, count="count", model="stepwise", threshold=True)
    with pytest.raises(SSStatsError, match="`criterion` must be one of 'aic', 'bic'; got 'AIC'"):
        fit_mse(uk, count="count", model="best", criterion="AIC")
    with pytest.raises(SSStatsError, match="`n_boot` must be an integer of at least 10; got 5"):
        fit_mse(uk, count="count", interval="bootstrap", n_boot=5, seed=1)
    with pytest.raises(SSStatsError, match=r"`level` must be strictly between 0 and 1 \(give 0.95"):
        fit_mse(uk, count="count", level=95)
    # a NumPy number is a number: the same stepwise path as with a float
    a = fit_mse(uk, count="count", model="stepwise", threshold=np.float32(0.02))
    assert a.terms == fit_mse(uk, count="count", model="stepwise", threshold=0.02).terms


def test_missing_counts_and_histories_are_named():
    d = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [10, np.nan, 3]})
    with pytest.raises(SSStatsError, match="`count` must be finite; got a value that is missing.*position 1"):
        fit_mse(d, count="count")
    d = pd.DataFrame({"A": [1, np.nan, 1], "B": [0, 1, 1], "count": [10, 12, 3]})
    with pytest.raises(SSStatsError, match="column 'A' must hold only 0 and 1; got nan for row 1"):
        fit_mse(d, count="count")


@pytest.mark.parametrize("model, interval", [("main", "lognormal"), ("stepwise", "lognormal"),
                                             ("best", "lognormal"), ("main", "profile"), ("main", "bootstrap")])
def test_no_overlap_refused_by_every_model_and_interval(model, interval):
    d = pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [30, 40]})
    with pytest.raises(SSStatsError, match=r"does not exist.*share no record.*chapman"):
        fit_mse(d, count="count", model=model, interval=interval, seed=1, progress=False)


def test_empty_overlap_term_handled_as_sparsemse(uk):
    res = fit_mse(uk, count="count", model=["LA:NG", "LA:GP"])  # LA and GP share nobody
    assert any("LA:GP" in d for d in res.dropped)
    # the same as fitting LA:NG with every LA & GP cell removed, AIC counting the empty pair as a parameter
    base = fit_mse(uk, count="count", model=["LA:NG"])
    assert res.n_observed == base.n_observed
    assert res.aic != base.aic


# ---- intervals -----------------------------------------------------------------------------------------------

def test_profile_interval_contains_estimate(uk):
    res = fit_mse(uk, count="count", model="stepwise", interval="profile")
    assert res.lower < res.extra["profile_mle"] < res.upper
    assert res.lower < res.estimate < res.upper


@pytest.mark.parametrize("row", range(2))
def test_profile_interval_matches_r(uk, row):
    # tests/results/mse_reference.R: the completed-table profile likelihood with glm, optimize and uniroot
    r = pd.read_csv(RES / "mse_profile_reference.csv", keep_default_na=False).iloc[row]
    model = r["model"] if r["model"] == "main" else r["terms"].split(" + ")
    res = fit_mse(uk, count="count", model=model, interval="profile")
    np.testing.assert_allclose([res.lower, res.upper], [r["lower"], r["upper"]], rtol=1e-8)
    np.testing.assert_allclose(res.extra["profile_mle"], r["profile_mle"], rtol=1e-6)  # a flat maximum


def test_bootstrap_seeded_and_reproducible(uk):
    a = fit_mse(uk, count="count", model="stepwise", interval="bootstrap", n_boot=200, seed=11, progress=False)
    b = fit_mse(uk, count="count", model="stepwise", interval="bootstrap", n_boot=200, seed=11, progress=False)
    c = fit_mse(uk, count="count", model="stepwise", interval="bootstrap", n_boot=200, seed=12, progress=False)
    assert (a.lower, a.upper) == (b.lower, b.upper)
    np.testing.assert_array_equal(a.boot, b.boot)
    assert (a.lower, a.upper) != (c.lower, c.upper)
    assert a.lower < a.estimate < a.upper
    assert a.boot.size + a.extra["n_boot_failed"] == 200


def test_bootstrap_fixed_model_percentiles_near_lognormal(uk):
    # with the main-effects model the bootstrap spread should be close to the Wald/lognormal one
    res = fit_mse(uk, count="count", model="main", interval="bootstrap", n_boot=400, seed=3, progress=False)
    ln = fit_mse(uk, count="count", model="main")
    assert np.std(res.boot) == pytest.approx(ln.stderr, rel=0.25)


# ---- batched IRLS and the existence check --------------------------------------------------------------------

def test_batched_irls_matches_statsmodels():
    rng = np.random.default_rng(5)
    pm = PairModels(histories(4))
    Y = rng.poisson(rng.uniform(2, 40, size=(6, 15))).astype(float) + 1
    inc = rng.random((6, pm.npairs)) < 0.4
    beta, mu, ll, npar, conv = pm.fit(Y, inc)
    assert conv.all()
    for b in range(6):
        cols = np.concatenate([[True] * 5, inc[b]])
        r = sm.GLM(Y[b], pm.X[:, cols], family=sm.families.Poisson()).fit(tol=1e-13)
        np.testing.assert_allclose(beta[b, cols], r.params, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(ll[b], r.llf, rtol=1e-10)


def test_irls_cell_mask_equals_dropping_cells():
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(7), histories(3)])
    y = rng.poisson(20, size=7).astype(float) + 1
    cm = np.ones((1, 7))
    cm[0, 6] = 0
    beta, mu, _ = irls_batch(X, y[None, :], cmask=cm)
    r = sm.GLM(y[:6], X[:6], family=sm.families.Poisson()).fit(tol=1e-13)
    np.testing.assert_allclose(beta[0], r.params, rtol=1e-8)
    assert mu[0, 6] == 0


def test_fast_existence_check_agrees_with_linear_programme():
    rng = np.random.default_rng(2)
    pm = PairModels(histories(4))
    for _ in range(150):
        y = (rng.random(15) < rng.uniform(0.3, 0.9)).astype(float)
        if y.sum() == 0:
            continue
        inc = rng.random(pm.npairs) < 0.5
        pmask, cmask, _ = pm.masks(y[None, :], inc[None, :])
        keep = cmask[0] > 0
        X = pm.X[keep][:, pmask[0] > 0]
        assert mle_exists(X, y[keep], fast=True) == mle_exists(X, y[keep], fast=False)


def test_existence_known_cases():
    X = np.column_stack([np.ones(3), histories(2)])
    assert not mle_exists(X, np.array([30.0, 40.0, 0.0]))  # two lists, no overlap
    assert mle_exists(X, np.array([30.0, 40.0, 5.0]))
    # three lists, all pairwise interactions, one zero cell besides the missing one: the saturated-minus-one
    # model (7 parameters, 7 cells) with a zero cell has no finite MLE
    pm = PairModels(histories(3))
    y = np.array([5.0, 6, 2, 7, 3, 4, 0])
    assert not mle_exists(pm.X, y)
    assert mle_exists(pm.X, y + (y == 0))


def test_result_interface(uk):
    res = fit_mse(uk, count="count", model="stepwise")
    f = res.to_frame()
    assert {"estimate", "lower", "upper", "method", "level", "dark_figure"} <= set(f.columns)
    assert "LA:NG" in res.summary()
    fig = res.plot()
    assert fig.axes


# ---- synthetic linked lists ----------------------------------------------------------------------------------

def test_synthetic_linked_lists_seeded_and_labelled():
    from ssstats.simulate import synthetic_linked_lists
    from ssstats.simulate.lists import SYNTHETIC_LISTS

    a = synthetic_linked_lists(seed=7, n_true=3000)
    b = synthetic_linked_lists(seed=7, n_true=3000)
    c = synthetic_linked_lists(seed=8, n_true=3000)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a["synthetic"].all() and a.attrs["synthetic"] and a.attrs["true_total"] == 3000
    assert a["count"].sum() < 3000
    assert list(a.columns[:3]) == list(SYNTHETIC_LISTS)
    with pytest.raises(SSStatsError, match="`seed` is required"):
        synthetic_linked_lists()


def test_mse_recovers_truth_on_independent_synthetic_lists():
    # with no heterogeneity and no dependence the independence model is correct: its interval should cover
    from ssstats.simulate import synthetic_linked_lists
    from ssstats.simulate.lists import SYNTHETIC_LISTS

    d = synthetic_linked_lists(seed=3, n_true=5000, severity_effect=0.0, dependence=0.0)
    r = fit_mse(d, count="count", lists=SYNTHETIC_LISTS, interval="profile")
    assert r.lower < 5000 < r.upper
    with pytest.raises(SSStatsError, match="`lists` names 'x'"):
        fit_mse(d, count="count", lists=["x", "police_report"])


def test_best_refuses_more_than_five_lists():
    hare = pd.read_csv(ROOT / "data" / "hare_capture_histories.csv", comment="#")
    with pytest.raises(SSStatsError, match="up to 5 lists; got 6"):
        fit_mse(hare, model="best")


def test_stepwise_path_matches_r(uk):
    ref = pd.read_csv(RES / "mse_stepwise_reference.csv")
    res = fit_mse(uk, count="count", model="stepwise")
    path = res.models[res.models["accepted"] & (res.models["step"] > 0)]
    assert list(path["added"]) == list(ref["added"])
    np.testing.assert_allclose(path["p_value"], ref["p_value"], rtol=1e-6)
    np.testing.assert_allclose(res.estimate, ref["final_abundance"].iloc[0], rtol=1e-6)
    assert not any("not added" in d for d in res.dropped)  # the R path needs no existence check here


def test_best_bootstrap_restricted_to_top_models():
    from ssstats.simulate import synthetic_linked_lists
    from ssstats.simulate.lists import SYNTHETIC_LISTS

    d = synthetic_linked_lists(seed=5)
    res = fit_mse(d, count="count", model="best", lists=SYNTHETIC_LISTS, interval="bootstrap", n_boot=100,
                  seed=1, n_boot_models=3, progress=False)
    assert any("among the 3 of 8" in x for x in res.dropped)
    assert res.lower < res.estimate < res.upper
    with pytest.raises(SSStatsError, match="`n_boot_models` must be a positive integer"):
        fit_mse(d, count="count", lists=SYNTHETIC_LISTS, n_boot_models=0)


def test_stepwise_refuses_a_pair_whose_estimate_would_not_exist():
    # three lists overlapping less than independence predicts, nobody on all three: SparseMSE's rule (smallest
    # two-sided Poisson p-value of a pair's total overlap below 0.02) adds A:B, then A:C, then wants B:C, but with
    # every pairwise term and the ABC cell empty the MLE does not exist (Fienberg-Rinaldo), so B:C is refused
    from scipy import stats

    H = histories(3)
    y = np.array([20, 20, 100, 20, 100, 100, 0], dtype=float)  # cells 100, 010, 110, 001, 101, 011, 111
    d = pd.DataFrame(H.astype(int), columns=list("ABC")).assign(count=y.astype(int))
    res = fit_mse(d, count="count", model="stepwise")
    assert res.terms == ["A:B", "A:C"]
    assert any("B:C not added" in x for x in res.dropped)
    # the p-values of the path, from statsmodels fits and SciPy's Poisson tails (independent of the batched IRLS)
    pair = {"A:B": H[:, 0] * H[:, 1], "A:C": H[:, 0] * H[:, 2], "B:C": H[:, 1] * H[:, 2]}

    def p_value(terms, cand):
        X = np.column_stack([np.ones(7), H] + [pair[t] for t in terms])
        mu = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-13).fittedvalues
        m, obs = mu @ pair[cand], y @ pair[cand]
        return min(stats.poisson.cdf(obs, m), stats.poisson.sf(obs - 1, m))

    path = res.models[res.models["accepted"] & (res.models["step"] > 0)]
    np.testing.assert_allclose(path["p_value"], [p_value([], "A:B"), p_value(["A:B"], "A:C")], rtol=1e-6)
    assert p_value(["A:B", "A:C"], "B:C") < 0.02  # it would have entered
    # .models lists the refused candidate too: step 3, B:C, its p-value, not identifiable, not accepted
    bc = res.models[(res.models["step"] == 3) & (res.models["term"] == "B:C")].iloc[0]
    assert not bc["identifiable"] and not bc["accepted"] and np.isnan(bc["estimate"])
    np.testing.assert_allclose(bc["p_value"], p_value(["A:B", "A:C"], "B:C"), rtol=1e-6)
    assert "refused" in bc["note"]
    assert not mle_exists(PairModels(H).X, y)
    with pytest.raises(SSStatsError, match="does not exist"):
        fit_mse(d, count="count", model=["A:B", "A:C", "B:C"])


@pytest.mark.parametrize("criterion", ["aic", "bic"])
def test_best_model_minimises_the_criterion_among_r_fits(uk, ref, criterion):
    res = fit_mse(uk, count="count", model="best", criterion=criterion)
    col = criterion.upper()
    assert getattr(res, criterion) <= ref[ref["dataset"] == "uk2013"][col].min() + 1e-8
    assert res.models[col].is_monotonic_increasing


# ---- model="best" is an exhaustive search (pairs with no overlap included) ------------------------------------

def _brute_force(H, y, names):
    """Every subset of pairwise terms fitted on its own with statsmodels' Poisson GLM, written out plainly.

    A pair in the model whose lists share no record is handled as SparseMSE does: every cell holding both lists
    (all zero) is removed, the pair's column is dropped, and the pair still counts as one parameter.  A model is
    kept only if its parameters are identifiable (full column rank) and its MLE exists: by Haberman's criterion
    no direction d = X c is >= 0 on the zero cells, 0 on the positive cells and not 0 (a linear programme in
    scipy, formulated differently from ssstats' Fienberg-Rinaldo one).  Returns one row per usable model.
    """
    import itertools

    from scipy.optimize import linprog

    k = H.shape[1]
    pairs = list(itertools.combinations(range(k), 2))
    n = y.sum()
    rows = []
    for r in range(len(pairs) + 1):
        for combo in itertools.combinations(range(len(pairs)), r):
            keep = np.ones(len(y), bool)
            cols = [np.ones(len(y))] + [H[:, j] for j in range(k)]
            n_empty = 0
            for p in combo:
                i, j = pairs[p]
                both = (H[:, i] == 1) & (H[:, j] == 1)
                if y[both].sum() == 0:
                    keep &= ~both
                    n_empty += 1
                else:
                    cols.append(both.astype(float))
            X = np.column_stack(cols)[keep]
            yk = y[keep]
            if np.linalg.matrix_rank(X) < X.shape[1]:
                continue
            zero = yk == 0
            if zero.any():
                # maximise sum(X_zero c) subject to X_pos c = 0, 0 <= X_zero c <= 1
                lp = linprog(-X[zero].sum(axis=0), A_ub=np.vstack([X[zero], -X[zero]]),
                             b_ub=np.concatenate([np.ones(zero.sum()), np.zeros(zero.sum())]),
                             A_eq=X[~zero], b_eq=np.zeros((~zero).sum()), bounds=(None, None), method="highs")
                assert lp.status == 0
                if -lp.fun > 1e-7:
                    continue
            fit = sm.GLM(yk, X, family=sm.families.Poisson()).fit(tol=1e-13, maxiter=200)
            npar = X.shape[1] + n_empty
            rows.append({"terms": [names[p] for p in combo], "AIC": -2 * fit.llf + 2 * npar,
                         "BIC": -2 * fit.llf + np.log(n) * npar, "estimate": n + np.exp(fit.params[0])})
    return pd.DataFrame(rows)


def _three_list_no_ac():
    # A and C never overlap: histories 100:50, 010:60, 001:70, 110:10, 011:12
    return pd.DataFrame({"A": [1, 0, 0, 1, 0], "B": [0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1],
                         "count": [50, 60, 70, 10, 12]})


def _uk_subset(uk, lists):
    d = uk.groupby(lists, as_index=False)["count"].sum()
    return d[d[lists].sum(axis=1) > 0].reset_index(drop=True)


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.PerfectSeparationWarning")
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # saturated fits: 0 residual df
@pytest.mark.parametrize("case", ["three_no_AC", "uk_LA_NG_GP", "uk_4_without_GO", "uk_4_without_NG"])
@pytest.mark.parametrize("criterion", ["aic", "bic"])
def test_best_is_the_minimum_of_an_independent_exhaustive_search(uk, case, criterion):
    d = {"three_no_AC": _three_list_no_ac,
         "uk_LA_NG_GP": lambda: _uk_subset(uk, ["LA", "NG", "GP"]),
         "uk_4_without_GO": lambda: _uk_subset(uk, ["LA", "NG", "PFNCA", "GP"]),
         "uk_4_without_NG": lambda: _uk_subset(uk, ["LA", "PFNCA", "GO", "GP"])}[case]()
    lists = [c for c in d.columns if c != "count"]
    import itertools

    names = [f"{lists[i]}:{lists[j]}" for i, j in itertools.combinations(range(len(lists)), 2)]
    # the complete table: every one of the 2^k - 1 histories, 0 where the frame has no row
    H = np.array([h for h in itertools.product([0, 1], repeat=len(lists)) if any(h)], float)
    given = {tuple(r): c for r, c in zip(d[lists].to_numpy(int), d["count"])}
    y = np.array([given.get(tuple(h.astype(int)), 0) for h in H], float)
    assert y.sum() == d["count"].sum()
    assert any(y[(H[:, i] == 1) & (H[:, j] == 1)].sum() == 0
               for i, j in itertools.combinations(range(len(lists)), 2))  # every case has a pair with no overlap
    bf = _brute_force(H, y, names)
    col = criterion.upper()
    top = bf.sort_values(col, kind="stable").iloc[0]
    res = fit_mse(d, count="count", model="best", criterion=criterion)
    assert getattr(res, criterion) == pytest.approx(top[col], rel=1e-8)
    assert getattr(res, criterion) <= bf[col].min() + 1e-8
    if (bf[col] - top[col]).abs().lt(1e-8).sum() == 1:  # a unique minimum: the same model and estimate
        assert sorted(res.terms) == sorted(top["terms"])
        np.testing.assert_allclose(res.estimate, top["estimate"], rtol=1e-6)


def test_best_three_lists_picks_the_non_overlapping_pair():
    # by hand: with A:C in the model its two cells (101, 111) are removed; A:C has AIC 36.4, A:B 51.8
    res = fit_mse(_three_list_no_ac(), count="count", model="best")
    assert res.terms == ["A:C"]
    assert res.aic == pytest.approx(36.38, abs=0.005)
    assert res.estimate == pytest.approx(529.27, abs=0.005)
    assert any("A:C" in x and "fixed at 0" in x for x in res.dropped)


def test_best_uk_at_least_as_good_as_sparsemse_modelfit(uk):
    ref = pd.read_csv(RES / "mse_best_sparsemse_reference.csv").iloc[0]
    res = fit_mse(uk, count="count", model="best")
    assert res.aic <= ref["AIC"] + 1e-3
    assert "LA:GP" in res.terms
    fixed = fit_mse(uk, count="count", model=ref["terms"].split(" + "))
    assert abs(fixed.aic - ref["AIC"]) <= 5e-5  # SparseMSE's AIC at its printed 4 decimals
    assert round(fixed.estimate) == ref["estimate"]
    step = fit_mse(uk, count="count", model="stepwise")
    assert res.aic < step.aic  # the stepwise model (AIC 127.6) is no longer what best returns


def test_stepwise_models_hold_every_candidate_of_every_step(uk):
    # each step lists every pair not yet in the model with its overlap, Poisson p-value under the current fit
    # (statsmodels + SciPy here), whether the estimate would exist with it, and which one was accepted
    from scipy import stats

    res = fit_mse(uk, count="count", model="stepwise")
    m = res.models
    lists = ["LA", "NG", "PFNCA", "GO", "GP"]
    H = uk[lists].to_numpy(float)
    y = uk["count"].to_numpy(float)
    # the complete table (every non-empty history; the frame leaves out those nobody has)
    import itertools

    Hf = np.array([h for h in itertools.product([0, 1], repeat=5) if any(h)], float)
    given = {tuple(r.astype(int)): c for r, c in zip(H, y)}
    yf = np.array([given.get(tuple(h.astype(int)), 0) for h in Hf], float)
    pair = {f"{lists[i]}:{lists[j]}": Hf[:, i] * Hf[:, j] for i, j in itertools.combinations(range(5), 2)}
    path = list(m.loc[m["accepted"] & (m["step"] > 0), "term"])
    assert sorted(path) == sorted(res.terms)
    assert m.loc[0, "step"] == 0 and m.loc[0, "terms"] == "(main effects)"
    n_steps = m["step"].max()
    assert n_steps == len(path) + 1  # the last step evaluates the candidates and accepts none
    for s in range(1, n_steps + 1):
        rows = m[m["step"] == s]
        before = path[: s - 1]
        assert sorted(rows["term"]) == sorted(t for t in pair if t not in before)
        assert rows["accepted"].sum() == (1 if s <= len(path) else 0)
        X = np.column_stack([np.ones(len(yf)), Hf] + [pair[t] for t in before])
        mu = sm.GLM(yf, X, family=sm.families.Poisson()).fit(tol=1e-13).fittedvalues
        for _, r in rows.iterrows():
            obs, exp = yf @ pair[r["term"]], mu @ pair[r["term"]]
            assert r["overlap"] == obs
            np.testing.assert_allclose(r["expected_overlap"], exp, rtol=1e-6)
            np.testing.assert_allclose(r["p_value"], min(stats.poisson.cdf(obs, exp),
                                                         stats.poisson.sf(obs - 1, exp)), rtol=1e-6)
            assert r["identifiable"]  # every UK candidate along this path can be fitted
        if s <= len(path):
            acc = rows[rows["accepted"]].iloc[0]
            assert acc["term"] == path[s - 1] and acc["p_value"] == rows["p_value"].min() < 0.02
        else:
            assert rows["p_value"].min() >= 0.02
    # a candidate's model columns are that model's own fit
    la_gp = m[(m["step"] == n_steps) & (m["term"] == "LA:GP")].iloc[0]
    other = fit_mse(uk, count="count", model=res.terms + ["LA:GP"])
    np.testing.assert_allclose([la_gp["estimate"], la_gp["AIC"]], [other.estimate, other.aic], rtol=1e-10)


# ---- the BCa bootstrap interval, recomputed -------------------------------------------------------------------

def _r_quantile_type8(x, p):
    """R's quantile(x, p, type = 8) (Hyndman and Fan 1996), written out."""
    x = np.sort(np.asarray(x, float))
    n = x.size
    h = (n + 1 / 3) * np.asarray(p) + 1 / 3  # 1-based position
    lo = np.clip(np.floor(h).astype(int), 1, n)
    hi = np.clip(lo + 1, 1, n)
    g = np.where(h < 1, 0.0, np.where(h >= n, 0.0, h - np.floor(h)))
    lo = np.where(h < 1, 1, lo)
    return (1 - g) * x[lo - 1] + g * x[hi - 1]


def test_r_quantile_type8_helper_against_known_values():
    # R: quantile(1:10, c(0.025, 0.1, 0.5, 0.975), type = 8) = 1.000000 1.366667 5.500000 10.000000
    np.testing.assert_allclose(_r_quantile_type8(np.arange(1, 11), [0.025, 0.1, 0.5, 0.975]),
                               [1.0, 1.366666666666667, 5.5, 10.0], rtol=1e-12)
    # R 4.2.2: x <- log(1:37) + sin(1:37); quantile(x, c(0.001, 0.03, 0.2, 0.5, 0.91, 0.999), type = 8)
    i = np.arange(1, 38)
    np.testing.assert_allclose(_r_quantile_type8(np.log(i) + np.sin(i), [0.001, 0.03, 0.2, 0.5, 0.91, 0.999]),
                               [0.62949186581196237, 0.63902173576670873, 1.7273401071608663, 2.703661945773506,
                                4.031323376653182, 4.4964194215737479], rtol=1e-12)


@pytest.mark.parametrize("case", ["uk_fixed", "three_stepwise"])
def test_bca_interval_recomputed_from_its_replicates(uk, case):
    # z0, the jackknife acceleration and the adjusted quantiles, each computed here from the stored replicates and
    # from fit_mse refitted on every delete-one-individual table (one per distinct observed capture history)
    from scipy import stats

    if case == "uk_fixed":
        d, model, lists = uk.copy(), ["LA:NG", "NG:GP", "PFNCA:GP"], ["LA", "NG", "PFNCA", "GO", "GP"]
    else:
        d = pd.DataFrame({"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1],
                          "count": [60, 75, 90, 30, 6, 18, 3]})
        model, lists = "stepwise", ["A", "B", "C"]
    res = fit_mse(d, count="count", model=model, interval="bootstrap", n_boot=300, seed=21, progress=False)
    boot = res.boot_estimates
    assert boot is res.boot and boot.size + res.extra["n_boot_failed"] == 300
    # bias correction: the share of replicates strictly below the estimate (SparseMSE's mean(bootreps < popest))
    z0 = stats.norm.ppf(np.mean(boot < res.estimate))
    np.testing.assert_allclose(res.extra["bca_z0"], z0, rtol=1e-12)
    # acceleration: leave one individual out of each observed history, refit (re-selecting the model), weight
    # each total by the history's count
    w, jack = [], []
    for i in np.flatnonzero(d["count"].to_numpy() > 0):
        dj = d.copy()
        dj.loc[dj.index[i], "count"] -= 1
        jack.append(fit_mse(dj, count="count", model=model, lists=lists).estimate)
        w.append(d["count"].iloc[i])
    w, jack = np.array(w, float), np.array(jack)
    dev = np.sum(w * jack) / w.sum() - jack
    a = np.sum(w * dev**3) / (6 * np.sum(w * dev**2) ** 1.5)
    np.testing.assert_allclose(res.extra["bca_acceleration"], a, rtol=1e-6)
    np.testing.assert_allclose(np.sort(res.extra["jackknife"]), np.sort(jack), rtol=1e-8)
    # the adjusted levels and R's type-8 quantiles of the replicates there
    z = stats.norm.ppf([0.025, 0.975])
    levels = stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    np.testing.assert_allclose(res.extra["bca_levels"], levels, rtol=1e-6)
    np.testing.assert_allclose([res.lower, res.upper], _r_quantile_type8(boot, levels), rtol=1e-7)
    assert res.lower < res.estimate < res.upper
