"""Tests of ssstats.data: the published figures, their provenance and their validation.

Expected values are typed here from ``published-figures.md`` (the source list), independently of the CSV.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ssstats import SSStatsError
from ssstats.data import QUALIFIERS, data_dir, figure, published_figures

DATA = Path(__file__).resolve().parents[1] / "data"

COLUMNS = ["figure_id", "value", "qualifier", "measure", "unit", "period_start", "period_end", "geography",
           "publisher", "title", "date", "url", "source_type", "quote", "derived_from", "bibkey", "note"]

# id -> (value, qualifier), typed from the source list and the task brief
HEADLINE = {
    "indy_sky_total_incidents": (19899, "at least"),
    "rcpsych_incidents": (20000, "nearly"),
    "indy_sky_police_referrals": (982, ""),
    "indy_sky_police_referrals_pct": (5, "less than"),
    "indy_sky_trusts": (30, "more than"),
    "rcpsych_trusts": (38, ""),
    "indy_sky_foi_requests": (50, "more than"),
    "indy_sky_foi_responses": (38, ""),
    "indy_sky_2023_partial": (4000, "almost"),
    "indy_police_reports": (1374, ""),
    "atkins_police_reports": (1300, "more than"),
    "atkins_units": (340, ""),
    "indy_police_units": (340, ""),
    "indy_police_charges": (26, ""),
    "atkins_charges": (26, ""),
    "indy_police_charge_pct": (2, "less than"),
    "indy_police_rapes": (357, ""),
    "indy_police_gang_rapes": (3, ""),
    "littlebrook_rapes": (24, ""),
    "littlebrook_other_offences": (18, ""),
    "littlebrook_prosecutions": (0, ""),
    "littlebrook_beds": (106, ""),
    "kingfisher_allegations": (13, ""),
    "kingfisher_prosecutions": (0, ""),
    "cqc18_reports_reviewed": (60000, "nearly"),
    "cqc18_reports_sexual": (919, ""),
    "cqc18_incidents": (1120, ""),
    "cqc18_assault_harassment": (457, ""),
    "cqc18_more_than_third": (0.3333, "more than"),
    "cqc18_assault": (273, ""),
    "cqc18_harassment": (184, ""),
    "cqc18_assault_harassment_pct": (41, ""),
    "cqc18_exposure": (298, ""),
    "cqc18_verbal": (242, ""),
    "cqc18_rape": (29, "around"),
    "cqc18_share_pct": (1.6, ""),
    "cqc18_trusts": (54, ""),
    "cqc18_weekly": (65, ""),
    "hsj18_total": (3147, ""),
    "hsj18_2013_14": (576, ""),
    "hsj18_2017_18": (676, ""),
    "hsj18_2016_17": (711, ""),
    "hsj18_rise_pct": (17, ""),
    "hsj20_mixed": (1019, "at least"),
    "hsj20_single_sex": (286, ""),
    "hsj20_safeguarding": (491, ""),
    "hsj20_police": (104, ""),
    "hsj20_trusts": (47, ""),
    "hsj20_trusts_total": (56, ""),
    "npsa06_rapes": (19, ""),
    "npsa06_reports": (122, ""),
    "bmj23_incidents": (35606, ""),
    "bmj23_trusts": (212, ""),
    "bmj23_staff_affected_pct": (62, ""),
    "bmj23_mh_incidents": (26434, ""),
    "guardian23_unrecorded": (100000, "more than"),
    "nhs_ss23_public_pct": (8.67, ""),
    "nhs_ss23_public": (58000, "more than"),
    "nhs_ss23_respondents": (675140, ""),
    "nhs_ss23_colleagues_pct": (3.84, ""),
    "nhs_ss23_colleagues": (26000, "almost"),
    "nhs_ss24_pct": (8.82, ""),
    "nhs_ss23_pct_2025": (8.79, ""),
    "charter_pledges": (10, ""),
    "framework_anon_pct": (76, ""),
    "ho_all_crime_charge_pct_ye2015": (16, ""),
    "ho_all_crime_charge_pct_ye2022": (5.5, ""),
    "ho_all_crime_charge_pct_ye2023": (5.7, ""),
    "rape_charge_pct_2015_16": (7, ""),
    "rape_charge_pct_ye_mar2021": (1.5, ""),
    "rape_charge_pct_ye_jun2021": (1.4, ""),
    "rape_charge_pct_ye_mar2022": (1.3, ""),
    "rape_charge_pct_ye_mar2023": (2.1, ""),
    "rape_recorded_ye_mar2023": (69000, "about"),
    "rape_charges_ye_sep2022": (1130, ""),
    "rape_recorded_ye_sep2022": (70633, ""),
    "rape_charge_pct_ye_sep2022": (1.6, ""),
    "sexoff_charge_pct_2015_16": (9.6, ""),
    "sexoff_charge_pct_ye_mar2022": (2.9, ""),
    "sexoff_charge_pct_ye_mar2023": (3.6, ""),
    "rmg_charge_pct_2016_17": (6.8, ""),
    "rmg_charge_pct_2017_18": (4.2, ""),
    "rmg_reported_2016_17": (41186, ""),
    "rmg_reported_2017_18": (54045, ""),
    "rape_recorded_ye_mar2020": (59104, ""),
    "rape_recorded_ye_jun2024": (69184, ""),
    "rape_recorded_ye_jun2023": (67903, ""),
    "rape_median_days_2018_19": (381, ""),
    "rape_median_days_2019_20": (395, ""),
    "rape_median_days_2020_21": (465, ""),
    "rape_median_days_2021_22": (467, ""),
    "rape_median_days_2022_23": (421, ""),
    "rape_median_days_ye_sep2023": (426, ""),
    "csew_told_police_pct": (16, ""),
    "csew_not_reported_pct": (83, ""),
    "wrn_hospital_reports": (6539, ""),
    "wrn_hospital_charges": (256, ""),
    "wrn_hospital_charge_pct": (4, ""),
    "wrn_forces": (35, ""),
    "wrn_forces_total": (43, ""),
    "mirror_hospital_assaults": (2569, ""),
    "mirror_hospital_rapes": (743, ""),
    "mirror_hospital_charges": (158, ""),
    "mirror_forces": (28, ""),
    "mirror_forces_total": (43, ""),
    "khalifeh14_smi_women_pct": (40, ""),
    "khalifeh14_general_women_pct": (7, ""),
    "khalifeh14_smi_past_year_pct": (10, ""),
    "khalifeh16_women_pct": (9.9, ""),
    "khalifeh16_men_pct": (3.1, ""),
    "khalifeh16_odds_ratio": (6, ""),
    "brooker24_response_pct": (72, ""),
}

# numbers the words give in letters (the quote holds the word, not the digits)
IN_WORDS = {0: ["none"], 2: ["two"], 3: ["three"], 4: ["four"], 5: ["five"], 6: ["six"], 7: ["seven"], 10: ["ten"],
            0.3333: ["a third"], 0.6667: ["two-thirds"], 0.75: ["three-quarters"]}
# rows whose words do not contain the number (said so in their note)
NUMBER_NOT_QUOTED = {"mixed_sex_promise_year"}


@pytest.fixture(scope="module")
def figs() -> pd.DataFrame:
    return published_figures()


def test_csv_validates_and_has_the_columns_in_order(figs):
    assert list(figs.columns) == COLUMNS
    assert figs["figure_id"].is_unique
    assert figs["value"].dtype == "float64"
    assert len(figs) >= 130


@pytest.mark.parametrize("fid", sorted(HEADLINE))
def test_headline_values(figs, fid):
    row = figs.set_index("figure_id").loc[fid]
    value, qualifier = HEADLINE[fid]
    assert row["value"] == pytest.approx(value, rel=1e-12)
    assert row["qualifier"] == qualifier


def _forms(v: float) -> list[str]:
    plain = f"{v:.10g}"
    forms = {plain}
    if v == int(v):
        forms |= {f"{int(v):,}", f"{int(v):,}".replace(",", " ")}
    return sorted(forms, key=len, reverse=True)


def test_each_quote_holds_its_number(figs):
    failures = []
    for _, r in figs.iterrows():
        if r.figure_id in NUMBER_NOT_QUOTED:
            assert "not in the quoted words" in r.note
            continue
        quote = r.quote.lower()
        digits = any(re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d]|[.,]\d)", quote) for f in _forms(r.value))
        words = any(w in quote for w in IN_WORDS.get(r.value, []))
        if not (digits or words):
            failures.append((r.figure_id, r.value, r.quote))
    assert not failures


def test_vocabularies(figs):
    assert set(figs["qualifier"]) <= set(QUALIFIERS)
    assert set(figs["source_type"]) == {"original", "copy", "secondary"}
    # the copies marked in the source list
    st = figs.set_index("figure_id")["source_type"]
    assert st["indy_sky_total_incidents"] == "copy"
    assert st["wrn_hospital_reports"] == "copy"
    assert st["indy_female_allegations"] == "secondary"
    assert st["indy_police_reports"] == "original"


def test_bibkeys_and_one_key_per_source(figs):
    bib = (DATA / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, re.M))
    assert set(figs["bibkey"]) <= keys
    # seed documents and methods references the package cites
    for k in ("cqc2018report", "nhse2023charter", "nhse2024framework", "spiegelhalter2005funnel",
              "brown2001interval", "chan2021sparsemse", "nhsdigital2018disclosure"):
        assert k in keys
    # a bibkey stands for one source: one publisher, title and address
    per_key = figs.groupby("bibkey")[["publisher", "title", "url"]].nunique()
    assert (per_key == 1).all().all()


def test_derived_figures_agree_with_their_formula(figs):
    """Each figure the source computed from others agrees with the formula, within its rounding or qualifier."""
    by = figs.set_index("figure_id")
    checked = 0
    for fid, r in by[by["derived_from"] != ""].iterrows():
        refs = re.findall(r"[a-z][a-z0-9_]*", r.derived_from)
        if any(by.loc[t, "qualifier"] for t in refs):
            continue  # computed from rounded figures
        x = eval(r.derived_from, {}, {t: by.loc[t, "value"] for t in refs})  # noqa: S307 - ids and arithmetic only
        if r.unit == "percent" and "/" in r.derived_from and "100" not in r.derived_from:
            x *= 100
        v, q = r.value, r.qualifier
        decimals = len(f"{v:.10g}".partition(".")[2])
        ok = {"": abs(x - v) <= 0.5 * 10 ** -decimals + 1e-12 or (r.unit == "proportion" and abs(x - v) < 0.01),
              "more than": x > v, "less than": x < v, "at least": x >= v, "almost": 0.9 * v < x < v,
              "nearly": 0.9 * v < x < v, "about": abs(x - v) <= 0.1 * v, "around": abs(x - v) <= 0.1 * v}[q]
        assert ok, (fid, x, v, q)
        checked += 1
    assert checked >= 10


def test_figure_provenance():
    f = figure("indy_police_charges")
    assert float(f) == 26.0 and f.value == 26.0
    assert f.publisher == "The Independent"
    assert f.date == "2024-02-17"
    assert "b2493447" in f.url
    assert "26" in f.quote
    assert f.citation == f"[@{f.bibkey}]"
    assert f.text == "26"
    a = figure("atkins_police_reports")
    assert a.text == "more than 1,300"
    assert figure("indy_sky_total_incidents").text == "at least 19,899"
    assert figure("indy_police_charge_pct").text == "less than 2%"
    c = figure("cqc18_incidents")
    assert (c.period_start, c.period_end) == (date(2017, 4, 1), date(2017, 6, 30))
    assert c.publisher == "Care Quality Commission"
    assert figure("indy_police_reports").period_start is None
    with pytest.raises(AttributeError):
        f.value = 27  # frozen


def test_figure_unknown_id_suggests():
    with pytest.raises(SSStatsError, match=r"indy_police_chrages.*did you mean 'indy_police_charges'"):
        figure("indy_police_chrages")


def test_data_dir_env(monkeypatch, tmp_path):
    assert data_dir() == DATA
    shutil.copy(DATA / "published_figures.csv", tmp_path)
    shutil.copy(DATA / "references.bib", tmp_path)
    monkeypatch.setenv("SSSTATS_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    assert len(published_figures()) == len(published_figures(DATA / "published_figures.csv"))
    monkeypatch.setenv("SSSTATS_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(SSStatsError, match="SSSTATS_DATA"):
        data_dir()


# ---------------------------------------------------------------------------------------------------------------
# bad files: every problem named at once, with its row and column

def _bad_copy(tmp_path, edit) -> Path:
    raw = pd.read_csv(DATA / "published_figures.csv", dtype=str, keep_default_na=False)
    raw = edit(raw)
    path = tmp_path / "published_figures.csv"
    raw.to_csv(path, index=False)
    shutil.copy(DATA / "references.bib", tmp_path)
    return path


def test_bad_csv_reports_every_problem(tmp_path):
    def edit(raw):
        raw.loc[4, "figure_id"] = raw.loc[2, "figure_id"]  # duplicate id
        raw.loc[6, "quote"] = ""  # missing quote
        raw.loc[8, "value"] = "about 12"  # not a number
        raw.loc[10, "bibkey"] = "nosuchkey2099"  # unknown bibkey
        raw.loc[12, "qualifier"] = "roughly"
        raw.loc[14, "period_start"] = "2017-13-01"
        raw.loc[16, "derived_from"] = "indy_police_charges / no_such_figure"
        return raw

    path = _bad_copy(tmp_path, edit)
    with pytest.raises(SSStatsError) as e:
        published_figures(path)
    msg = str(e.value)
    assert "7 problems" in msg
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    for pos, col in [(4, "figure_id"), (6, "quote"), (8, "value"), (10, "bibkey"), (12, "qualifier"),
                     (14, "period_start"), (16, "derived_from")]:
        line = next(ln for ln in msg.splitlines() if f"row {pos + 1} (line {pos + 2}," in ln)
        assert f"`{col}`" in line
        assert raw.loc[pos, "figure_id"] in line
    assert "'about 12'" in msg and "'nosuchkey2099'" in msg and "'no_such_figure'" in msg


@pytest.mark.parametrize("col, val, words", [
    ("quote", "", "`quote` is empty"),
    ("value", "n/a", "is not a finite number"),
    ("bibkey", "unknown2000", "is not a key of references.bib"),
    ("date", "Feb 2024", "is not an ISO date"),
])
def test_bad_csv_single_problem(tmp_path, col, val, words):
    def edit(raw):
        raw.loc[0, col] = val
        return raw

    with pytest.raises(SSStatsError, match=rf"row 1 \(line 2, figure_id '[a-z_0-9]+'\): `{col}`.*{words}|"
                                           rf"row 1 \(line 2, figure_id '[a-z_0-9]+'\): `{col}` is empty"):
        published_figures(_bad_copy(tmp_path, edit))


def test_missing_column_and_missing_bib(tmp_path):
    path = _bad_copy(tmp_path, lambda raw: raw.drop(columns=["quote"]))
    with pytest.raises(SSStatsError, match="missing required column 'quote'"):
        published_figures(path)
    path = _bad_copy(tmp_path, lambda raw: raw)
    (tmp_path / "references.bib").unlink()
    with pytest.raises(SSStatsError, match="bibliography .* does not exist"):
        published_figures(path)


def test_bibliography_renders_with_citeproc():
    """Every key of references.bib is resolved by Pandoc's citeproc (as the renderer uses it), with no warning."""
    import subprocess

    pypandoc = pytest.importorskip("pypandoc")
    bib = DATA / "references.bib"
    keys = re.findall(r"^@\w+\{([^,]+),", bib.read_text(encoding="utf-8"), re.M)
    assert len(keys) == len(set(keys))
    md = " ".join(f"[@{k}]" for k in keys) + "\n"
    r = subprocess.run([pypandoc.get_pandoc_path(), "--citeproc", f"--bibliography={bib}", "-f", "markdown",
                        "-t", "plain"], input=md, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "WARNING" not in r.stderr.upper(), r.stderr
    assert "???" not in r.stdout
    for title in ("Funnel Plots for Comparing Institutional Performance", "Sexual Safety on Mental Health Wards",
                  "Revealed: Scandal of 1,374 Hospital Sex Attacks"):
        assert title in r.stdout.replace("\n", " ")
