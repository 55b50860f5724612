"""Benchmark: beta-binomial fit across 100,000 units (synthetic data, seeded), in two cases.

* ``negbin`` (the headline case, also used by ``run.py``): trials 1 + NegBin(mean 20), so the units collapse
  into a few thousand distinct (successes, trials) pairs;
* ``uniform``: trials uniform on 1..5000, so almost every unit is its own (successes, trials) pair (about 95,000
  distinct pairs) and the largest number of trials is 5,000;
* ``large-n``: trials uniform on 1..100,000, with 340 units (few units, large n: the per-pair log-gamma form) and
  with 100,000 units (the k-tables), and 339 units of up to 50 trials plus one of 150,000 (before the likelihood
  form was chosen by cost these took ~15 s, ~10 s and ~4 s of CPU, against 0.3 s with the one unit at 250,000).

For each case prints the best of several wall-clock times of ``ssstats.fit_beta_binomial`` on one core (the
whole fit: estimates, observed information and profile-likelihood intervals for mu, rho, alpha and beta) and the
CPU time of that run.  If ``Rscript`` is on PATH, times ``VGAM::vglm(cbind(y, n - y) ~ 1, betabinomial)`` on the
``negbin`` data and prints the ratio.

Goal (issue 3): at most 0.25 s in both cases, about a hundredth of VGAM's time.  VGAM took about 10 s here on
the ``negbin`` data (1 Dec 2026, 10.3 s wall on a lightly loaded machine; 42 s while other jobs shared the two
cores): compare figures from one run, and the CPU times when the machine is busy.

Usage: ``python benchmarks/bench_units.py [--units 100000] [--repeat 5] [--no-r]``
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # one core

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import ssstats as ss  # noqa: E402

R_SCRIPT = """
suppressMessages(library(VGAM))
d <- read.csv("{path}")
t <- system.time(fit <- vglm(cbind(y, n - y) ~ 1, betabinomial, data = d))[["elapsed"]]
cf <- Coef(fit)
cat(sprintf("%.6f %.10f %.10f\\n", t, cf[["mu"]], cf[["rho"]]))
"""


def synthetic(units: int, seed: int = 20261123, trials: str = "negbin", nmax: int = 5000):
    """Synthetic units: proportions ~ Beta(mu = 0.1, rho = 0.05); trials ~ 1 + NegBin(mean 20) (``"negbin"``)
    or uniform on 1..nmax (``"uniform"``: nearly every unit a distinct (successes, trials) pair)."""
    rng = np.random.default_rng(seed)
    if trials == "uniform":
        n = rng.integers(1, nmax + 1, size=units)
    else:
        n = 1 + rng.negative_binomial(2, 2 / (2 + 20), size=units)
    mu, rho = 0.1, 0.05
    s = (1 - rho) / rho
    p = rng.beta(mu * s, (1 - mu) * s, size=units)
    y = rng.binomial(n, p)
    return y, n


def _timed(y, n, repeat):
    times = []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fit = ss.fit_beta_binomial(y, n)
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    return min(t[0] for t in times), min(t[1] for t in times), fit


def large_n(repeat):
    """Few units with many trials, many units with many trials, and one large unit among small ones."""
    cases = {}
    for units in (340, 100_000):
        cases[f"{units:,} units, trials uniform on 1..100,000"] = synthetic(units, trials="uniform", nmax=100_000)
    y, n = synthetic(339, trials="uniform", nmax=50)
    cases["339 units of 1..50 trials + one of 150,000"] = (np.append(y, 15_000), np.append(n, 150_000))
    for name, (y, n) in cases.items():
        best, cpu, fit = _timed(y, n, repeat)
        print(f"fit_beta_binomial, large n: {name}: {best:.3f} s wall, {cpu:.3f} s CPU (best of {repeat}); "
              f"mu = {fit.mu:.6f}, rho = {fit.rho:.6f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-r", action="store_true")
    args = ap.parse_args()
    ss.fit_beta_binomial([0, 1, 3, 2], [5, 6, 7, 8])  # warm up imports
    for case in ("negbin", "uniform"):
        y, n = synthetic(args.units, trials=case)
        pairs = np.unique(y.astype(np.int64) * (int(n.max()) + 1) + n).size
        best, cpu, fit = _timed(y, n, args.repeat)  # each the best of the runs
        print(f"fit_beta_binomial on {args.units:,} synthetic units, trials {case} ({pairs:,} distinct pairs, "
              f"largest n {int(n.max()):,}): {best:.3f} s wall, {cpu:.3f} s CPU (best of {args.repeat}; goal <= "
              f"0.25 s); mu = {fit.mu:.6f}, rho = {fit.rho:.6f}")
        if case == "negbin":
            y_r, n_r, best_r = y, n, best
    y, n, best = y_r, n_r, best_r
    large_n(args.repeat)
    if args.no_r or shutil.which("Rscript") is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "units.csv"
        pd.DataFrame({"y": y, "n": n}).to_csv(path, index=False)
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT.format(path=path.as_posix()))
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=False)
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_r = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
    if out.returncode != 0:
        print("VGAM timing failed:", out.stderr.strip()[-500:])
        return
    t_r, mu_r, rho_r = (float(v) for v in out.stdout.split())
    print(f"VGAM::vglm(betabinomial) on the negbin data: {t_r:.2f} s wall (the fit; {cpu_r:.2f} s CPU for the "
          f"whole Rscript run, with R's start-up and reading the data); mu = {mu_r:.6f}, rho = {rho_r:.6f}")
    print(f"speed-up: {t_r / best:.0f}x")


if __name__ == "__main__":
    main()
