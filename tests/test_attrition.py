"""Tests of ssstats.Cascade against R (prop.test, binom.test: tests/results/cascade.R) and hand arithmetic."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import ssstats
from ssstats import Cascade, SSStatsError

RESULTS = Path(__file__).parent / "results"


@pytest.fixture(scope="module")
def ref():
    df = pd.read_csv(RESULTS / "cascade.csv")
    return {(int(r.x), int(r.n)): r for r in df.itertuples(index=False)}


def test_exported():
    assert ssstats.Cascade is Cascade


def test_nested_two_stages_against_r(ref):
    c = Cascade({"police_reports": 1374, "charges": 26})
    f = c.to_frame()
    r = ref[(26, 1374)]
    row = f.iloc[1]
    assert row["estimate"] == pytest.approx(26 / 1374, rel=1e-12)
    assert row["lower"] == pytest.approx(r.wilson_lower, rel=1e-8)
    assert row["upper"] == pytest.approx(r.wilson_upper, rel=1e-8)
    assert row["lost"] == 1374 - 26
    assert c.overall == pytest.approx((26 / 1374, r.wilson_lower, r.wilson_upper), rel=1e-8)
    assert np.isnan(f.iloc[0]["estimate"])


def test_nested_three_stages_conditional_and_overall(ref):
    counts = {"incidents": 19899, "referred_to_police": 982, "charges": 5}
    c = Cascade(counts, method="exact")
    f = c.to_frame().set_index("stage")
    # conditional proportions
    assert f.loc["referred_to_police", "estimate"] == pytest.approx(982 / 19899, rel=1e-12)
    assert f.loc["charges", "estimate"] == pytest.approx(5 / 982, rel=1e-12)
    assert f.loc["charges", "lower"] == pytest.approx(ref[(5, 982)].exact_lower, rel=1e-8)
    assert f.loc["charges", "upper"] == pytest.approx(ref[(5, 982)].exact_upper, rel=1e-8)
    # overall = product of the conditional proportions, interval from the one cohort (5 of 19,899)
    assert f.loc["charges", "overall"] == pytest.approx((982 / 19899) * (5 / 982), rel=1e-12)
    assert f.loc["referred_to_police", "overall_lower"] == pytest.approx(ref[(982, 19899)].exact_lower, rel=1e-8)
    # numbers lost
    assert f.loc["referred_to_police", "lost"] == 19899 - 982
    assert f.loc["charges", "lost"] == 982 - 5
    assert (f["method"] == "exact").all() and (f["level"] == 0.95).all()


@pytest.mark.parametrize("method", sorted(ssstats.rates.PROPORTION_METHODS))
def test_every_method_matches_proportion_ci(method):
    c = Cascade(pd.Series({"a": 1305, "b": 491, "c": 104}), method=method, level=0.9)
    f = c.to_frame()
    pc = ssstats.proportion_ci([491, 104], [1305, 491], method=method, level=0.9)
    np.testing.assert_allclose(f["lower"].iloc[1:], pc["lower"], rtol=1e-12)
    np.testing.assert_allclose(f["upper"].iloc[1:], pc["upper"], rtol=1e-12)


def test_not_nested_own_denominators_no_overall(ref):
    c = Cascade({"assault_reports": 1305, "safeguarding": 491, "police": 104}, nested=False)
    f = c.to_frame().set_index("stage")
    assert c.overall is None
    assert "overall" not in f.columns and "lost" not in f.columns
    assert f.loc["safeguarding", "denominator_stage"] == "assault_reports"
    assert f.loc["police", "denominator_stage"] == "assault_reports"  # not 491: the source does not nest them
    assert f.loc["police", "estimate"] == pytest.approx(104 / 1305, rel=1e-12)
    assert f.loc["police", "lower"] == pytest.approx(ref[(104, 1305)].wilson_lower, rel=1e-8)
    assert f.loc["safeguarding", "upper"] == pytest.approx(ref[(491, 1305)].wilson_upper, rel=1e-8)
    s = c.summary()
    assert "No overall proportion" in s and "different sources or periods" in s


def test_not_nested_explicit_denominators(ref):
    # trust returns and police returns side by side: police reports (1,374) exceed referrals (982)
    data = {"incidents": 19899, "referred_to_police": 982, "police_reports": 1374, "charges": 26}
    with pytest.raises(SSStatsError, match="police_reports.*larger.*referred_to_police.*nested=False"):
        Cascade(data)
    c = Cascade(data, nested=False,
                denominators={"referred_to_police": "incidents", "police_reports": None, "charges": "police_reports"})
    f = c.to_frame().set_index("stage")
    assert np.isnan(f.loc["police_reports", "estimate"])
    assert f.loc["charges", "lower"] == pytest.approx(ref[(26, 1374)].wilson_lower, rel=1e-8)
    assert f.loc["referred_to_police", "upper"] == pytest.approx(ref[(982, 19899)].wilson_upper, rel=1e-8)


def test_unit_frame_sums_and_censored_bounds(ref):
    frame = pd.DataFrame({
        "unit_id": ["A", "B", "C"],
        "police_reports": [10.0, 3.0, 5.0],
        "charges": [np.nan, 0.0, 1.0],
        "charges_lower": [1, 0, 1], "charges_upper": [7, 0, 1],
        "charges_censored": [True, False, False],
    })
    c = Cascade(frame)
    f = c.to_frame().set_index("stage")
    assert f.loc["police_reports", "count"] == 18
    assert np.isnan(f.loc["charges", "count"])
    assert (f.loc["charges", "count_lower"], f.loc["charges", "count_upper"]) == (2, 8)
    assert f.loc["charges", "censored_cells"] == 1
    assert np.isnan(f.loc["charges", "estimate"])
    assert f.loc["charges", "estimate_min"] == pytest.approx(2 / 18)
    assert f.loc["charges", "estimate_max"] == pytest.approx(8 / 18)
    # union of the intervals over the admissible totals: Wilson lower at 2/18, upper at 8/18 (R prop.test)
    assert f.loc["charges", "lower"] == pytest.approx(ref[(2, 18)].wilson_lower, rel=1e-8)
    assert f.loc["charges", "upper"] == pytest.approx(ref[(8, 18)].wilson_upper, rel=1e-8)
    assert (f.loc["charges", "lost_lower"], f.loc["charges", "lost_upper"]) == (10, 16)
    s = c.summary()
    assert "censored" in s and "2 to 8" in s and "3 units" in s


def test_unit_frame_without_censoring_equals_aggregate():
    frame = pd.DataFrame({"unit_id": list("abcd"), "incidents": [50, 20, 0, 30],
                          "referred_to_police": [3, 1, 0, 2], "notes": ["x"] * 4})
    a = Cascade(frame).to_frame()
    b = Cascade({"incidents": 100, "referred_to_police": 6}).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_synthetic_frame_is_labelled():
    frame = pd.DataFrame({"unit_id": ["SYN-001", "SYN-002"], "police_reports": [4, 6], "charges": [0, 1],
                          "synthetic": [True, True]})
    c = Cascade(frame)
    assert "synthetic" in c.label and "synthetic" in c.summary().splitlines()[0]


def test_zero_stage_midway_is_undefined_not_an_error():
    c = Cascade({"a": 10, "b": 0, "c": 0})
    f = c.to_frame()
    assert np.isnan(f["estimate"].iloc[2]) and np.isnan(f["lower"].iloc[2])
    assert f["estimate"].iloc[1] == 0 and f["lower"].iloc[1] == 0
    assert "undefined" in c.summary()


# ----------------------------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("data, match", [
    ({"a": 5}, "at least two stages"),
    ({}, "at least two stages"),
    ({"a": 5, "b": 6}, r"'b' \(6\) is larger than the stage before it 'a' \(5\)"),
    ({"a": 5, "b": 2, "c": 3}, r"'c' \(3\) is larger than the stage before it 'b' \(2\)"),
    ({"a": 5, "b": -1}, r"non-negative.*-1.*'b'.*position 1"),
    ({"a": 5, "b": 1.5}, r"whole number.*1\.5.*'b'"),
    ({"a": 5, "b": np.nan}, r"missing \(NaN\).*'b'"),
    ({"a": 5, "b": "*"}, r"numeric.*'\*'"),
    ({"a": 0, "b": 0}, "first stage 'a' is 0"),
])
def test_bad_counts(data, match):
    with pytest.raises(SSStatsError, match=match):
        Cascade(data)


def test_bad_method_level_and_options():
    with pytest.raises(SSStatsError, match="`method` must be one of.*'wilson'.*got 'clopper'"):
        Cascade({"a": 5, "b": 1}, method="clopper")
    with pytest.raises(SSStatsError, match="`level`.*95"):
        Cascade({"a": 5, "b": 1}, level=95)
    with pytest.raises(SSStatsError, match="single confidence level"):
        Cascade({"a": 5, "b": 1}, level=(0.9, 0.95))
    with pytest.raises(SSStatsError, match="`nested` must be True or False"):
        Cascade({"a": 5, "b": 1}, nested="yes")
    with pytest.raises(SSStatsError, match="only with nested=False"):
        Cascade({"a": 5, "b": 1}, denominators={"b": "a"})
    with pytest.raises(SSStatsError, match="unknown stage 'z'"):
        Cascade({"a": 5, "b": 1}, nested=False, denominators={"z": "a"})
    with pytest.raises(SSStatsError, match="larger than its denominator"):
        Cascade({"a": 5, "b": 1, "c": 3}, nested=False, denominators={"c": "b"})
    with pytest.raises(SSStatsError, match="`data` must be a mapping"):
        Cascade([5, 1])
    with pytest.raises(SSStatsError, match="not in `data`"):
        Cascade({"a": 5, "b": 1}, stages=["a", "q"])


def test_bad_unit_frames():
    base = pd.DataFrame({"unit_id": ["A", "B"], "police_reports": [4.0, 2.0], "charges": [1.0, 3.0]})
    with pytest.raises(SSStatsError, match=r"`charges` \(3\) is larger than `police_reports` \(2\) for unit 'B'"):
        Cascade(base)
    nan = base.assign(charges=[1.0, np.nan])
    with pytest.raises(SSStatsError, match=r"`charges` must be finite.*NaN.*unit 'B'"):
        Cascade(nan)
    neg = base.assign(charges=[-1.0, 0.0])
    with pytest.raises(SSStatsError, match=r"non-negative.*-1.*unit 'A'"):
        Cascade(neg)
    with pytest.raises(SSStatsError, match="missing stage column 'convictions'"):
        Cascade(base.assign(charges=[1.0, 0.0]), stages=["charges", "convictions"])
    with pytest.raises(SSStatsError, match="at least two stage columns"):
        Cascade(base[["unit_id", "charges"]])


def test_plot_returns_figure_for_both_kinds():
    from matplotlib.figure import Figure

    f1 = Cascade({"incidents": 19899, "referred_to_police": 982}).plot()
    f2 = Cascade({"r": 1305, "s": 491, "p": 104}, nested=False).plot(title="HSJ 2020")
    assert isinstance(f1, Figure) and isinstance(f2, Figure)
    assert f2.axes[0].get_yscale() == "log" and f2.axes[1].get_yscale() == "log"
    assert "not nested" in f2.axes[1].get_title()
    matplotlib.pyplot.close("all")


def test_nested_bounds_are_cut_at_the_stage_before():
    # "*" stands for 1 to 7, but a unit with 3 police reports has at most 3 charges
    frame = pd.DataFrame({"unit_id": ["A", "B"], "police_reports": [3.0, 10.0], "charges": [np.nan, 2.0],
                          "charges_lower": [1, 2], "charges_upper": [7, 2]})
    row = Cascade(frame).to_frame().iloc[1]
    assert (row["count_lower"], row["count_upper"]) == (3, 5)
    with pytest.raises(SSStatsError, match="larger than `police_reports`"):
        Cascade(frame.assign(charges=[np.nan, 11.0], charges_lower=[1, 11], charges_upper=[7, 11]))


# ----------------------------------------------------------------------------------------------------------------
# the report section (analysis/attrition.py)


@pytest.fixture(scope="module")
def section(tmp_path_factory):
    from analysis import attrition

    fig_dir = tmp_path_factory.mktemp("figures")
    return attrition.run(fig_dir=fig_dir), fig_dir


def test_section_writes_its_figures(section):
    sec, fig_dir = section
    for name in ("cascades", "synthetic_cascades", "caterpillar", "press"):
        for ext in ("png", "svg"):
            path = fig_dir / f"attrition_{name}.{ext}"
            assert path.exists() and path.stat().st_size > 1000
    for name in ("caterpillar", "synthetic_cascades"):
        fig = sec.figures[name]
        titles = [fig._suptitle.get_text() if fig._suptitle is not None else ""]
        titles += [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right")]
        assert any("synthetic" in t.lower() for t in titles), name


def test_section_cascades_have_the_right_nesting(section, ref):
    sec, _ = section
    trust, police, hsj = sec.cascades.values()
    assert trust.nested and police.nested and not hsj.nested and hsj.overall is None
    f = hsj.to_frame().set_index("stage")
    # the source gives safeguarding and police "of those reports made on mixed-sex wards"
    assert (f["denominator_stage"].iloc[1:] == "mixed-sex_ward_reports").all()
    assert f.loc["reported_to_police", "estimate"] == pytest.approx(104 / 1019, rel=1e-12)
    assert police.overall[1] == pytest.approx(ref[(26, 1374)].wilson_lower, rel=1e-8)
    assert trust.overall[2] == pytest.approx(ref[(982, 19899)].wilson_upper, rel=1e-8)


def test_section_labels_read_periods_and_units_from_the_data(section):
    # the cascade names and the national rates' periods in Table 2, Figure 6 and Table 4 come from
    # published_figures.csv, not typed: compare with the figures' own periods
    import ssstats as ss

    sec, _ = section
    names = list(sec.cascades)
    end = ss.figure("indy_sky_total_incidents").period_end
    assert f"to {end:%B %Y}" in names[0]
    assert f"{ss.figure('atkins_units').value:,.0f} units" in names[1]
    hsj = ss.figure("hsj20_mixed")
    assert f"{hsj.period_start:%B %Y} to {hsj.period_end:%B %Y}" in names[2]
    assert list(sec.cascade_table["Cascade"].unique()) == names
    rape = ss.figure("rape_charge_pct_ye_mar2023")
    assert sec.numbers["nat_rape_label"] == f"rape, year to {rape.period_end:%B %Y}"
    assert sec.numbers["nat_period"] == f"year to {rape.period_end:%B %Y}"
    # HSJ published "at least 1,019": the qualifier stays with the number and with the total built on it
    assert sec.numbers["hsj_mixed_text"] == "at least 1,019" and sec.numbers["hsj_total_text"] == "at least 1,305"


def test_section_press_units(section, ref):
    sec, _ = section
    p = sec.press.set_index("unit")
    lb = p.loc["Littlebrook Hospital (Kent)"]
    kf = p.loc["Kingfisher Court (Hertfordshire)"]
    assert (lb["n"], kf["n"]) == (42, 13)
    # P(0 of n) = (1 - p)^n at the national rape charge rate
    assert lb["p_zero_rape_charge"] == pytest.approx((1 - 0.021) ** 42, rel=1e-10)
    assert kf["p_zero_rape_charge"] == pytest.approx((1 - 0.021) ** 13, rel=1e-10)
    assert lb["p_zero_sexoff_charge"] == pytest.approx((1 - 0.036) ** 42, rel=1e-10)
    # one-sided 95% upper limit at 0 events = R binom.test(0, n, conf.level = 0.9) upper
    assert lb["upper"] == pytest.approx(ref[(0, 42)].exact90_upper, rel=1e-8)
    assert kf["upper"] == pytest.approx(ref[(0, 13)].exact90_upper, rel=1e-8)
    assert sec.numbers["lb_p0"] == "0.41" and sec.numbers["n_surprising"] == "142"


def test_section_synthetic_tables_are_labelled_and_suppressed(section):
    sec, _ = section
    t = sec.unit_table
    assert t.columns[0] == "Unit (synthetic)" and t.iloc[:, 0].str.startswith("SYN-").all()
    shown = t["Police reports"].str.replace(",", "").replace("*", np.nan).dropna().astype(int)
    assert (shown % 5 == 0).all()
    assert set(t["Charges"]) <= {"*", "0"} | {str(k) for k in range(10, 100, 5)}
    assert (t.loc[t["Charges"] == "*", "Shrunken charge %"] == "*").all()
    assert sec.numbers["syn_units"] == "340" and sec.numbers["syn_reports"] == "1,374"
    assert int(sec.numbers["syn_censored_charges"]) > 0


@pytest.mark.parametrize("method", sorted(ssstats.rates.PROPORTION_METHODS))
def test_censored_interval_is_the_union_over_admissible_counts(method):
    # numerator known to lie in 3..9, denominator in 20..26: the reported interval must be the union of the
    # intervals over every admissible (x, n), computed here by brute force over the grid
    frame = pd.DataFrame({"unit_id": ["A", "B"], "police_reports": [np.nan, 20.0],
                          "police_reports_lower": [0, 20], "police_reports_upper": [6, 20],
                          "charges": [np.nan, 3.0], "charges_lower": [0, 3], "charges_upper": [6, 3]})
    row = Cascade(frame, method=method).to_frame().iloc[1]
    xs, ns = np.meshgrid(np.arange(3, 10), np.arange(20, 27))
    ok = xs <= ns
    grid = ssstats.proportion_ci(xs[ok], ns[ok], method=method)
    assert row["lower"] == pytest.approx(grid["lower"].min(), rel=1e-12, abs=1e-15)
    assert row["upper"] == pytest.approx(grid["upper"].max(), rel=1e-12)
    assert (row["estimate_min"], row["estimate_max"]) == (pytest.approx(3 / 26), pytest.approx(9 / 20))
