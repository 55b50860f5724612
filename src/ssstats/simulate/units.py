"""SYNTHETIC unit-level returns: :func:`synthetic_units` and :func:`foi_return`.

Everything made here is synthetic: generated from a seed, not observed.  The frames carry a ``synthetic`` column set
to ``True`` and unit ids ``SYN-001``, ``SYN-002``, ...; files written from them say "synthetic" in their names, and
plots and report text that use them say so too.

The generator reproduces the *published totals* exactly (by default 1,374 police reports and 26 charges across 340
units, and the trusts' 19,899 incidents of which 982 were referred to the police), with realistic variation between
units: bed days, negative-binomial incident counts proportional to bed days, and beta-binomial proportions referred
to the police, reported to the police and charged.  Totals are hit by *conditioning* on them, not by rescaling or
rounding (see Notes of :func:`synthetic_units`).

References
----------
.. [1] Johnson, N. L., Kemp, A. W. and Kotz, S. (2005). *Univariate Discrete Distributions*, 3rd ed. Wiley:
   independent Poisson counts conditioned on their sum are multinomial (section 9.1).
.. [2] Ripley, B. D. (1987). *Stochastic Simulation*. Wiley, section 3.2 (rejection sampling: accepted draws
   follow the target distribution exactly, here the distribution conditional on the total).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._validate import SSStatsError, as_one_number, as_positive, as_probability, as_seed

__all__ = ["synthetic_units", "foi_return", "SYNTHETIC_STAGES", "FOI_NOTATIONS"]

#: stage columns made by :func:`synthetic_units`, in cascade order
SYNTHETIC_STAGES = ("incidents", "referred_to_police", "police_reports", "charges")

#: how an FOI return shows a suppressed count of 1 to 4 -> probability of each notation in the synthetic returns
#: (``"*"`` is read back as 1-7, ``"<5"`` as 0-4 and ``"1-4"`` as 1-4 by :func:`ssstats.data.load_units`)
FOI_NOTATIONS: dict[str, float] = {"*": 0.5, "<5": 0.3, "1-4": 0.2}

#: published figure id of each stage's default total (read with :func:`ssstats.data.figure` at call time)
_TOTAL_FIGURES = {
    "incidents": "indy_sky_total_incidents",
    "referred_to_police": "indy_sky_police_referrals",
    "police_reports": "indy_police_reports",
    "charges": "indy_police_charges",
}
_UNITS_FIGURE = "atkins_units"

#: stage -> the stage whose count is its number of trials (its binomial denominator) in the generator
_TRIALS_OF = {"referred_to_police": "incidents", "police_reports": "incidents", "charges": "police_reports"}

_MAX_BATCHES = 200


def _published_totals() -> dict[str, int]:
    from ..data import figure  # data layer; imported lazily so the simulate package loads without it

    return {stage: int(round(float(figure(fid).value))) for stage, fid in _TOTAL_FIGURES.items()}


def _totals(totals: Mapping | None) -> dict[str, int]:
    if totals is not None and not isinstance(totals, Mapping):
        raise SSStatsError(f"`totals` must be a mapping of stage -> total; got {type(totals).__name__}")
    out = _published_totals() if totals is None or set(totals) != set(SYNTHETIC_STAGES) else {}
    if totals is not None:
        for k, v in totals.items():
            if k not in SYNTHETIC_STAGES:
                raise SSStatsError(f"`totals` has an unknown stage {k!r}; stages are {', '.join(SYNTHETIC_STAGES)}")
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 0:
                raise SSStatsError(f"`totals` must hold non-negative whole numbers; got {v!r} for stage {k!r}")
            out[k] = int(v)
    for stage, trials in _TRIALS_OF.items():
        if out[stage] > out[trials]:
            raise SSStatsError(f"`totals`: {stage}={out[stage]} cannot exceed {trials}={out[trials]}, which the "
                               f"generator uses as its number of trials")
    return out


def _multinomial_split(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """Poisson counts with means ``weights`` conditioned on their sum ``total``: multinomial [1]_."""
    return rng.multinomial(total, weights / weights.sum()).astype(np.int64)


def _conditional_beta_binomial(rng: np.random.Generator, trials: np.ndarray, mean: np.ndarray, rho: float,
                               total: int, batch: int, what: str) -> np.ndarray:
    """Beta-binomial counts (unit means ``mean``, intra-unit correlation ``rho``) conditioned on summing to
    ``total``, by rejection [2]_: draw ``batch`` replicates of every unit at once and keep the first whose sum is
    exactly ``total``.  ``mean`` is calibrated so that ``sum(trials * mean) == total``, so the target is the mode
    of the distribution of the sum and few batches are needed."""
    n = trials.size
    if total == 0:
        return np.zeros(n, dtype=np.int64)
    if rho > 0:
        a = mean * (1 - rho) / rho
        b = (1 - mean) * (1 - rho) / rho
    for _ in range(_MAX_BATCHES):
        p = rng.beta(a, b, size=(batch, n)) if rho > 0 else np.broadcast_to(mean, (batch, n))
        x = rng.binomial(trials, p)
        hit = np.flatnonzero(x.sum(axis=1) == total)
        if hit.size:
            return x[hit[0]].astype(np.int64)
    raise SSStatsError(  # pragma: no cover - the target is the mode of the sum, so this needs absurd parameters
        f"could not draw {what} summing to {total} in {_MAX_BATCHES * batch} replicates; lower `rho_{what}`")


def _calibrated_mean(trials: np.ndarray, relative: np.ndarray, total: int, what: str) -> np.ndarray:
    """Unit means proportional to ``relative`` with ``sum(trials * mean) == total``."""
    mean = relative * total / float(np.sum(trials * relative))
    if np.any(mean >= 1):
        raise SSStatsError(f"the {what} total ({total}) is too large for the trials available; the calibrated "
                           f"proportion reaches {float(mean.max()):.3g} in some unit")
    return np.maximum(mean, 1e-12)


def synthetic_units(seed, n_units: int | None = None, *, totals: Mapping[str, int] | None = None,
                    n_providers: int = 50, beds_median: float = 16.0, beds_sigma: float = 0.35,
                    days: int = 730, incident_theta: float = 2.0, mixed_share: float = 0.35,
                    mixed_rate_ratio: float = 1.5, independent_share: float = 0.25,
                    independent_referral_ratio: float = 0.75, rho_referral: float = 0.10,
                    rho_police: float = 0.10, rho_charge: float = 0.05,
                    censor_stages: Sequence[str] = ("referred_to_police", "charges"), censor_prob: float = 0.3,
                    period: str = "2022-2023", batch: int = 4000) -> pd.DataFrame:
    """Make SYNTHETIC unit-level returns whose totals equal the published ones exactly.

    Parameters
    ----------
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Required; the same seed gives the same frame.
    n_units : int, optional
        Number of units (wards).  Default: the published 340 (figure ``atkins_units``).
    totals : mapping of stage -> int, optional
        Totals to hit exactly for ``incidents``, ``referred_to_police``, ``police_reports`` and ``charges``.
        Stages not given take the published figures (``indy_sky_total_incidents`` 19,899,
        ``indy_sky_police_referrals`` 982, ``indy_police_reports`` 1,374, ``indy_police_charges`` 26).
    n_providers : int
        Number of providers (trusts); units are spread over them, and ``sector`` is a property of the provider.
    beds_median, beds_sigma : float
        Beds per unit: the ceiling of a lognormal with this median and log-scale standard deviation.
    days : int
        Length of the period in days; bed days = beds x occupancy (Beta(18, 2), mean 0.9) x days.
    incident_theta : float
        Negative-binomial shape of the incident counts (gamma frailty with mean 1 and variance 1/theta).
    mixed_share, mixed_rate_ratio : float
        Share of mixed-sex units, and their incident rate per bed day relative to single-sex units.
    independent_share, independent_referral_ratio : float
        Share of providers in the independent sector, and their mean referral proportion relative to NHS units.
    rho_referral, rho_police, rho_charge : float
        Intra-unit correlation rho of the beta-binomial proportions (VGAM's parametrisation,
        rho = 1 / (1 + alpha + beta)); 0 gives plain binomials.
    censor_stages : sequence of str
        Stages whose small counts may be suppressed in the FOI-style view (:func:`foi_return`).
    censor_prob : float
        Probability that a cell of a censored stage holding 1 to 4 is suppressed; the notation is drawn from
        :data:`FOI_NOTATIONS` (``"*"``, ``"<5"``, ``"1-4"``).
    period : str
        The ``period`` written in every row.
    batch : int
        Replicates drawn at once in the rejection step (memory: about ``batch x n_units x 16`` bytes).

    Returns
    -------
    pandas.DataFrame
        One row per synthetic unit: ``unit_id`` (``SYN-001``, ...), ``provider``, ``period``, ``ward_type``
        (``mixed`` / ``single-sex``), ``sector`` (``NHS`` / ``independent``), ``beds``, ``bed_days``, the true
        counts ``incidents``, ``referred_to_police``, ``police_reports``, ``charges`` (int64), for each stage in
        ``censor_stages`` a text column ``<stage>_shown`` (the count as an FOI return shows it: the number, or
        ``"*"``, ``"<5"``, ``"1-4"``), and ``synthetic`` (always ``True``).  ``attrs`` records the seed, the totals
        and the number of suppressed cells per stage.

    Raises
    ------
    SSStatsError
        A missing or bad seed, a non-positive size or parameter, a probability outside [0, 1], an unknown stage,
        ``censor_stages`` not a sequence of stage names, ``period`` not text, or totals whose later stage exceeds
        its trials (e.g. more charges than police reports).

    Notes
    -----
    The generator, unit by unit, with every step vectorised over units:

    1. beds ~ ceil(LogNormal(log ``beds_median``, ``beds_sigma``)), occupancy ~ Beta(18, 2), bed days = beds x
       occupancy x ``days`` (rounded to whole days);
    2. incidents: a gamma frailty u ~ Gamma(theta, 1/theta) per unit and Poisson means proportional to bed days x
       (``mixed_rate_ratio`` on mixed wards) x u, i.e. negative-binomial counts; conditioned on their total they are
       multinomial with probabilities proportional to the means [1]_, which hits the incident total exactly;
    3. referred to police and police reports: beta-binomial out of the unit's incidents, charges: beta-binomial
       out of its police reports, each with mean proportions calibrated so that the expected total is the target
       and then *conditioned* on the total by rejection sampling [2]_ (replicates are drawn in batches; the first
       whose sum equals the total is kept).  Conditioning keeps the beta-binomial shape of the variation between
       units, unlike rescaling and rounding;
    4. suppression: in each stage of ``censor_stages``, each cell holding 1 to 4 is suppressed with probability
       ``censor_prob``.

    The referral column (trust returns) and the police columns (police returns) come from different sources and
    periods in the published data (982 referrals over about five years; 1,374 police reports over two): here they
    sit on one row per unit for demonstration, both drawn out of the unit's incidents, and **are not nested** (a
    unit may have more police reports than referrals).  Police reports never exceed incidents, nor charges police
    reports.

    Examples
    --------
    >>> units = synthetic_units(seed=1)  # doctest: +SKIP
    >>> int(units["police_reports"].sum()), int(units["charges"].sum())  # doctest: +SKIP
    (1374, 26)
    """
    rng = as_seed(seed)
    for name, v in (("n_units", n_units), ("n_providers", n_providers), ("days", days), ("batch", batch)):
        if v is None and name == "n_units":
            continue
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
            raise SSStatsError(f"`{name}` must be a whole number of at least 1; got {v!r}")
    beds_median = as_one_number(beds_median, "beds_median", as_positive)
    beds_sigma = as_one_number(beds_sigma, "beds_sigma", as_positive)
    theta = as_one_number(incident_theta, "incident_theta", as_positive)
    mixed_rate_ratio = as_one_number(mixed_rate_ratio, "mixed_rate_ratio", as_positive)
    independent_referral_ratio = as_one_number(independent_referral_ratio, "independent_referral_ratio", as_positive)
    mixed_share = as_one_number(mixed_share, "mixed_share", as_probability)
    independent_share = as_one_number(independent_share, "independent_share", as_probability)
    censor_prob = as_one_number(censor_prob, "censor_prob", as_probability)
    rhos = {}
    for name, v in (("rho_referral", rho_referral), ("rho_police", rho_police), ("rho_charge", rho_charge)):
        r = as_one_number(v, name, as_probability)
        if r >= 1:
            raise SSStatsError(f"`{name}` must be below 1 (1 means every unit is all-or-nothing); got {v!r}")
        rhos[name] = r
    if isinstance(censor_stages, str):
        censor_stages = (censor_stages,)
    if isinstance(censor_stages, Mapping) or not isinstance(censor_stages, Sequence):
        raise SSStatsError(f"`censor_stages` must be a stage name or a sequence of them (stages are "
                           f"{', '.join(SYNTHETIC_STAGES)}); got {censor_stages!r}")
    if not isinstance(period, str) or not period.strip():
        raise SSStatsError(f"`period` must be non-empty text (e.g. '2022-2023'); got {period!r}")
    for s in censor_stages:
        if s not in SYNTHETIC_STAGES:
            raise SSStatsError(f"`censor_stages` has an unknown stage {s!r}; stages are {', '.join(SYNTHETIC_STAGES)}")
    tot = _totals(totals)
    if n_units is None:
        from ..data import figure

        n_units = int(round(float(figure(_UNITS_FIGURE).value)))
    n = int(n_units)
    n_providers = min(int(n_providers), n)

    # units, providers and covariates
    width = max(3, len(str(n)))
    unit_id = np.array([f"SYN-{i:0{width}d}" for i in range(1, n + 1)])
    pwidth = max(2, len(str(n_providers)))
    provider_of = np.sort(rng.integers(0, n_providers, size=n))
    provider_of[:n_providers] = np.arange(n_providers)  # every provider runs at least one unit
    provider_of = np.sort(provider_of)
    independent_provider = rng.random(n_providers) < independent_share
    independent = independent_provider[provider_of]
    mixed = rng.random(n) < mixed_share

    # 1. exposure
    beds = np.ceil(beds_median * np.exp(beds_sigma * rng.standard_normal(n))).astype(np.int64)
    occupancy = rng.beta(18.0, 2.0, size=n)
    bed_days = np.maximum(np.round(beds * occupancy * days), 1.0)

    # 2. incidents: negative binomial (gamma-Poisson) conditioned on the total -> multinomial given the frailties
    frailty = rng.gamma(theta, 1.0 / theta, size=n)
    rate = np.where(mixed, mixed_rate_ratio, 1.0)
    incidents = _multinomial_split(rng, tot["incidents"], bed_days * rate * frailty)

    # 3. beta-binomial stages conditioned on their totals
    ref_rel = np.where(independent, independent_referral_ratio, 1.0)
    ref_mean = _calibrated_mean(incidents, ref_rel, tot["referred_to_police"], "referred_to_police")
    referred = _conditional_beta_binomial(rng, incidents, ref_mean, rhos["rho_referral"],
                                          tot["referred_to_police"], batch, "referral")
    pol_mean = _calibrated_mean(incidents, np.ones(n), tot["police_reports"], "police_reports")
    police = _conditional_beta_binomial(rng, incidents, pol_mean, rhos["rho_police"], tot["police_reports"],
                                        batch, "police")
    chg_mean = _calibrated_mean(police, np.ones(n), tot["charges"], "charges")
    charges = _conditional_beta_binomial(rng, police, chg_mean, rhos["rho_charge"], tot["charges"], batch,
                                         "charge")

    frame = pd.DataFrame({
        "unit_id": unit_id,
        "provider": np.array([f"SYN-TRUST-{j + 1:0{pwidth}d}" for j in range(n_providers)])[provider_of],
        "period": period,
        "ward_type": np.where(mixed, "mixed", "single-sex"),
        "sector": np.where(independent, "independent", "NHS"),
        "beds": beds,
        "bed_days": bed_days,
        "incidents": incidents,
        "referred_to_police": referred,
        "police_reports": police,
        "charges": charges,
    })

    # 4. suppression of small cells in the FOI-style view
    notations = np.array(list(FOI_NOTATIONS))
    probs = np.array(list(FOI_NOTATIONS.values()))
    n_censored = {}
    for stage in SYNTHETIC_STAGES:
        if stage not in censor_stages:
            continue
        x = frame[stage].to_numpy()
        hide = (x >= 1) & (x <= 4) & (rng.random(n) < censor_prob)
        notation = notations[rng.choice(notations.size, size=n, p=probs)]
        frame[f"{stage}_shown"] = np.where(hide, notation, x.astype(str))
        n_censored[stage] = int(hide.sum())
    frame["synthetic"] = True
    frame.attrs.update(synthetic=True, seed=seed if isinstance(seed, (int, np.integer)) else None,
                       totals=tot, censored=n_censored)
    return frame


def foi_return(units: pd.DataFrame) -> pd.DataFrame:
    """The frame as an FOI return shows it: each ``<stage>_shown`` text column replaces its true counts.

    Parameters
    ----------
    units : pandas.DataFrame
        Output of :func:`synthetic_units`.

    Returns
    -------
    pandas.DataFrame
        The same rows and columns in the same order, without the ``*_shown`` columns, with each censored stage as
        text (``"12"``, ``"*"``, ``"<5"``, ``"1-4"``).  Still SYNTHETIC: the ``synthetic`` column is kept.

    Examples
    --------
    >>> foi_return(synthetic_units(seed=1)).to_csv("data/synthetic_units.csv", index=False)  # doctest: +SKIP
    """
    if not isinstance(units, pd.DataFrame) or "synthetic" not in units.columns:
        raise SSStatsError("`units` must be a frame made by synthetic_units (it has no `synthetic` column)")
    out = units.copy()
    for col in [c for c in units.columns if c.endswith("_shown")]:
        out[col[: -len("_shown")]] = out.pop(col)
    return out
