"""PPP ratios (A3): each row deflated by its own country's price level ratio (PLR = PPP/FX)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def attach_price_levels(d: pd.DataFrame, plr: pd.DataFrame) -> pd.DataFrame:
    """Add each row's own-country price level ratio (latest year <= row year), and flags."""
    plr = plr.sort_values("year")
    latest = plr.groupby("country_iso3")["year"].max()
    out = d.copy()
    key = out[["country_iso3", "year"]].copy()
    key["plr_year"] = np.minimum(key["year"], key["country_iso3"].map(latest).fillna(0))
    m = key.merge(
        plr.rename(columns={"year": "plr_year"}),
        on=["country_iso3", "plr_year"],
        how="left",
        validate="m:1",
    )
    out["price_level_ratio"] = m["price_level_ratio"].to_numpy()
    out["price_level_year"] = m["plr_year"].to_numpy()
    out["is_price_level_carried"] = out["price_level_year"] < out["year"]
    return out


def ppp_ratios(d: pd.DataFrame, plr: pd.DataFrame, base: str, groups: list[str]) -> pd.DataFrame:
    """Median PPP-adjusted pay ratio per group: each row divided by its country's PLR.

    ``PLR = PPP / FX`` (US = 1). Read both columns: ``ratio_to_base`` is what a buyer pays;
    ``ppp_ratio`` says whether the lower USD pay is a lower living standard.
    """
    w = attach_price_levels(d[d["group"].isin(groups)], plr)
    w = w.dropna(subset=["price_level_ratio"])
    w = w.assign(hourly_usd_ppp=w["hourly_usd"] / w["price_level_ratio"])
    base_med = w.loc[w["group"] == base, "hourly_usd_ppp"].median()
    base_mkt = w.loc[w["group"] == base, "hourly_usd"].median()
    out = (
        w.groupby("group")
        .agg(
            n=("hourly_usd", "size"),
            median_hourly_usd=("hourly_usd", "median"),
            median_hourly_usd_ppp=("hourly_usd_ppp", "median"),
            price_level_ratio_median=("price_level_ratio", "median"),
            price_level_carried_share=("is_price_level_carried", "mean"),
        )
        .reset_index()
    )
    out["ratio_to_base"] = out["median_hourly_usd"] / base_mkt
    out["ppp_ratio"] = out["median_hourly_usd_ppp"] / base_med
    return out
