"""All of ssstats' speed goals in one run, each beside a baseline measured in the same run.

=====================================  ================================================  ===============
headline                               baseline (same run)                               goal
=====================================  ================================================  ===============
interval functions, 1,000,000 units    the bare statsmodels / SciPy call                 overhead <= 1.5x
beta-binomial fit, 100,000 units       SciPy: summed ``betabinom.logpmf`` + ``minimize``  <= 0.25 s
                                       (and VGAM ``vglm(betabinomial)`` when R is there)
stepwise MSE bootstrap, 1,000 reps     naive loop: ``fit_mse(stepwise)`` per resample,   <= 5 s
(UK 2013, 5 lists)                     timed on 20 and scaled to 1,000
bias analysis, 1,000,000 draws         NumPy: the draws alone (beta variates, divide)    <= 1 s
report render                          none                                              (printed)
=====================================  ================================================  ===============

Every timing is the best of ``--repeat`` runs on one core (BLAS threads set to 1); an interval function and its
bare library call are called in turn, as often as fills half a second (they take milliseconds, and one busy moment
would otherwise decide the ratio); all data are synthetic and
seeded, except the published UK 2013 lists.  The beta-binomial data and the VGAM script come from
``benchmarks/bench_units.py`` and the bias-analysis settings follow ``benchmarks/bench_underreporting.py``.

Usage (from the repository root)::

    python benchmarks/run.py                 # a few minutes: everything, VGAM too when Rscript is on PATH
    python benchmarks/run.py --no-render     # leave out `ssstats render report.qmd --to html`
    python benchmarks/run.py --no-r          # leave out VGAM on the same 100,000 units
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # one core

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import optimize, special, stats  # noqa: E402
from statsmodels.stats import proportion as sm_prop  # noqa: E402
from statsmodels.stats import rates as sm_rates  # noqa: E402

import ssstats as ss  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bench_units  # noqa: E402  (synthetic 100,000 units and the VGAM script)

SEED = 20261123
ROWS: list[dict] = []


def best_of(fn: Callable, repeat: int) -> tuple[float, object]:
    """Best wall-clock time of ``repeat`` calls, and the last result."""
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def best_of_pair(fa: Callable, fb: Callable, repeat: int, min_total: float = 0.5,
                 cap: int = 200) -> tuple[float, float]:
    """Best wall-clock times of ``fa`` and ``fb`` called in turn (a, b, a, b, ...), so that both meet the same
    state of the machine and of the allocator: at least ``repeat`` calls each and, for calls of a few
    milliseconds, as many more as fill ``min_total`` seconds of ``fa`` (at most ``cap``), as ``timeit`` does."""
    ta, tb = [], []
    while len(ta) < cap and (len(ta) < repeat or sum(ta) < min_total):
        for fn, times in ((fa, ta), (fb, tb)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return min(ta), min(tb)


def record(name: str, t: float, baseline: str, tb: float | None, goal: str, met: bool | None) -> None:
    ratio = t / tb if tb else float("nan")
    ROWS.append(dict(benchmark=name, ssstats_s=round(t, 4), baseline=baseline,
                     baseline_s=round(tb, 4) if tb is not None else np.nan, ratio=round(ratio, 2), goal=goal,
                     met={True: "yes", False: "NO", None: ""}[met]))
    tb_s = f"{tb:.3f} s" if tb is not None else "-"
    print(f"{name:<48} {t:8.3f} s | {baseline:<44} {tb_s:>9} | ratio {ratio:6.3g} | goal {goal}"
          f"{'' if met is None else (' met' if met else ' NOT MET')}", flush=True)


# ---------------------------------------------------------------------------------------------------------------
# 1. interval functions on a million units against the bare library call

def _bare_jeffreys_prop(x, n):
    lo = stats.beta.ppf(0.025, x + 0.5, n - x + 0.5)
    hi = stats.beta.isf(0.025, x + 0.5, n - x + 0.5)
    return np.where(x == 0, 0.0, lo), np.where(x == n, 1.0, hi)


def _bare_jeffreys_rate(c):
    return np.where(c == 0, 0.0, stats.gamma.ppf(0.025, c + 0.5)), stats.gamma.isf(0.025, c + 0.5)


#: ssstats method -> the bare call it wraps (methods with no library counterpart are timed alone)
PROPORTION_BARE = {
    "wilson": ("statsmodels proportion_confint(wilson)",
               lambda x, n: sm_prop.proportion_confint(x, n, alpha=0.05, method="wilson")),
    "exact": ("statsmodels proportion_confint(beta)",
              lambda x, n: sm_prop.proportion_confint(x, n, alpha=0.05, method="beta")),
    "agresti_coull": ("statsmodels proportion_confint(agresti_coull)",
                      lambda x, n: sm_prop.proportion_confint(x, n, alpha=0.05, method="agresti_coull")),
    "wald": ("statsmodels proportion_confint(normal)",
             lambda x, n: sm_prop.proportion_confint(x, n, alpha=0.05, method="normal")),
    "jeffreys": ("SciPy beta.ppf / beta.isf", _bare_jeffreys_prop),
    "mid_p": ("(none: no library has it vectorised)", None),
}
RATE_BARE = {
    "exact": ("statsmodels confint_poisson(exact-c)",
              lambda c, e: sm_rates.confint_poisson(c, e, method="exact-c", alpha=0.05)),
    "score": ("statsmodels confint_poisson(score)",
              lambda c, e: sm_rates.confint_poisson(c, e, method="score", alpha=0.05)),
    "wald": ("statsmodels confint_poisson(wald)",
             lambda c, e: sm_rates.confint_poisson(c, e, method="wald", alpha=0.05)),
    "jeffreys": ("SciPy gamma.ppf / gamma.isf", lambda c, e: _bare_jeffreys_rate(c)),
    "byar": ("(none: no library has it)", None),
    "mid_p": ("(none: no library has it vectorised)", None),
}


def bench_intervals(units: int, repeat: int, skip_slow: bool) -> None:
    rng = np.random.default_rng(SEED)
    n = 1 + rng.negative_binomial(2, 2 / 42, size=units)  # mean about 40 trials per unit
    x = rng.binomial(n, rng.beta(2, 60, size=units))
    e = n * 365.0  # bed days
    def with_frame(bare, a, b):  # the bare call plus the tidy frame ssstats returns: the cost of the output alone
        lo, hi = bare(a, b)
        return pd.DataFrame(dict(x=a, n=b, estimate=a / b, lower=lo, upper=hi, method="m", level=0.95))

    for fn, table, denom in ((ss.proportion_ci, PROPORTION_BARE, n), (ss.rate_ci, RATE_BARE, e)):
        for m, (label, bare) in table.items():
            if skip_slow and bare is None:
                continue
            name = f"{fn.__name__}({m}), {units:,} units"
            if bare is None:
                t, tb = best_of(lambda: fn(x, denom, method=m), repeat)[0], None
            else:
                t, tb = best_of_pair(lambda: fn(x, denom, method=m), lambda: bare(x, denom), repeat)
            record(name, t, label, tb, "<= 1.5x", None if tb is None else t / tb <= 1.5)
            if bare is not None:
                tf = best_of(lambda: with_frame(bare, x, denom), repeat)[0]
                record(name, t, "  the same + building the tidy DataFrame", tf, "(context)", None)


# ---------------------------------------------------------------------------------------------------------------
# 2. beta-binomial fit on 100,000 units

def _scipy_beta_binomial(y, n):
    """The generic SciPy route methods.md describes: summed betabinom.logpmf minimised by L-BFGS-B."""
    def nll(theta):
        mu, rho = special.expit(theta)
        s = (1 - rho) / rho
        return -stats.betabinom.logpmf(y, n, mu * s, (1 - mu) * s).sum()

    m0 = y.sum() / n.sum()
    res = optimize.minimize(nll, [special.logit(m0), special.logit(0.05)], method="L-BFGS-B")
    return special.expit(res.x)


def bench_beta_binomial(units: int, repeat: int, with_r: bool) -> None:
    y, n = bench_units.synthetic(units)
    ss.fit_beta_binomial(y[:100], n[:100])  # warm up imports
    t, fit = best_of(lambda: ss.fit_beta_binomial(y, n), repeat)
    tb, (mu_b, rho_b) = best_of(lambda: _scipy_beta_binomial(y, n), 1)
    record(f"fit_beta_binomial, {units:,} units", t, "SciPy betabinom.logpmf + minimize", tb, "<= 0.25 s",
           t <= 0.25)
    print(f"    estimates: ssstats mu = {fit.mu:.6f}, rho = {fit.rho:.6f}; SciPy mu = {mu_b:.6f}, rho = {rho_b:.6f}")
    if not with_r:
        return
    if shutil.which("Rscript") is None:
        print("    Rscript is not on PATH: VGAM not timed (apt-get install r-base-core r-cran-vgam)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "units.csv"
        pd.DataFrame({"y": y, "n": n}).to_csv(path, index=False)
        script = Path(tmp) / "bench.R"
        script.write_text(bench_units.R_SCRIPT.format(path=path.as_posix()))
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print("    VGAM timing failed:", out.stderr.strip()[-300:])
        return
    t_r, mu_r, rho_r = (float(v) for v in out.stdout.split())
    record(f"fit_beta_binomial, {units:,} units", t, "R VGAM::vglm(betabinomial)", t_r, "~100x faster",
           t_r / t >= 100)
    print(f"    VGAM mu = {mu_r:.6f}, rho = {rho_r:.6f}; ssstats is {t_r / t:.0f}x faster")


# ---------------------------------------------------------------------------------------------------------------
# 3. stepwise bootstrap on the UK 2013 data

def bench_mse_bootstrap(n_boot: int, repeat: int, naive_reps: int) -> None:
    uk = pd.read_csv(ROOT / "data" / "uk2013_modern_slavery_5lists.csv", comment="#")
    lists = [c for c in uk.columns if c != "count"]
    t, res = best_of(lambda: ss.fit_mse(uk, "count", model="stepwise", interval="bootstrap", n_boot=n_boot,
                                        seed=1, progress=False), repeat)
    # baseline: what a user would write without ssstats' batched bootstrap: resample, refit, repeat
    rng = np.random.default_rng(SEED)
    counts = uk["count"].to_numpy()
    draws = rng.multinomial(counts.sum(), counts / counts.sum(), size=naive_reps)

    def naive():
        for d in draws:
            try:
                ss.fit_mse(uk[lists].assign(count=d), "count", model="stepwise")
            except ss.SSStatsError:
                pass

    t_naive, _ = best_of(naive, 1)
    tb = t_naive * n_boot / naive_reps
    record(f"fit_mse stepwise bootstrap, {n_boot:,} replicates", t, f"naive loop ({naive_reps} reps, scaled)",
           tb, "<= 5 s", t <= 5)
    print(f"    UK 2013 estimate {res.estimate:,.0f} ({res.lower:,.0f} to {res.upper:,.0f}); "
          f"published range 10,000 to 13,000")
    return t


#: SparseMSE's stepwise fit with its BCa bootstrap (Chan, Silverman and Vincent), on the same lists
SPARSEMSE_SCRIPT = """
suppressPackageStartupMessages(library(SparseMSE))
z <- read.csv("{path}", comment.char = "#")
t0 <- proc.time()[["elapsed"]]
res <- estimatepopulation(z, nboot = {n_boot}, pthresh = 0.02, iseed = 1, alpha = c(0.025, 0.975))
cat(proc.time()[["elapsed"]] - t0, "\\n")
"""


def bench_sparsemse(n_boot: int, t_ssstats: float, with_r: bool) -> None:
    """Time SparseMSE's stepwise bootstrap in R beside ssstats', when R and SparseMSE are installed."""
    if not with_r:
        return
    if shutil.which("Rscript") is None:
        print("    SparseMSE not timed: Rscript is not on PATH")
        return
    have = subprocess.run(["Rscript", "-e", "quit(status = !requireNamespace('SparseMSE', quietly = TRUE))"],
                          capture_output=True, check=False).returncode == 0
    if not have:
        print("    SparseMSE not timed: the R package is not installed (it is on CRAN only, which these machines "
              "cannot reach, and Debian has no package of it; install.packages('SparseMSE') where CRAN is "
              "reachable and run again)")
        return
    path = ROOT / "data" / "uk2013_modern_slavery_5lists.csv"
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "sparsemse.R"
        script.write_text(SPARSEMSE_SCRIPT.format(path=path.as_posix(), n_boot=n_boot))
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print("    SparseMSE timing failed:", out.stderr.strip()[-300:])
        return
    t_r = float(out.stdout.split()[0])
    record(f"fit_mse stepwise bootstrap, {n_boot:,} replicates", t_ssstats,
           "R SparseMSE::estimatepopulation (stepwise, BCa)", t_r, "(ratio)", None)
    print(f"    ssstats is {t_r / t_ssstats:.0f}x faster than SparseMSE")


# ---------------------------------------------------------------------------------------------------------------
# 4. bias analysis with a million draws

def bench_bias(draws: int, repeat: int) -> None:
    try:
        fn = ss.bias_analysis
    except (AttributeError, ImportError) as e:
        print(f"bias_analysis: not available in this tree ({e}); not timed")
        return
    t, _ = best_of(lambda: fn(1120, ("beta", 16, 84), n_draws=draws, seed=1), repeat)

    def bare():  # the irreducible work: the draws and the correction, nothing else
        p = np.random.default_rng(1).beta(16, 84, size=draws)
        return np.percentile(1120 / p, [2.5, 50, 97.5])

    tb, _ = best_of(bare, repeat)
    record(f"bias_analysis, {draws:,} draws", t, "NumPy: beta draws, divide, percentiles", tb, "<= 1 s", t <= 1)


# ---------------------------------------------------------------------------------------------------------------
# 5. the report

def bench_render() -> None:
    exe = Path(sys.executable).with_name("ssstats")
    cmd = [str(exe) if exe.exists() else "ssstats", "render", "report.qmd", "--to", "html"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    t = time.perf_counter() - t0
    if out.returncode != 0:
        print(f"render failed after {t:.1f} s (exit {out.returncode}):", out.stderr.strip()[-500:])
        return
    record("ssstats render report.qmd --to html", t, "(none)", None, "(printed)", None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1_000_000, help="units for the interval functions")
    ap.add_argument("--bb-units", type=int, default=100_000, help="units for the beta-binomial fit")
    ap.add_argument("--boot", type=int, default=1000, help="bootstrap replicates")
    ap.add_argument("--naive-reps", type=int, default=20, help="replicates of the naive bootstrap baseline")
    ap.add_argument("--draws", type=int, default=1_000_000, help="bias-analysis draws")
    ap.add_argument("--repeat", type=int, default=3, help="timings per benchmark (the best is kept)")
    ap.add_argument("--skip-slow", action="store_true", help="leave out the mid-p and Byar intervals")
    ap.add_argument("--no-render", dest="render", action="store_false",
                    help="leave out the timing of rendering report.qmd to HTML")
    ap.add_argument("--no-r", dest="with_r", action="store_false",
                    help="leave out R's VGAM on the same units (timed by default when Rscript is on PATH)")
    ap.add_argument("--render", action="store_true", default=True, help=argparse.SUPPRESS)  # the old opt-ins
    ap.add_argument("--with-r", action="store_true", default=True, help=argparse.SUPPRESS)
    ap.add_argument("--csv", type=Path, default=None, help="also write the table to this CSV")
    args = ap.parse_args(argv)
    print(f"ssstats {ss.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}; one core; "
          f"best of {args.repeat}\n", flush=True)
    bench_intervals(args.units, args.repeat, args.skip_slow)
    bench_beta_binomial(args.bb_units, args.repeat, args.with_r)
    t_boot = bench_mse_bootstrap(args.boot, args.repeat, args.naive_reps)
    bench_sparsemse(args.boot, t_boot, args.with_r)
    bench_bias(args.draws, args.repeat)
    if args.render:
        bench_render()
    table = pd.DataFrame(ROWS)
    missed = table[table["met"] == "NO"]
    print(f"\n{len(table)} timings; goals missed: {len(missed)}"
          + ("" if missed.empty else " (" + "; ".join(missed["benchmark"]) + ")"))
    if args.csv is not None:
        table.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
