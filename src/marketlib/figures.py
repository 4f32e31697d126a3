"""Figures for notebooks and reports (seaborn/matplotlib): fixed size, no clock, no reprs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

FIGSIZE = (8, 4.5)
DPI = 100


def setup() -> None:
    """Set one plotting style for every notebook (deterministic output)."""
    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"figure.figsize": FIGSIZE, "figure.dpi": DPI, "savefig.dpi": DPI,
                         "svg.hashsalt": "marketlib", "figure.max_open_warning": 0})


def save(fig: Any, folder: str | Path | None, name: str) -> Path | None:
    """Save a figure as PNG under ``folder`` (if given) and return its path."""
    if folder is None:
        return None
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight", metadata={"Software": None})
    return path


def counts_with_trend(panel_data: pd.DataFrame, fitted: pd.DataFrame,
                      forecast: pd.DataFrame) -> Any:
    """Observed counts, fitted log-linear trend with its band, and the forecast fan."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    groups = sorted(panel_data["group"].unique())
    colors = dict(zip(groups, sns.color_palette(n_colors=max(len(groups), 1)), strict=False))
    order = {p: i for i, p in enumerate(sorted(set(panel_data["period"])
                                                | set(forecast.get("period", pd.Series())
                                                      .dropna())))}
    for g in groups:
        obs = panel_data[panel_data["group"] == g]
        ax.plot(obs["period"].map(order), obs["y"], "o", color=colors[g], label=f"{g} observed")
        fit = fitted[fitted["group"] == g]
        if len(fit):
            x = fit["period"].map(order)
            ax.plot(x, fit["fitted"], "-", color=colors[g], lw=1.5)
            ax.fill_between(x, fit["band_low"], fit["band_high"], color=colors[g], alpha=0.15)
        fc = forecast[(forecast["group"] == g) & (forecast["status"] == "ok")] \
            if len(forecast) else forecast
        if len(fc):
            x = fc["period"].map(order)
            ax.plot(x, fc["mean"], "--", color=colors[g])
            ax.fill_between(x, fc["pi95_low"], fc["pi95_high"], color=colors[g], alpha=0.08)
            ax.fill_between(x, fc["pi80_low"], fc["pi80_high"], color=colors[g], alpha=0.15)
    ax.set_xticks(list(order.values()), list(order.keys()), rotation=45)
    ax.set_yscale("log")
    ax.set_ylabel("new credentials per period (log scale)")
    ax.set_title("Observed counts, log-linear trend (95% band) and forecast (80%/95% PI)")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def forest(frame: pd.DataFrame, label: str, point: str, low: str, high: str, title: str,
           xlabel: str, ref: float | None = 0.0, log: bool = False) -> Any:
    """Draw a forest plot: one row per group, point and CI."""
    d = frame.dropna(subset=[point]).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(2.0, 0.45 * len(d) + 1.2)))
    y = np.arange(len(d))
    lo = (d[point] - d[low]).clip(lower=0).fillna(0)
    hi = (d[high] - d[point]).clip(lower=0).fillna(0)
    ax.errorbar(d[point], y, xerr=[lo, hi], fmt="o", color="C0", capsize=3)
    ax.set_yticks(y, d[label])
    if ref is not None:
        ax.axvline(ref, color="grey", lw=1, ls=":")
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def pay_distributions(d: pd.DataFrame, reported: list[str], hours_per_year: float) -> Any:
    """Draw hourly pay distributions by group on a log scale (reported groups only)."""
    w = d[d["group"].isin(reported)]
    order = w.groupby("group")["hourly_usd"].median().sort_values(ascending=False).index.tolist()
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.45 * len(order) + 1)))
    sns.boxplot(data=w, x="hourly_usd", y="group", order=order, ax=ax, showfliers=False,
                color="#9ecae1", log_scale=True)
    ax.set_xlabel(f"salary-equivalent USD per hour (log scale; H = {hours_per_year:g} h/yr)")
    ax.set_ylabel("")
    ax.set_title("Hourly pay by group (boxes: quartiles; whiskers: 1.5 IQR)")
    fig.tight_layout()
    return fig


def ratio_forest(result: Any) -> Any:
    """Draw raw and adjusted ratios to base with CIs, side by side per group."""
    raw = result.raw[result.raw["reported"].astype(bool) & (result.raw["group"]
                                                            != result.scope.base)]
    adj = result.adjusted.ratios.set_index("group") if result.adjusted is not None else None
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.5 * len(raw) + 1)))
    y = np.arange(len(raw))
    ax.errorbar(raw["ratio_to_base"], y - 0.15,
                xerr=[raw["ratio_to_base"] - raw["ratio_ci_low"],
                      raw["ratio_ci_high"] - raw["ratio_to_base"]],
                fmt="o", label="raw ratio of medians", capsize=3)
    if adj is not None:
        a = adj.reindex(raw["group"])
        ax.errorbar(a["ratio_to_base"], y + 0.15,
                    xerr=[a["ratio_to_base"] - a["ci_low"], a["ci_high"] - a["ratio_to_base"]],
                    fmt="s", label="adjusted (experience, role family, year)", capsize=3)
    ax.set_yticks(y, raw["group"])
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    ax.set_xlabel(f"ratio to {result.scope.base} (95% CI)")
    ax.set_title("Pay relative to the base group")
    ax.legend(fontsize=8, loc="lower right")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig
