"""Tests of the published-claims checks and of `ssstats reproduce`'s exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssstats import SSStatsError
from ssstats.cli import main
from ssstats.reproduce import check_claims, consistent_range, load_claims

DATA = Path(__file__).resolve().parents[1] / "data"


def test_every_claim_holds_or_is_documented():
    table = check_claims()
    assert len(table) == len(load_claims())
    bad = table[~table.holds & (table.known_discrepancy == "")]
    assert bad.empty, bad[["claim_id", "recomputed", "published_text"]]


def test_headline_recomputations_independently():
    table = check_claims().set_index("claim_id")
    # typed from the sources (published-figures.md), not from the code
    assert table.at["police_charge_rate", "recomputed"] == pytest.approx(100 * 26 / 1374)
    assert table.at["trust_referral_rate", "recomputed"] == pytest.approx(100 * 982 / 19899)
    assert table.at["cqc_assault_harassment_pct", "recomputed"] == pytest.approx(100 * 457 / 1120)
    assert table.at["cqc_share_of_reports", "recomputed"] == pytest.approx(919 / 0.016)
    assert table.at["cqc_share_of_reports", "lower"] == pytest.approx(919 / 0.0165)
    assert table.at["cqc_share_of_reports", "upper"] == pytest.approx(919 / 0.0155)
    assert table.at["police_charge_rate", "holds"]
    # 1,120 incidents in the 91 days of April to June 2017 are not "65 a week"
    assert not table.at["cqc_incidents_per_week", "holds"]
    assert table.at["cqc_incidents_per_week", "recomputed"] == pytest.approx(1120 / 13)


@pytest.mark.parametrize(
    "value, qualifier, decimals, inside, outside",
    [
        (2, "less than", 0, [1.89], [2.0, 2.1]),
        (1300, "more than", 0, [1374], [1300, 1200]),
        (20000, "nearly", 0, [19899, 19000], [20001, 18999]),
        (29, "about", 0, [28, 30.4], [27.5, 30.5]),
        (1.6, "", 1, [1.55, 1.6499], [1.65, 1.54]),
        (41, "", 0, [40.8, 41.49], [41.5, 40.4]),
    ],
)
def test_consistent_range(value, qualifier, decimals, inside, outside):
    a, b, ac, bc = consistent_range(value, qualifier, decimals)
    for x in inside:
        assert (a < x or (ac and a == x)) and (x < b or (bc and x == b)), x
    for x in outside:
        assert not ((a < x or (ac and a == x)) and (x < b or (bc and x == b))), x


def test_unknown_qualifier_is_refused():
    with pytest.raises(SSStatsError, match="`qualifier` must be one of"):
        consistent_range(5, "roughly", 0)


def _copy_data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(DATA, d, ignore=shutil.ignore_patterns("synthetic_*"))
    return d


def _set_value(d: Path, fid: str, value) -> None:
    f = d / "published_figures.csv"
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    assert fid in set(df.figure_id)
    df.loc[df.figure_id == fid, "value"] = str(value)
    df.to_csv(f, index=False)


def test_cli_exit_codes_with_the_documented_discrepancy(capsys):
    # one published statement ("65 a week") does not hold: a non-zero exit unless it is explicitly allowed
    assert main(["reproduce"]) == 1
    out = capsys.readouterr()
    assert "police_charge_rate" in out.out
    assert "known discrepancy, cqc_incidents_per_week" in out.err and "--allow-known" in out.err
    assert main(["reproduce", "--allow-known"]) == 0
    assert "documented discrepancy allowed" in capsys.readouterr().err


def test_cli_exit_one_when_a_statement_fails(tmp_path, monkeypatch, capsys):
    d = _copy_data(tmp_path)
    _set_value(d, "indy_police_charges", 40)  # 40 / 1,374 is not "less than 2 per cent"
    monkeypatch.setenv("SSSTATS_DATA", str(d))
    assert main(["reproduce", "--data", str(d / "published_figures.csv")]) == 1
    err = capsys.readouterr().err
    assert "police_charge_rate" in err and "do not hold" in err


def test_cli_subprocess_exit_codes(tmp_path):
    exe = [sys.executable, "-m", "ssstats.cli", "reproduce", "--csv", "--allow-known"]
    ok = subprocess.run(exe, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    table = pd.read_csv(pd.io.common.StringIO(ok.stdout))
    assert set(table.claim_id) == set(load_claims().claim_id)
    d = _copy_data(tmp_path)
    _set_value(d, "atkins_police_reports", 1400)  # 1,374 is not "more than 1,400"
    bad = subprocess.run(exe + ["--data", str(d / "published_figures.csv")], capture_output=True, text=True,
                         env={**__import__("os").environ, "SSSTATS_DATA": str(d)})
    assert bad.returncode == 1
    assert "police_reports_more_than_1300" in bad.stderr


def test_claims_refer_to_existing_figures(tmp_path):
    claims = load_claims()
    claims.loc[0, "numerator"] = "no_such_figure"
    with pytest.raises(SSStatsError, match="no_such_figure"):
        check_claims(claims)


def test_bad_kind_is_refused(tmp_path):
    f = tmp_path / "published_claims.csv"
    c = load_claims()
    c.loc[0, "kind"] = "ratio_of_ratios"
    c.to_csv(f, index=False)
    with pytest.raises(SSStatsError, match="kind"):
        load_claims(f)
    assert np.isfinite(check_claims().recomputed).all()
