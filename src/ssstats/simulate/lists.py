"""SYNTHETIC linked lists for multiple systems estimation: :func:`synthetic_linked_lists`.

Everything made here is synthetic: generated from a seed, not observed.  A closed population of incidents is
simulated, each with a latent severity; each incident may appear on three lists -- the ward's incident report
(e.g. Datix), a safeguarding referral, a police report -- with probabilities that rise with severity (so the lists
are positively dependent through heterogeneity) and with a direct dependence: a safeguarding referral or a police
report is more likely once an incident has been reported on the ward.  The frame of capture-history counts carries
a ``synthetic`` column set to ``True`` and the true total in ``frame.attrs["true_total"]``.

It shows how MSE would be used on linked FOI or incident data, and how the independence model under-estimates
when lists are positively dependent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from .._validate import SSStatsError, as_one_number, as_probability, as_seed

__all__ = ["synthetic_linked_lists", "SYNTHETIC_LISTS"]

#: list columns made by :func:`synthetic_linked_lists`
SYNTHETIC_LISTS = ("incident_report", "safeguarding_referral", "police_report")


def synthetic_linked_lists(seed=None, n_true: int = 2000, base_rates=(0.55, 0.25, 0.08),
                           severity_effect: float = 0.8, dependence: float = 1.0) -> pd.DataFrame:
    """Simulate SYNTHETIC linked incident lists with a known true total.

    Parameters
    ----------
    seed : int or numpy.random.Generator
        Required: the lists reproduce from it.
    n_true : int
        Number of incidents in the (closed) population.
    base_rates : three floats in (0, 1)
        Probability that an incident of average severity appears on the incident-report, safeguarding-referral
        and police-report lists (before the dependence below).
    severity_effect : float
        Log-odds increase per standard deviation of severity on every list (heterogeneity).
    dependence : float
        Log-odds increase of a safeguarding referral and of a police report when the incident was reported on the
        ward.

    Returns
    -------
    pandas.DataFrame
        ``incident_report, safeguarding_referral, police_report, count, synthetic``: one row per observed capture
        history; ``attrs["true_total"]`` is ``n_true`` and ``attrs["synthetic"]`` is True.

    Raises
    ------
    SSStatsError
        If ``seed`` is missing or bad, ``n_true`` is not a positive integer, ``base_rates`` are not three
        probabilities strictly between 0 and 1, or ``severity_effect`` or ``dependence`` is not one finite number.
    """
    rng = as_seed(seed)
    if not isinstance(n_true, (int, np.integer)) or isinstance(n_true, bool) or n_true < 1:
        raise SSStatsError(f"`n_true` must be a positive integer; got {n_true!r}")
    rates = as_probability(base_rates, "base_rates", open_interval=True)
    if np.ndim(base_rates) != 1 or rates.shape != (3,):
        raise SSStatsError(f"`base_rates` must be three probabilities strictly between 0 and 1 (one per list: "
                           f"{', '.join(SYNTHETIC_LISTS)}); got {base_rates!r}")
    severity_effect = as_one_number(severity_effect, "severity_effect")
    dependence = as_one_number(dependence, "dependence")
    severity = rng.standard_normal(n_true)
    logit = special.logit(rates)[None, :] + severity_effect * severity[:, None]
    on_ward = rng.random(n_true) < special.expit(logit[:, 0])
    later = special.expit(logit[:, 1:] + dependence * on_ward[:, None])
    others = rng.random((n_true, 2)) < later
    H = np.column_stack([on_ward, others]).astype(int)
    seen = H.any(axis=1)
    codes = H[seen] @ np.array([1, 2, 4])
    counts = np.bincount(codes, minlength=8)[1:]
    hist = ((np.arange(1, 8)[:, None] >> np.arange(3)[None, :]) & 1)
    keep = counts > 0
    out = pd.DataFrame(hist[keep], columns=list(SYNTHETIC_LISTS))
    out["count"] = counts[keep]
    out["synthetic"] = True
    out.attrs.update(true_total=int(n_true), synthetic=True)
    return out
