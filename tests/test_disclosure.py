"""Tests of ssstats.suppress (NHS Digital HES rule: 1-7 -> '*', others to the nearest 5; secondary suppression).

Expected tables are worked out by hand from the rule, not from the code.
"""

import numpy as np
import pandas as pd
import pytest

from ssstats import SSStatsError, suppress
from ssstats.disclosure import round_to_base, suppression_log


def test_primary_and_rounding_by_hand():
    t = pd.DataFrame({"unit": list("ABCDEFG"), "n": [0, 1, 7, 8, 12, 13, 1374]})
    out = suppress(t, secondary=False)
    assert out["n"].tolist() == ["0", "*", "*", "10", "10", "15", "1,375"]
    assert out["unit"].tolist() == list("ABCDEFG")  # label column passed through
    assert suppression_log(out)["row"].tolist() == [1, 2]
    assert set(suppression_log(out)["reason"]) == {"primary: 1-7"}


def test_half_way_rounds_up_for_even_base():
    assert round_to_base([5, 15, 25, 14], base=10).tolist() == [10, 20, 30, 10]


def test_threshold_and_base_configurable():
    t = pd.DataFrame({"n": [2, 3, 4, 6, 11]})
    out = suppress(t, threshold=3, base=10, secondary=False)
    # 4 -> nearest 10 is 0: a non-zero count never shows as 0, so it is suppressed instead
    assert out["n"].tolist() == ["*", "*", "*", "10", "10"]
    reasons = suppression_log(out).set_index("row")["reason"]
    assert reasons[2] == "rounds to zero"
    out = suppress(t, threshold=0, base=1, secondary=False)
    assert out["n"].tolist() == ["2", "3", "4", "6", "11"]


def test_secondary_column_suppresses_next_smallest():
    t = pd.DataFrame({"n": [3, 40, 12, 0, 9]}, index=list("ABCDE"))
    out = suppress(t)
    # A is primary; the column's next smallest non-zero cell is E (9), not D (a zero)
    assert out["n"].tolist() == ["*", "40", "10", "0", "*"]
    s = suppression_log(out).set_index("row")["reason"]
    assert s["A"] == "primary: 1-7" and s["E"] == "secondary: column 'n'"


def test_secondary_iterates_over_rows_and_columns_until_stable():
    # 3x3 table; one primary cell at (r1, a)
    t = pd.DataFrame({"a": [5, 20, 30], "b": [50, 15, 60], "c": [70, 80, 25]}, index=["r1", "r2", "r3"])
    out = suppress(t)
    sup = out.eq("*").to_numpy()
    # every row and column holds zero or at least two suppressed cells
    for line in list(sup) + list(sup.T):
        assert line.sum() != 1
    # the hand-worked path: (r1,a) primary -> column a is lone: smallest other is r2 (20);
    # row r1 is lone: smallest other is b (50); row r2 is lone: smallest other is b (15);
    # column b then holds r1 and r2 -> stable
    expected = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=bool)
    assert (sup == expected).all()


def test_rows_only_and_columns_only():
    t = pd.DataFrame({"a": [5, 20, 30], "b": [50, 15, 60]})
    cols = suppress(t, secondary="columns")
    assert cols.eq("*").to_numpy().tolist() == [[True, False], [True, False], [False, False]]
    rows = suppress(t, secondary="rows")
    assert rows.eq("*").to_numpy().tolist() == [[True, True], [False, False], [False, False]]


def test_totals_are_last_choice_and_suppressed_like_counts():
    t = pd.DataFrame({"n": [4, 30, 34]}, index=["A", "B", "Total"])
    out = suppress(t, totals={"rows": ["Total"]}, secondary="columns")
    assert out["n"].tolist() == ["*", "*", "35"]  # B hidden rather than the total
    with pytest.raises(SSStatsError, match="'Nope'"):
        suppress(t, totals={"rows": ["Nope"]})


def test_single_row_and_single_column():
    out = suppress(pd.DataFrame({"n": [3]}, index=["only"]))
    assert out["n"].tolist() == ["*"]
    out = suppress(pd.DataFrame({"a": [3], "b": [40], "c": [12]}, index=["only"]))
    assert out.loc["only"].tolist() == ["*", "40", "*"]  # 12 is the next smallest
    out = suppress(pd.DataFrame({"n": []}, dtype="int64"))
    assert out.empty


def test_derived_suppressed_with_its_counts():
    t = pd.DataFrame({"inc": [40, 50, 60], "ref": [5, 20, 30]}, index=list("ABC"))
    t["pct"] = 100 * t["ref"] / t["inc"]
    out = suppress(t, derived={"pct": ["ref", "inc"]}, secondary="columns")
    # ref: A primary, B secondary (smallest other); pct follows both
    assert out["ref"].tolist() == ["*", "*", "30"]
    assert out["pct"].tolist() == ["*", "*", 50.0]
    assert out["inc"].tolist() == ["40", "50", "60"]
    d = suppression_log(out)
    assert set(d.loc[d["column"] == "pct", "row"]) == {"A", "B"}


def test_default_columns_are_integer_columns_only():
    t = pd.DataFrame({"n": [3, 20, 30], "rate": [0.5, 1.25, 2.0], "flag": [True, False, True]})
    out = suppress(t, secondary=False)
    assert out["n"].tolist() == ["*", "20", "30"]
    assert out["rate"].tolist() == [0.5, 1.25, 2.0]  # not a count: copied unchanged
    assert out["flag"].tolist() == [True, False, True]


def test_attrs_never_hold_the_suppressed_values():
    t = pd.DataFrame({"n": [3, 40, 12]})
    out = suppress(t)
    assert list(suppression_log(out).columns) == ["row", "column", "reason"]
    assert all(set(r) == {"row", "column", "reason"} for r in out.attrs["suppressed"])


def test_suppressed_frames_can_be_concatenated():
    a = suppress(pd.DataFrame({"n": [3, 40, 12]}))
    b = suppress(pd.DataFrame({"n": [3, 40, 13]}))
    assert pd.concat([a, b])["n"].tolist() == ["*", "40", "*", "*", "40", "*"]


def test_input_not_modified():
    t = pd.DataFrame({"n": [3, 40, 12]})
    before = t.copy()
    suppress(t)
    pd.testing.assert_frame_equal(t, before)


@pytest.mark.parametrize("bad, match", [
    ([1, -2, 30], r"non-negative.*got -2(\.0)? .*position 1"),
    ([1.5, 20.0, 30.0], r"whole number.*1\.5.*position 0"),
    ([np.nan, 20.0, 30.0], r"NaN.*position 0"),
])
def test_bad_counts_raise(bad, match):
    t = pd.DataFrame({"n": bad})
    with pytest.raises(SSStatsError, match=match):
        suppress(t, columns="n")


def test_bad_counts_name_the_unit():
    t = pd.DataFrame({"n": [1, -2, 30]}, index=["A", "B", "C"])
    with pytest.raises(SSStatsError, match=r"table\['n'\].*unit 'B'"):
        suppress(t)


@pytest.mark.parametrize("kwargs, match", [
    (dict(threshold=-1), "threshold"),
    (dict(base=0), "base"),
    (dict(base=2.5), "base"),
    (dict(secondary="diagonal"), "secondary"),
    (dict(columns=["missing"]), "missing"),
    (dict(derived={"pct": "missing"}), "missing"),
    (dict(derived=["pct"]), "derived"),
    (dict(totals=["Total"]), "totals"),
])
def test_bad_arguments_raise(kwargs, match):
    t = pd.DataFrame({"n": [3, 40, 12], "pct": [1.0, 2.0, 3.0]})
    with pytest.raises(SSStatsError, match=match):
        suppress(t, **kwargs)


def test_no_integer_columns_raises():
    with pytest.raises(SSStatsError, match="columns="):
        suppress(pd.DataFrame({"x": [1.0, 2.0]}))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 8), st.integers(1, 5)), elements=st.integers(0, 60)))
def test_properties_of_any_table(values):
    t = pd.DataFrame(values, columns=[f"c{j}" for j in range(values.shape[1])])
    out = suppress(t)
    shown = out.to_numpy()
    hidden = shown == "*"
    # the rule: 1-7 hidden, nothing else shown that is not a multiple of 5, zeros stay zeros
    assert hidden[(values >= 1) & (values <= 7)].all()
    nums = np.array([[int(v.replace(",", "")) if v != "*" else -1 for v in row] for row in shown])
    assert (nums[~hidden] % 5 == 0).all()
    assert (nums[values == 0] <= 0).all()
    # secondary: no row or column (of two or more cells) holds exactly one hidden cell
    if values.shape[0] > 1:
        assert not (hidden.sum(axis=0) == 1).any()
    if values.shape[1] > 1:
        assert not (hidden.sum(axis=1) == 1).any()
