"""Data-generating mechanisms with known truth, for validation (docs/methods.md#s8).

All randomness goes through ``numpy.random.Generator`` objects made from explicit seeds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def nb_counts(mu: np.ndarray, alpha: float, rng: np.random.Generator) -> np.ndarray:
    """Draw NB2 counts with mean ``mu`` and ``Var = mu + alpha mu^2`` (Poisson when alpha=0)."""
    mu = np.asarray(mu, dtype=float)
    if alpha <= 0:
        return rng.poisson(mu)
    shape = 1.0 / alpha
    return rng.poisson(rng.gamma(shape, mu / shape))


def certification_counts(
    bases: dict[str, float],
    growth: dict[str, float],
    years: int,
    alpha: float,
    rng: np.random.Generator,
    first_year: int = 2017,
) -> pd.DataFrame:
    """Annual new-credential counts per region: ``log mu = log base + log(1+g) t``.

    Returns a clean-format table (period, period_start, freq, region, certification, count,
    count_basis) with ``certification = "all"``.
    """
    rows = []
    t = np.arange(years)
    for region, base in bases.items():
        mu = base * (1 + growth[region]) ** t
        y = nb_counts(mu, alpha, rng)
        for i in range(years):
            rows.append(
                {
                    "period": str(first_year + i),
                    "period_start": pd.Timestamp(first_year + i, 1, 1),
                    "freq": "Y",
                    "country_iso3": None,
                    "region": region,
                    "subregion": region,
                    "certification": "all",
                    "count": int(y[i]),
                    "count_basis": "new",
                }
            )
    return pd.DataFrame(rows)


COUNTRY_OF = {
    "North America": "United States",
    "Europe": "Germany",
    "Asia-Pacific": "India",
    "Latin America": "Brazil",
}
CERTS = ("CKA", "Certified Kubernetes Application Developer", "cks", "KCNA")


def certification_records(counts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Expand counts into one raw record per credential (messy spellings, unique ids)."""
    parts = []
    for r in counts.itertuples(index=False):
        n = int(r.count)
        if n == 0:
            continue
        day = rng.integers(0, 365, n)
        dates = pd.Timestamp(int(r.period), 1, 1) + pd.to_timedelta(day, unit="D")
        fmt = rng.integers(0, 3, n)
        text = np.where(
            fmt == 0,
            dates.strftime("%Y-%m-%d"),
            np.where(fmt == 1, dates.strftime("%d/%m/%Y"), dates.strftime("%B %Y")),
        )
        parts.append(
            pd.DataFrame(
                {
                    "date": text,
                    "certification": rng.choice(CERTS, n),
                    "location": f"Some City, {COUNTRY_OF.get(r.region, r.region)}",
                }
            )
        )
    out = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["date", "certification", "location"])
    )
    out["credential_id"] = [f"id-{i}" for i in range(len(out))]
    return out.astype("str")


def pay_sample(
    levels: dict[str, float],
    n: dict[str, int],
    exp_mix: dict[str, dict[str, float]],
    exp_effect: dict[str, float],
    sigma: dict[str, float],
    rng: np.random.Generator,
    tau: float = 0.0,
    countries_per_group: int = 1,
) -> pd.DataFrame:
    """Hourly rates with known group medians (at the reference experience) and experience effect.

    ``log rate = log level_g + exp_effect[e] + u_country + eps``, ``eps ~ N(0, sigma_g^2)``;
    experience mixes differ by group, so raw medians reflect the mix while the adjusted ratio
    ``exp(gamma_g)`` equals ``level_g / level_base``.
    """
    parts = []
    for g, level in levels.items():
        levels_e = list(exp_mix[g])
        e = rng.choice(levels_e, size=n[g], p=[exp_mix[g][k] for k in levels_e])
        country = rng.integers(0, countries_per_group, n[g])
        u = rng.normal(0, tau, countries_per_group)[country] if tau > 0 else 0.0
        log_rate = (
            np.log(level)
            + pd.Series(e).map(exp_effect).to_numpy()
            + u
            + rng.normal(0, sigma[g], n[g])
        )
        parts.append(
            pd.DataFrame(
                {
                    "group": g,
                    "experience": e,
                    "country_iso3": [f"{g[:3]}{c}" for c in country],
                    "hourly_usd": np.exp(log_rate),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


#: Synthetic economies for the regional validation: (ISO2, region of the article scheme, base
#: quarterly mean). Two sit near the 100-developer floor, so they enter and leave the table.
ECONOMIES = (
    ("DE", "Europe", 2000.0),
    ("FR", "Europe", 600.0),
    ("PT", "Europe", 110.0),
    ("IN", "Asia-Pacific", 800.0),
    ("VN", "Asia-Pacific", 95.0),
    ("BR", "Latin America", 300.0),
)
#: Members of the synthetic ``EU`` aggregate row (the sum of their published cells).
EU_MEMBERS = ("DE", "FR", "PT")


def activity_counts(
    growth: dict[str, float],
    alpha: float,
    rng: np.random.Generator,
    first_year: int = 2021,
    years: int = 4,
    topic: str = "kubernetes",
    seasons: tuple[float, ...] = (1.0, 1.06, 0.94, 1.0),
    floor: int = 101,
    year_sd: float = 0.0,
) -> pd.DataFrame:
    """Innovation-Graph-like quarterly topic pushers with a known regional growth.

    ``mu = base * exp(log(1 + g_region) * t + u_(economy, year)) * season``, t in years,
    ``u ~ N(0, year_sd^2)`` a shock lasting the calendar year (0: none), NB2 noise with
    ``alpha``; a cell below ``floor`` is unpublished (absent, never zero), as upstream; an
    ``EU`` row carries the sum of its members' published cells. The annual sums of any fixed
    set of a region's economies grow by exactly ``g_region`` in expectation. Returns the raw
    ``topics.csv`` layout (``num_pushers, topic, iso2_code, year, quarter``, all text).
    """
    rows = []
    q = np.arange(4 * years)
    t = q / 4.0
    season = np.array(seasons)[q % 4]
    published: dict[tuple[str, int], int] = {}
    for iso2, region, base in ECONOMIES:
        shock = rng.normal(0.0, year_sd, years)[q // 4] if year_sd > 0 else 0.0
        mu = base * np.exp(np.log1p(growth[region]) * t + shock) * season
        y = nb_counts(mu, alpha, rng)
        for i in range(len(q)):
            if y[i] >= floor:
                published[(iso2, i)] = int(y[i])
                rows.append((int(y[i]), iso2, first_year + i // 4, i % 4 + 1))
    for i in range(len(q)):
        total = sum(published.get((m, i), 0) for m in EU_MEMBERS)
        if total:
            rows.append((total, "EU", first_year + i // 4, i % 4 + 1))
    return pd.DataFrame(
        {
            "num_pushers": [str(r[0]) for r in rows],
            "topic": topic,
            "iso2_code": [r[1] for r in rows],
            "year": [str(r[2]) for r in rows],
            "quarter": [str(r[3]) for r in rows],
        }
    )


def standardized_skewed(shape: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` skew-normal values of ``shape`` standardized to mean 0, SD 1 (0: normal)."""
    if shape == 0:
        return rng.standard_normal(n)
    dist = stats.skewnorm(shape)
    return (dist.rvs(size=n, random_state=rng) - dist.mean()) / dist.std()


def country_pay(
    effects: dict[str, float],
    sizes: dict[str, int],
    rng: np.random.Generator,
    group: str = "R",
    base_n: int = 2000,
    base_median: float = 100.0,
    sigma: float = 0.5,
    senior_share: dict[str, float] | None = None,
    senior_effect: float = 0.0,
    skew: float = 0.0,
) -> pd.DataFrame:
    """Hourly pay rows with known country effects: ``log pay = log m_base + theta_c + e``.

    ``effects``: each country's log ratio to the base median; ``sizes``: its rows. The base
    group (``Base``, one country ``BAS``) has ``base_n`` rows around ``base_median``; errors are
    normal with SD ``sigma`` on the log scale (so each country's median ratio is
    ``exp(theta_c)``). With ``senior_share`` (a country's share of senior rows; the base's is
    0.5) senior rows earn ``senior_effect`` more on the log scale: ``theta_c`` is then the
    country's effect for a *comparable* specialist, and its raw median ratio differs from it by
    its job mix. ``skew`` > 0 draws the log-scale errors from a skew-normal of that shape,
    standardized to mean 0 and SD ``sigma`` (every group alike, so a country's median ratio is
    still ``exp(theta_c)``). Returns ``group``, ``country_iso3``, ``experience``,
    ``hourly_usd``.
    """

    def rows(grp: str, country: str, theta: float, n: int, share: float) -> pd.DataFrame:
        senior = rng.random(n) < share if share > 0 else np.zeros(n, dtype=bool)
        log_pay = theta + senior_effect * senior + sigma * standardized_skewed(skew, n, rng)
        return pd.DataFrame(
            {
                "group": grp,
                "country_iso3": country,
                "experience": np.where(senior, "SE", "MI"),
                "hourly_usd": base_median * np.exp(log_pay),
            }
        )

    shares = senior_share or {}
    parts = [rows("Base", "BAS", 0.0, base_n, 0.5 if shares else 0.0)]
    parts += [rows(group, c, theta, sizes[c], shares.get(c, 0.0)) for c, theta in effects.items()]
    return pd.concat(parts, ignore_index=True)


#: The Kaggle survey's yearly pay bands (USD): ``[edge_i, edge_i+1)``, the top one open.
KAGGLE_BAND_EDGES = (
    0,
    1_000,
    2_000,
    3_000,
    4_000,
    5_000,
    7_500,
    10_000,
    15_000,
    20_000,
    25_000,
    30_000,
    40_000,
    50_000,
    60_000,
    70_000,
    80_000,
    90_000,
    100_000,
    125_000,
    150_000,
    200_000,
    250_000,
    300_000,
    500_000,
    1_000_000,
    np.inf,
)


def banded(
    values: np.ndarray, edges: tuple[float, ...] = KAGGLE_BAND_EDGES
) -> tuple[np.ndarray, np.ndarray]:
    """Return each value's band ``[low, high)`` as the survey would record it."""
    e = np.asarray(edges, dtype=float)
    i = np.searchsorted(e, np.asarray(values, dtype=float), side="right") - 1
    i = np.clip(i, 0, len(e) - 2)
    return e[i], e[i + 1]


def banded_country_pay(
    effects: dict[str, float],
    sizes: dict[str, int],
    rng: np.random.Generator,
    base_n: int = 3000,
    base_median: float = 110_000.0,
    sigma: float = 0.8,
    skew: float = 0.0,
) -> pd.DataFrame:
    """Banded yearly pay with known country effects (as ``country_pay``, in the survey's bands).

    Returns ``group``, ``country_iso3``, ``pay_low_usd``, ``pay_high_usd`` (and the unbanded
    ``annual_usd`` the test compares with); a country's true median ratio is ``exp(theta_c)``.
    """
    names = ["BAS", *effects]
    n = np.array([base_n, *(sizes[c] for c in effects)])
    theta = np.repeat(np.array([0.0, *effects.values()]), n)
    annual = base_median * np.exp(theta + sigma * standardized_skewed(skew, int(n.sum()), rng))
    low, high = banded(annual)
    return pd.DataFrame(
        {
            "group": np.repeat(["Base"] + ["R"] * len(effects), n),
            "country_iso3": np.repeat(names, n),
            "annual_usd": annual,
            "pay_low_usd": low,
            "pay_high_usd": high,
        }
    )
