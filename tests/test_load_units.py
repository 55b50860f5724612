"""Tests of ssstats.data.load_units: the unit-level schema, censored cells and validation of every row at once."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssstats import SSStatsError, load_units

FIX = Path(__file__).resolve().parent / "fixtures"
STAGES = ["incidents", "referred_to_police", "police_reports", "charges", "convictions"]


def _frame(**over) -> pd.DataFrame:
    base = dict(unit_id=["A", "B"], provider=["T1", "T2"], period=[2023, 2023], incidents=[10, 5],
                referred_to_police=[2, 1], police_reports=[4, 3], charges=[1, 0])
    base.update(over)
    return pd.DataFrame(base)


def test_good_fixture_loads_with_the_documented_representation():
    df = load_units(FIX / "units_good.csv")
    assert len(df) == 7
    assert df["unit_id"].tolist() == ["W01", "W02", "W03", "W04", "W05", "W06", "W01"]
    assert df["period"].tolist() == [2023] * 6 + [2022]
    # each stage: float with NaN where censored, int64 bounds, bool flag, in that order after the stage
    cols = list(df.columns)
    for s in STAGES:
        i = cols.index(s)
        assert cols[i + 1:i + 4] == [f"{s}_lower", f"{s}_upper", f"{s}_censored"]
        assert df[s].dtype == np.float64
        assert df[f"{s}_lower"].dtype == np.int64 and df[f"{s}_upper"].dtype == np.int64
        assert df[f"{s}_censored"].dtype == bool
        c = df[f"{s}_censored"].to_numpy()
        assert np.isnan(df[s].to_numpy()[c]).all()
        assert (df[s].to_numpy()[~c] == df[f"{s}_lower"].to_numpy()[~c]).all()
        assert (df[f"{s}_lower"].to_numpy()[~c] == df[f"{s}_upper"].to_numpy()[~c]).all()
    # counted by hand from the fixture
    assert df.attrs["censored"] == {"incidents": 0, "referred_to_police": 3, "police_reports": 2, "charges": 2,
                                    "convictions": 1}
    assert df.attrs["nested"] is True
    assert df["incidents"].tolist()[:3] == [40.0, 25.0, 1204.0]  # "1,204" is 1204
    w06 = df.iloc[5]
    assert (w06["referred_to_police_lower"], w06["referred_to_police_upper"]) == (0, 3)  # "<=3"
    assert (w06["police_reports_lower"], w06["police_reports_upper"]) == (1, 7)  # "*"
    assert (w06["charges_lower"], w06["charges_upper"]) == (1, 4)  # "1-4"
    assert (w06["convictions_lower"], w06["convictions_upper"]) == (0, 2)  # "≤2"
    assert df["bed_days"].dtype == np.float64 and df["bed_days"].iloc[5] == 2920.5
    # covariates and extra columns kept as they are
    assert df["ward_type"].tolist()[:2] == ["mixed", "single-sex"]
    assert df["notes"].iloc[1] == "new ward"


@pytest.mark.parametrize("cell, lo, hi", [
    ("*", 1, 7), ("<5", 0, 4), ("< 5", 0, 4), ("1-4", 1, 4), ("1–4", 1, 4), ("2 to 6", 2, 6), ("<=3", 0, 3),
    ("≤3", 0, 3), (" * ", 1, 7),
])
def test_censored_notations(cell, lo, hi):
    df = load_units(_frame(charges=[cell, "0"], police_reports=["9", "3"]))
    assert np.isnan(df["charges"].iloc[0])  # never zero, never silently missing
    assert (df["charges_lower"].iloc[0], df["charges_upper"].iloc[0]) == (lo, hi)
    assert bool(df["charges_censored"].iloc[0]) and not bool(df["charges_censored"].iloc[1])
    assert df.attrs["censored"]["charges"] == 1


def test_suppressed_range_is_configurable():
    df = load_units(_frame(charges=["*", "0"]), suppressed_range=(1, 5))
    assert (df["charges_lower"].iloc[0], df["charges_upper"].iloc[0]) == (1, 5)
    for bad in [(5, 1), (-1, 3), ("a", 2), (1.5, 3), 7]:
        with pytest.raises(SSStatsError, match="suppressed_range"):
            load_units(_frame(), suppressed_range=bad)


def test_bad_fixture_names_every_row_at_once():
    with pytest.raises(SSStatsError) as e:
        load_units(FIX / "units_bad.csv")
    msg = str(e.value)
    expected = {  # row -> (column or phrase, what) typed from the fixture
        2: ("`charges` = '-1'", "negative"),
        3: ("`police_reports` = '2.5'", "whole number"),
        4: ("`incidents`", "missing"),
        5: ("`charges` = '8'", "larger than `police_reports`"),
        6: ("`referred_to_police` = '12'", "larger than `incidents`"),
        7: ("`bed_days` = '0'", "events"),
        10: ("`police_reports` = 'abc'", "neither a count"),
        11: ("`bed_days` = '-5'", "negative"),
        12: ("`police_reports` = '5-2'", "empty range"),
        13: ("`charges` = '9'", "larger than `police_reports` = '<5'"),
        15: ("`provider`", "missing"),
        16: ("`convictions` = '3'", "larger than `charges`"),
        17: ("`period`", "missing"),
    }
    lines = msg.splitlines()
    for row, (col, what) in expected.items():
        hits = [ln for ln in lines if re.search(rf"\brow {row} \(unit 'B{row:02d}'\)", ln)]
        assert len(hits) == 1, (row, hits)
        assert col in hits[0] and what in hits[0]
    assert any("rows 8, 9 (unit 'B08'" in ln and "more than once" in ln for ln in lines)
    assert f"{len(expected) + 1} problems" in msg
    # rows 1 and 14 are fine: "*" police reports may hold 5 charges (only a certain violation is an error)
    assert "row 1 " not in msg and "row 14 " not in msg


def test_nested_false_and_censored_bounds():
    f = _frame(police_reports=["3", "*"], charges=["5", "7"])
    with pytest.raises(SSStatsError, match=r"row 1 \(unit 'A'\): `charges` = '5' is larger than `police_reports`"):
        load_units(f)
    df = load_units(f, nested=False)
    assert df["charges"].tolist() == [5.0, 7.0] and df.attrs["nested"] is False
    # incidents (trust returns) and police reports (police returns) are never compared
    load_units(_frame(incidents=[1, 1], referred_to_police=[0, 0], police_reports=[9, 9], charges=[0, 0]))
    with pytest.raises(SSStatsError, match="`nested` must be True or False"):
        load_units(f, nested="no")


def test_required_columns_and_period_dates():
    with pytest.raises(SSStatsError, match="missing required column 'charges'"):
        load_units(_frame().drop(columns="charges"))
    with pytest.raises(SSStatsError, match="missing required columns 'incidents', 'referred_to_police'"):
        load_units(FIX / "units_police_dates.csv")
    df = load_units(FIX / "units_police_dates.csv", stages=("police_reports", "charges"))
    assert len(df) == 4
    assert df["period_start"].dt.year.tolist() == [2022, 2022, 2022, 2020]
    assert (df["charges_lower"].iloc[0], df["charges_upper"].iloc[0]) == (1, 7)
    assert "incidents" not in df.columns
    bad = pd.read_csv(FIX / "units_police_dates.csv", dtype=str)
    bad.loc[1, "period_start"] = "2022-02-30"
    bad.loc[2, "period_end"] = "2021-01-01"
    bad.loc[3, ["period_start", "period_end"]] = bad.loc[0, ["period_start", "period_end"]]  # P01 twice
    with pytest.raises(SSStatsError) as e:
        load_units(bad, stages=["police_reports", "charges"])
    msg = str(e.value)
    assert "row 2 (unit 'P02'): `period_start` = '2022-02-30' is not an ISO date" in msg
    assert "row 3 (unit 'P03'): `period_start` '2022-02-01' is after `period_end` '2021-01-01'" in msg
    assert "rows 1, 4 (unit 'P01'" in msg
    with pytest.raises(SSStatsError, match="`stages` must name"):
        load_units(_frame(), stages=["arrests"])


def _text(v) -> str:
    return "" if pd.isna(v) else str(v)


def test_parquet_round_trip(tmp_path):
    from_csv = load_units(FIX / "units_good.csv")
    raw = pd.read_csv(FIX / "units_good.csv", dtype=str, keep_default_na=False)
    path = tmp_path / "units.parquet"
    raw.to_parquet(path)
    from_pq = load_units(path)
    for c in from_csv.columns:
        if c in ("period", "notes", "ward_type", "sector", "unit_id", "provider"):
            assert [_text(v) for v in from_pq[c]] == [_text(v) for v in from_csv[c]]
        else:
            pd.testing.assert_series_equal(from_pq[c], from_csv[c], check_dtype=True, check_names=True)
    assert from_pq.attrs["censored"] == from_csv.attrs["censored"]
    # numeric Parquet columns (no censoring) load too
    numeric = _frame(charges=[1, 0])
    numeric.to_parquet(tmp_path / "n.parquet")
    df = load_units(tmp_path / "n.parquet")
    assert df["charges_upper"].tolist() == [1, 0] and df.attrs["censored"]["charges"] == 0


def test_nothing_dropped_and_input_untouched():
    f = _frame(charges=["<5", "0"], bed_days=[100.0, 0.0], incidents=[10, 0], referred_to_police=[2, 0],
               police_reports=[4, 0])
    before = f.copy()
    df = load_units(f)
    pd.testing.assert_frame_equal(f, before)
    assert len(df) == len(f) and df["unit_id"].tolist() == ["A", "B"]
    assert df["bed_days"].tolist() == [100.0, 0.0]  # zero bed days without events is allowed


@pytest.mark.parametrize("col, val, words", [
    ("charges", [np.nan, 0], "`charges` is missing"),
    ("charges", [1.5, 0], "`charges` = '1.5' is not a whole number"),
    ("charges", [-2, 0], "`charges` = '-2' is negative"),
    ("charges", ["x", "0"], "`charges` = 'x' is neither a count"),
    ("bed_days", [np.nan, 5.0], "`bed_days` = '' is missing"),
    ("bed_days", ["lots", "5"], "`bed_days` = 'lots' is not a number"),
    ("unit_id", [None, "B"], "`unit_id` is missing"),
])
def test_frame_bad_cells(col, val, words):
    with pytest.raises(SSStatsError, match=re.escape(words)):
        load_units(_frame(**{col: val}))


def test_bad_source():
    with pytest.raises(SSStatsError, match="must end in .csv or .parquet"):
        load_units(FIX.parent / "test_load_units.py")
    with pytest.raises(SSStatsError, match="is not a file"):
        load_units(FIX / "nope.csv")
    with pytest.raises(SSStatsError, match="path to a .csv or .parquet file or a DataFrame"):
        load_units(42)


def test_counts_must_be_plain_ascii_whole_numbers(tmp_path):
    """'1e3', '+5' and digits of other scripts are named, not read silently or left to crash in pandas."""
    f = tmp_path / "u.csv"
    f.write_text("unit_id,provider,period,incidents,referred_to_police,police_reports,charges\n"
                 "A,P,2023,1e3,+5,\uff15,0\nB,P,2023,10,2,\u0663,0\nC,P,2023,\"1,200\",2,3,0\n", encoding="utf-8")
    with pytest.raises(SSStatsError) as e:
        load_units(f)
    msg = str(e.value)
    assert "has 4 problems" in msg
    assert "`incidents` = '1e3' is not written as a plain whole number (write 1000)" in msg
    assert "`referred_to_police` = '+5' is not written as a plain whole number (write 5)" in msg
    assert "row 1 (unit 'A'): `police_reports` = '\uff15' is neither a count" in msg
    assert "row 2 (unit 'B'): `police_reports` = '\u0663' is neither a count" in msg
    assert "unit 'C'" not in msg  # '1,200' with a thousands separator is a plain count
