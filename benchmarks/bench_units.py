"""Benchmark: beta-binomial fit across 100,000 units (synthetic data, seeded).

Prints the best of several wall-clock times of ``ssstats.fit_beta_binomial`` on one core (the whole fit:
estimates, observed information and profile-likelihood intervals).  If ``Rscript`` is on PATH, times
``VGAM::vglm(cbind(y, n - y) ~ 1, betabinomial)`` on the same data and prints the ratio.

Goal (issue 3): at most 0.25 s, about a hundredth of VGAM's time (VGAM took 12 s here on 23 Nov 2026).

Usage: ``python benchmarks/bench_units.py [--units 100000] [--no-r]``
"""

from __future__ import annotations

import argparse
import os
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


def synthetic(units: int, seed: int = 20261123):
    """Synthetic units: trials ~ 1 + NegBin(mean 20), proportions ~ Beta(mu = 0.1, rho = 0.05)."""
    rng = np.random.default_rng(seed)
    n = 1 + rng.negative_binomial(2, 2 / (2 + 20), size=units)
    mu, rho = 0.1, 0.05
    s = (1 - rho) / rho
    p = rng.beta(mu * s, (1 - mu) * s, size=units)
    y = rng.binomial(n, p)
    return y, n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-r", action="store_true")
    args = ap.parse_args()
    y, n = synthetic(args.units)
    ss.fit_beta_binomial(y[:100], n[:100])  # warm up imports
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        fit = ss.fit_beta_binomial(y, n)
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f"fit_beta_binomial on {args.units:,} synthetic units: {best:.3f} s (best of {args.repeat}; "
          f"goal <= 0.25 s); mu = {fit.mu:.6f}, rho = {fit.rho:.6f}")
    if args.no_r or shutil.which("Rscript") is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "units.csv"
        pd.DataFrame({"y": y, "n": n}).to_csv(path, index=False)
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT.format(path=path.as_posix()))
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print("VGAM timing failed:", out.stderr.strip()[-500:])
        return
    t_r, mu_r, rho_r = (float(v) for v in out.stdout.split())
    print(f"VGAM::vglm(betabinomial) on the same data: {t_r:.2f} s; mu = {mu_r:.6f}, rho = {rho_r:.6f}")
    print(f"speed-up: {t_r / best:.0f}x")


if __name__ == "__main__":
    main()
