"""Banded (interval-censored) pay: parsing, the interpolated median, and its intervals.

Generated data with known truth (``simulate.banded_country_pay``: lognormal pay in the Kaggle
survey's bands) and the real Kaggle files (respondents per country as SOURCE.md counts them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketlib.arbitrage.bands import banded_median, banded_ratios
from marketlib.clean.pay_bands import band_bounds
from marketlib.simulate import KAGGLE_BAND_EDGES, banded, banded_country_pay


def test__band_bounds__parses_every_kaggle_band_and_refuses_others():
    texts = pd.Series(
        [
            "$0-999",
            "1,000-1,999",
            "300,000-499,999",
            "$500,000-999,999",
            ">$1,000,000",
            "> $1,000,000",
            "abc",
            "5-3",
            "",
        ]
    )
    b = band_bounds(texts)
    assert b["low"].tolist()[:6] == [0, 1000, 300000, 500000, 1e6, 1e6]
    assert b["high"].tolist()[:6] == [1000, 2000, 500000, 1e6, np.inf, np.inf]
    assert b.iloc[6:].isna().all().all()


def test__banded_median__is_the_grouped_median_interpolated_on_the_log_scale():
    # 10 respondents in [1000, 2000), 10 in [2000, 3000): the median is the edge, 2000
    low = np.array([1000.0] * 10 + [2000.0] * 10)
    high = np.array([2000.0] * 10 + [3000.0] * 10)
    assert banded_median(low, high).median == pytest.approx(2000.0)
    # 3 below, 4 inside [2000, 3000), 3 above: halfway through the band on the log scale
    low = np.array([1000.0] * 3 + [2000.0] * 4 + [3000.0] * 3)
    high = np.array([2000.0] * 3 + [3000.0] * 4 + [4000.0] * 3)
    assert banded_median(low, high).median == pytest.approx(np.sqrt(2000.0 * 3000.0))


def test__banded_median__refuses_overlapping_bands():
    with pytest.raises(ValueError, match="overlap"):
        banded_median(np.array([0.0, 500.0]), np.array([1000.0, 1500.0]))


@pytest.mark.parametrize("median", [3_000.0, 40_000.0, 110_000.0])
def test__banded_median__bias_is_small_against_the_true_median(median):
    """The Kaggle bands' width limits precision: the interpolation's bias stays under 2%."""
    rng = np.random.default_rng(7)
    x = median * np.exp(0.8 * rng.standard_normal(200_000))
    lo, hi = banded(x)
    est = banded_median(lo, hi).median
    assert abs(np.log(est / median)) < 0.02


def _coverage(reps: int, k: int, tau: float, level: float, seed: int) -> dict[str, float]:
    """Coverage of the typical-country and named-country intervals, and the log bias."""
    rng = np.random.default_rng(seed)
    hits = {"typical": 0, "named": 0}
    bias = []
    for _ in range(reps):
        u = rng.normal(0.0, tau, k)
        effects = {f"C{i}": level + u[i] for i in range(k)}
        sizes = {f"C{i}": int(rng.integers(15, 300)) for i in range(k)}
        d = banded_country_pay(effects, sizes, rng)
        g = banded_ratios(d, "group", "Base").groups.set_index("group").loc["R"]
        truth_typical, truth_named = level, level + float(np.mean(u))
        lo, hi = np.log(g["ratio_equal_country_ci_low"]), np.log(g["ratio_equal_country_ci_high"])
        hits["typical"] += lo <= truth_typical <= hi
        lo, hi = (
            np.log(g["ratio_named_countries_ci_low"]),
            np.log(g["ratio_named_countries_ci_high"]),
        )
        hits["named"] += lo <= truth_named <= hi
        bias.append(np.log(g["ratio_equal_country"]) - truth_named)
    return {**{key: v / reps for key, v in hits.items()}, "bias": float(np.mean(bias))}


@pytest.mark.simulation
def test__validation_smoke__banded_ratio_intervals_cover():
    cov = _coverage(100, k=5, tau=0.3, level=np.log(0.15), seed=11)
    assert 0.85 <= cov["typical"] <= 1.0 and 0.85 <= cov["named"] <= 1.0, cov
    assert abs(cov["bias"]) < 0.03, cov


@pytest.mark.slow
@pytest.mark.parametrize(
    ("k", "tau", "ratio", "seed"),
    [(4, 0.3, 0.5, 2031), (6, 0.5, 0.08, 2032), (12, 0.4, 0.15, 2033)],
)
def test__validation__banded_ratio_coverage_r500(k, tau, ratio, seed):
    """METHODS §8 style: R = 500 banded panels per cell; 93-97% coverage, |bias| < 2%."""
    cov = _coverage(500, k=k, tau=tau, level=np.log(ratio), seed=seed)
    print(k, tau, ratio, cov)
    assert 0.93 <= cov["typical"] <= 0.97, cov
    assert 0.93 <= cov["named"] <= 0.97, cov
    assert abs(cov["bias"]) < 0.02, cov


def test__kaggle_band_edges__are_the_bands_the_cleaner_reads():
    texts = pd.Series(
        [
            "$0-999",
            "1,000-1,999",
            "2,000-2,999",
            "3,000-3,999",
            "4,000-4,999",
            "5,000-7,499",
            "7,500-9,999",
            "10,000-14,999",
            "15,000-19,999",
            "20,000-24,999",
            "25,000-29,999",
            "30,000-39,999",
            "40,000-49,999",
            "50,000-59,999",
            "60,000-69,999",
            "70,000-79,999",
            "80,000-89,999",
            "90,000-99,999",
            "100,000-124,999",
            "125,000-149,999",
            "150,000-199,999",
            "200,000-249,999",
            "250,000-299,999",
            "300,000-499,999",
            "$500,000-999,999",
            ">$1,000,000",
        ]
    )
    b = band_bounds(texts)
    assert tuple(b["low"]) == KAGGLE_BAND_EDGES[:-1]
    assert tuple(b["high"]) == KAGGLE_BAND_EDGES[1:]
