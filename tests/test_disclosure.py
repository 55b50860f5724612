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
    try:
        out = suppress(t)
    except SSStatsError as err:  # a line too small to protect its hidden cell (checked in the audit tests below)
        assert "cannot be protected" in str(err) and "aggregate" in str(err)
        return
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


# ---------------------------------------------------------------------------------------------------------------
# the audit: no hidden cell can be pinned down by the margins.  The attacker's linear programme is written here,
# from the attacker model in the docstring, without the module's helpers: every row and column total (over lines
# of two cells or more) and every shown cell known exactly; an attacker who knows the rule knows a hidden non-zero
# count is >= 1 (zeros are shown as 0), so hidden non-zero cells are only known to be >= 1, hidden zeros >= 0.

from scipy.optimize import linprog  # noqa: E402


def attacker_ranges(values, hidden, rows=True, cols=True):
    """Min and max of every hidden cell (dict (i, j) -> (min, max)) by linear programming, one cell at a time."""
    values = np.asarray(values, dtype=float)
    n, m = values.shape
    cells = [(i, j) for i in range(n) for j in range(m) if hidden[i, j]]
    pos = {c: k for k, c in enumerate(cells)}
    a_eq, b_eq = [], []
    lines = ([[(i, j) for j in range(m)] for i in range(n)] if rows and m >= 2 else []) + \
            ([[(i, j) for i in range(n)] for j in range(m)] if cols and n >= 2 else [])
    for line in lines:
        row = np.zeros(len(cells))
        total = sum(values[c] for c in line)
        shown = sum(values[c] for c in line if not hidden[c])
        for c in line:
            if hidden[c]:
                row[pos[c]] = 1.0
        if row.any():
            a_eq.append(row)
            b_eq.append(total - shown)
    bounds = [(1 if values[c] > 0 else 0, None) for c in cells]
    out = {}
    for c in cells:
        obj = np.zeros(len(cells))
        obj[pos[c]] = 1.0
        lo = linprog(obj, A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None, bounds=bounds)
        hi = linprog(-obj, A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None, bounds=bounds)
        assert lo.status == 0
        out[c] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)
    return out


def assert_protected(values, out, width=4, rows=True, cols=True):
    values = np.asarray(values)
    hidden = out[list(out.columns)].eq("*").to_numpy() if out.shape[1] == values.shape[1] else None
    for (i, j), (lo, hi) in attacker_ranges(values, hidden, rows, cols).items():
        if values[i, j] > 0:  # a hidden 0 would be shown as 0 anyway
            assert hi - lo >= width - 1e-6, f"cell ({i}, {j}) = {values[i, j]} pinned to [{lo}, {hi}]"


def test_zero_partner_that_cannot_be_protected_raises():
    # row A's total is 3 and column b's total is 0, so every b cell is 0 and A,a = 3 exactly: no pattern of
    # hidden cells can help, and suppress must say so rather than publish a recoverable '*'
    t = pd.DataFrame({"a": [3, 0, 40], "b": [0, 0, 0]}, index=list("ABC"))
    with pytest.raises(SSStatsError, match=r"row 'A', column 'a'.*aggregate"):
        suppress(t)
    # the attacker's programme agrees: even with every cell hidden, A,a is pinned within less than 4
    lo, hi = attacker_ranges(t.to_numpy(), np.ones((3, 2), dtype=bool))[(0, 0)]
    assert hi - lo < 4
    # with only column totals known, the same table is protected
    out = suppress(t, secondary="columns")
    assert out["a"].tolist() == ["*", "0", "*"]
    assert_protected(t.to_numpy(), out, cols=True, rows=False)


def test_zero_partner_is_repaired():
    # row A's only partner of its 6 is a 0 in an all-zero column, which pins A,a = 6 through row A; the audit hides
    # A,c (a 0 in a column whose total is not 0) instead
    t = pd.DataFrame({"a": [6, 20, 40], "b": [0, 0, 0], "c": [0, 9, 30]}, index=list("ABC"))
    before = np.array([[1, 1, 0], [1, 1, 1], [1, 0, 1]], dtype=bool)  # what the single-line pass alone hides
    assert attacker_ranges(t.to_numpy(), before)[(0, 0)] == (6.0, 6.0)
    out = suppress(t)
    assert_protected(t.to_numpy(), out)
    log = suppression_log(out).set_index(["row", "column"])["reason"]
    assert log[("A", "c")] == "secondary: audit (row 'A' / column 'a')"


def test_bridge_between_two_blocks_is_repaired():
    v = np.zeros((4, 4), dtype=int)
    v[:2, :2] = [[2, 3], [4, 5]]
    v[2:, 2:] = [[6, 7], [5, 2]]
    v[0, 2] = 5  # the bridge
    t = pd.DataFrame(v, index=["r1", "r2", "r3", "r4"], columns=["c1", "c2", "c3", "c4"])
    # every line already hides two cells or none, yet (r1 + r2) - (c1 + c2) gives the bridge exactly
    assert attacker_ranges(v, v > 0)[(0, 2)] == (5.0, 5.0)
    out = suppress(t)
    assert (out.to_numpy() == "*")[v > 0].all()
    assert_protected(v, out)
    assert (suppression_log(out)["reason"].str.startswith("secondary: audit")).sum() >= 1


def test_audit_respects_base_one():
    # with base=1 nothing shown is rounded, so a hidden cell only has to be uncertain (range >= 1)
    t = pd.DataFrame({"a": [1, 0, 40], "b": [2, 0, 9]}, index=list("ABC"))
    out = suppress(t, base=1)
    assert_protected(t.to_numpy(), out, width=1)
    # row A = 1 + 1: two hidden cells that are each >= 1 sum to 2, so both are exactly 1 whatever is hidden
    t = pd.DataFrame({"a": [1, 0, 40], "b": [1, 0, 9]}, index=list("ABC"))
    with pytest.raises(SSStatsError, match=r"row 'A', column 'a'.*row 'A'.*non-zero.*aggregate"):
        suppress(t, base=1)
    lo, hi = attacker_ranges(t.to_numpy(), np.ones((3, 2), dtype=bool))[(0, 0)]
    assert lo == hi == 1


def test_hidden_non_zero_counts_are_at_least_one_rows():
    # row 0 hides 2 and 3 beside a shown 40; the row total 45 leaves a hidden sum 5, and each hidden count is at
    # least 1 (zeros are shown as 0), so each lies in [1, 4]: width 3, below 4.  The audit must hide more.
    t = pd.DataFrame({"a": [2, 10, 12], "b": [3, 10, 14], "c": [40, 50, 60]})
    lo, hi = attacker_ranges(t.to_numpy(), np.array([[1, 1, 0], [0, 0, 0], [0, 0, 0]], dtype=bool),
                             cols=False)[(0, 0)]
    assert (lo, hi) == (1.0, 4.0)
    out = suppress(t, secondary="rows")
    assert_protected(t.to_numpy(), out, rows=True, cols=False)
    # the only cell left in row 0 is the 40, hidden by the audit; rows 1 and 2 hide nothing
    assert out.eq("*").to_numpy().tolist() == [[True, True, True], [False] * 3, [False] * 3]
    log = suppression_log(out).set_index(["row", "column"])["reason"]
    assert log[(0, "c")] == "secondary: audit (row 0 / column 'a')"


def test_hidden_non_zero_counts_are_at_least_one_columns_base_one():
    # column a hides 1 and 1 beside a shown 30: hidden sum 2, each >= 1, so both are exactly 1
    t = pd.DataFrame({"a": [1, 1, 30], "b": [30, 40, 50]})
    lo, hi = attacker_ranges(t.to_numpy(), np.array([[1, 0], [1, 0], [0, 0]], dtype=bool), rows=False)[(0, 0)]
    assert lo == hi == 1
    out = suppress(t, base=1, secondary="columns")
    assert_protected(t.to_numpy(), out, width=1, rows=False, cols=True)
    assert out["a"].tolist() == ["*", "*", "*"] and out["b"].tolist() == ["30", "40", "50"]


def test_line_whose_total_less_its_non_zero_cells_is_too_small_raises():
    # column a = 2 + 3 + 0: even with both non-zero cells hidden, each is >= 1, so each lies within [1, 4]
    # (total 5 less 2 non-zero cells leaves a slack of 3 < 4); under the old >= 0 model it would range over [0, 5]
    t = pd.DataFrame({"a": [2, 3, 0], "b": [40, 50, 60]}, index=list("ABC"))
    with pytest.raises(SSStatsError, match=r"row 'A', column 'a'.*column 'a'.*non-zero.*aggregate"):
        suppress(t, secondary="columns")
    lo, hi = attacker_ranges(t.to_numpy(), np.ones((3, 2), dtype=bool), rows=False)[(0, 0)]
    assert hi - lo < 4


def test_audit_both_axes_uses_lower_bound_one():
    # a 2 x 2 block of hidden cells closed by its margins: rows 2+5 and 3+6, columns 2+3 and 5+6.  With cells >= 0
    # the cycle shift runs t in [-2, 3] (width 5); with every hidden cell >= 1 it runs t in [-1, 2] (width 3 < 4),
    # so the audit has to widen the block
    t = pd.DataFrame({"a": [2, 3, 40], "b": [5, 6, 50], "c": [40, 45, 60]}, index=list("ABC"))
    lo, hi = attacker_ranges(t.to_numpy(), np.array([[1, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=bool))[(0, 0)]
    assert (lo, hi) == (1.0, 4.0)
    out = suppress(t)
    assert_protected(t.to_numpy(), out)
    assert out.eq("*").to_numpy().sum() > 4


def test_audit_leaves_total_cells_alone():
    t = pd.DataFrame({"a": [3, 10, 13], "b": [0, 20, 20], "tot": [3, 30, 33]}, index=["A", "B", "Total"])
    out = suppress(t, totals={"rows": ["Total"], "columns": ["tot"]}, secondary="columns")
    assert out.loc["Total"].tolist() == ["15", "20", "35"]  # totals are not chosen by the audit
    assert out["a"].tolist()[:2] == ["*", "*"]


@st.composite
def small_tables(draw):
    n, m = draw(st.integers(2, 6)), draw(st.integers(2, 4))
    cell = st.one_of(st.just(0), st.just(0), st.integers(1, 7), st.integers(0, 30))
    return np.array(draw(st.lists(st.lists(cell, min_size=m, max_size=m), min_size=n, max_size=n)))


@settings(max_examples=120, deadline=None, derandomize=True)
@given(small_tables(), st.sampled_from([True, "rows", "columns"]))
def test_audit_no_hidden_cell_can_be_pinned(values, secondary):
    rows, cols = {True: (True, True), "rows": (True, False), "columns": (False, True)}[secondary]
    t = pd.DataFrame(values, columns=[f"c{j}" for j in range(values.shape[1])])
    try:
        out = suppress(t, secondary=secondary)
    except SSStatsError as err:
        # a refusal must be true: even hiding every cell it may hide (not the non-zero cells of a line whose total
        # less its non-zero cells is below 4, which could never be protected themselves), the named cell stays
        # pinned
        import re
        i, j = re.search(r"row (\d+), column 'c(\d+)'", str(err)).groups()
        i, j = int(i), int(j)
        # (a line's most slack, all its cells hidden, is its total less its non-zero cells, each >= 1)
        short = np.zeros(values.shape, dtype=bool)
        if rows:
            short |= values.sum(axis=1, keepdims=True) - (values > 0).sum(axis=1, keepdims=True) < 4
        if cols:
            short |= values.sum(axis=0, keepdims=True) - (values > 0).sum(axis=0, keepdims=True) < 4
        hide = ~(short & (values > 0))
        hide[i, j] = True
        lo, hi = attacker_ranges(values, hide, rows, cols)[(i, j)]
        assert values[i, j] > 0 and hi - lo < 4
        return
    assert_protected(values, out, rows=rows, cols=cols)
    # suppression preserves what it does not hide: shown cells are the rounded counts, 1-7 always hidden
    shown = out.to_numpy()
    hidden = shown == "*"
    assert hidden[(values >= 1) & (values <= 7)].all()
    assert (shown[~hidden] == np.vectorize(lambda v: f"{int(round_to_base(v)):,}")(values)[~hidden]).all()
