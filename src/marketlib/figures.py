"""Figures for notebooks and reports (seaborn/matplotlib): fixed size, no clock, no reprs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns

from marketlib.prose import geography_word, topic_name
from marketlib.publish.text import pay_words
from marketlib.results_view import comparable_ratio, upgrade_arbitrage

FIGSIZE = (8, 4.5)
DPI = 100


def setup() -> None:
    """Set one plotting style for every notebook (deterministic output)."""
    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update(
        {
            "figure.figsize": FIGSIZE,
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "svg.hashsalt": "marketlib",
            "figure.max_open_warning": 0,
        }
    )


#: PNG text key holding the smallest font of a saved figure, in points at its own size: the
#: brief scales each figure so that this text prints at ``brief.MIN_PRINT_PT`` or larger.
MIN_FONT_KEY = "marketlib:min-font-pt"


def min_font_pt(fig: Any) -> float:
    """Return the smallest font size (points, at the figure's size) of any visible text."""
    from matplotlib.text import Text

    fig.draw_without_rendering()  # tick labels exist once the figure is laid out
    sizes = [
        t.get_fontsize()
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_alpha() != 0
    ]
    return float(min(sizes)) if sizes else 0.0


def save(fig: Any, folder: str | Path | None, name: str) -> Path | None:
    """Save a figure as PNG under ``folder`` (if given) and return its path.

    The PNG records its smallest font (``MIN_FONT_KEY``) so print layouts can keep it legible.
    """
    if folder is None:
        return None
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(
        path,
        bbox_inches="tight",
        metadata={"Software": None, MIN_FONT_KEY: f"{min_font_pt(fig):g}"},
    )
    return path


def plain_log_axis(axis: Any) -> None:
    """Put ``axis`` on a log scale read in plain numbers (1, 2, 5, 10, 20 ... never 10^3)."""
    axis.axes.set_xscale("log") if axis is axis.axes.xaxis else axis.axes.set_yscale("log")
    lim = axis.axes.dataLim
    lo = float(lim.minposx if axis is axis.axes.xaxis else lim.minposy)  # smallest > 0
    hi = float(axis.get_data_interval()[1])
    decades = np.log10(hi / lo) if 0 < lo < hi and np.isfinite(lo) else 0.0
    subs = (1.0,) if decades > 2.5 else (1.0, 2.0, 5.0)  # called after the data are drawn
    axis.set_major_locator(mticker.LogLocator(base=10, subs=subs))
    axis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:.2g}"))
    axis.set_minor_formatter(plt.NullFormatter())


def counts_with_trend(
    panel_data: pd.DataFrame, fitted: pd.DataFrame, forecast: pd.DataFrame
) -> Any:
    """Observed counts, fitted log-linear trend with its band, and the forecast fan."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    groups = sorted(panel_data["group"].unique())
    colors = dict(zip(groups, sns.color_palette(n_colors=max(len(groups), 1)), strict=False))
    order = {
        p: i
        for i, p in enumerate(
            sorted(set(panel_data["period"]) | set(forecast.get("period", pd.Series()).dropna()))
        )
    }
    for g in groups:
        obs = panel_data[panel_data["group"] == g]
        ax.plot(obs["period"].map(order), obs["y"], "o", color=colors[g], label=f"{g} observed")
        fit = fitted[fitted["group"] == g]
        if len(fit):
            x = fit["period"].map(order)
            ax.plot(x, fit["fitted"], "-", color=colors[g], lw=1.5)
            ax.fill_between(x, fit["band_low"], fit["band_high"], color=colors[g], alpha=0.15)
        fc = (
            forecast[(forecast["group"] == g) & (forecast["status"] == "ok")]
            if len(forecast)
            else forecast
        )
        if len(fc):
            x = fc["period"].map(order)
            ax.plot(x, fc["mean"], "--", color=colors[g])
            ax.fill_between(x, fc["pi95_low"], fc["pi95_high"], color=colors[g], alpha=0.08)
            ax.fill_between(x, fc["pi80_low"], fc["pi80_high"], color=colors[g], alpha=0.15)
    ax.set_xticks(list(order.values()), list(order.keys()), rotation=45)
    plain_log_axis(ax.yaxis)
    ax.set_ylabel("new credentials per period (log scale)")
    ax.set_title("Observed counts, log-linear trend (95% band) and forecast (80%/95% PI)")
    ax.legend(fontsize=9, loc="best")
    fig.tight_layout()
    return fig


def forest(
    frame: pd.DataFrame,
    label: str,
    point: str,
    low: str,
    high: str,
    title: str,
    xlabel: str,
    ref: float | None = 0.0,
    log: bool = False,
) -> Any:
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
        plain_log_axis(ax.xaxis)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def pay_distributions(
    d: pd.DataFrame, reported: list[str], hours_per_year: float, rate_kind: str = "salary"
) -> Any:
    """Draw hourly pay distributions by group on a log scale (reported groups only)."""
    w = d[d["group"].isin(reported)]
    order = w.groupby("group")["hourly_usd"].median().sort_values(ascending=False).index.tolist()
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.45 * len(order) + 1)))
    sns.boxplot(
        data=w,
        x="hourly_usd",
        y="group",
        order=order,
        ax=ax,
        showfliers=False,
        color="#9ecae1",
        log_scale=True,
    )
    ax.set_xlabel(f"{pay_words(rate_kind).hourly} (log scale; H = {hours_per_year:g} h/yr)")
    ax.set_ylabel("")
    ax.set_title("Hourly pay by group (boxes: quartiles; whiskers: 1.5 IQR)")
    fig.tight_layout()
    return fig


def ratio_forest(result: Any) -> Any:
    """Draw raw and adjusted ratios to base with CIs, side by side per group."""
    raw = result.raw[
        result.raw["reported"].astype(bool) & (result.raw["group"] != result.scope.base)
    ]
    adj = result.adjusted.ratios.set_index("group") if result.adjusted is not None else None
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.5 * len(raw) + 1)))
    y = np.arange(len(raw))
    ax.errorbar(
        raw["ratio_to_base"],
        y - 0.15,
        xerr=[
            raw["ratio_to_base"] - raw["ratio_ci_low"],
            raw["ratio_ci_high"] - raw["ratio_to_base"],
        ],
        fmt="o",
        label="raw ratio of medians",
        capsize=3,
    )
    if adj is not None:
        a = adj.reindex(raw["group"])
        ax.errorbar(
            a["ratio_to_base"],
            y + 0.15,
            xerr=[a["ratio_to_base"] - a["ci_low"], a["ci_high"] - a["ratio_to_base"]],
            fmt="s",
            label="adjusted (experience, role family, year)",
            capsize=3,
        )
    ax.set_yticks(y, raw["group"])
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    ax.set_xlabel(f"ratio to {result.scope.base} (95% CI)")
    ax.set_title("Pay relative to the base group")
    ax.legend(fontsize=9, loc="lower right")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def regional_growth(
    rows: pd.DataFrame,
    article: pd.DataFrame | None = None,
    subject: str | None = None,
    geography: str = "region",
) -> Any:
    """Draw regional growth with CIs per comparison, the article's claimed rates beside them.

    ``rows``: the ``regional`` rows of one measure (growth, ci_low, ci_high, from, to, subject,
    and the geography column). ``article``: the article's claims (region, period_from,
    period_to, growth), drawn as crosses on the comparison of the same years. The title states
    the finding, computed from the numbers.
    """
    if subject is None:  # the first topic of the rows (the run's headline topic)
        subject = str(rows["subject"].dropna().iloc[0]) if rows["subject"].notna().any() else ""
    name = topic_name(subject, start=True)
    d = rows[(rows["subject"] == subject) & rows["growth"].notna()].copy()
    d["comparison"] = d["from"].astype("str") + " → " + d["to"].astype("str")
    comps = list(dict.fromkeys(d["comparison"]))
    groups = sorted(d[geography].dropna().unique())
    fig, ax = plt.subplots(figsize=(8, max(3.5, 0.55 * len(groups) + 1.5)))
    y = np.arange(len(groups))
    width = 0.8 / max(1, len(comps))
    palette = sns.color_palette("colorblind", len(comps) + 1)
    for i, comp in enumerate(comps):
        part = d[d["comparison"] == comp].set_index(geography).reindex(groups)
        off = y - 0.4 + width * (i + 0.5)
        ax.errorbar(
            part["growth"],
            off,
            xerr=[part["growth"] - part["ci_low"], part["ci_high"] - part["growth"]],
            fmt="o",
            capsize=3,
            color=palette[i],
            label=f"{name} activity, {comp}",
        )
    title = f"{name} developer activity by {geography_word(geography)}"
    if article is not None and len(article):
        a = article.set_index("region").reindex(groups)
        comp = f"{int(article['period_from'].iloc[0])} → {int(article['period_to'].iloc[0])}"
        i = comps.index(comp) if comp in comps else 0
        off = y - 0.4 + width * (i + 0.5)
        ax.scatter(
            a["growth"],
            off,
            marker="X",
            s=70,
            color=palette[-1],
            zorder=3,
            label=f"article's certification growth, {comp}",
        )
        same = d[d["comparison"] == comp]
        if len(same):
            title = (
                f"{name} activity grew {same['growth'].min():+.0%} to "
                f"{same['growth'].max():+.0%} by region in {comp}; the article claims "
                f"{article['growth'].min():+.0%} to {article['growth'].max():+.0%}"
            )
    ax.axvline(0, color="grey", ls=":", lw=1)
    ax.set_yticks(y, groups)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:+.0%}"))
    ax.set_xlabel("growth (95% CI; constant set of economies; a proxy, not certificates)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def regional_quarterly(quarters: pd.DataFrame, subject: str, geography: str = "region") -> Any:
    """Draw each group's quarterly activity: constant economies (solid), all published (dashed).

    A log axis with plain labels (regions differ a hundredfold); the legend says how many
    economies the constant set holds in each group.
    """
    name = topic_name(subject, start=True)
    groups = sorted(quarters[geography].dropna().unique())
    fig, ax = plt.subplots(figsize=(8, 4.5))
    palette = sns.color_palette("colorblind", max(1, len(groups)))
    for color, g in zip(palette, groups, strict=False):
        part = quarters[quarters[geography] == g].sort_values("period_start")
        k = int(part["economies_constant"].max()) if len(part) else 0
        ax.plot(
            part["period_start"],
            part["count_constant"],
            "-o",
            ms=3,
            color=color,
            label=f"{g} ({k} {'economy' if k == 1 else 'economies'})",
        )
        ax.plot(part["period_start"], part["count_all"], "--", lw=1, color=color, alpha=0.6)
    plain_log_axis(ax.yaxis)
    ax.set_ylabel(f"{name} developers a quarter (log scale)")
    ax.set_title(
        f"{name} activity by {geography_word(geography)}, each quarter\n"
        "solid: the constant set of economies; dashed: every published economy",
        fontsize=10,
    )
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
    fig.tight_layout()
    return fig


def economy_drivers(drivers: pd.DataFrame, subject: str, period_from: str, period_to: str) -> Any:
    """Draw each region's economies by their count in the later span (who drives a region)."""
    d = drivers[
        (drivers["subject"] == subject)
        & (drivers["from"] == period_from)
        & (drivers["to"] == period_to)
    ]
    groups = sorted(d["group"].unique())
    fig, ax = plt.subplots(figsize=(8, max(3.5, 0.45 * len(d) + 1)))
    labels, vals, colors = [], [], []
    palette = sns.color_palette("colorblind", len(groups))
    for i, g in enumerate(groups):
        part = d[d["group"] == g].sort_values("count_to", ascending=False)
        for _, r in part.iterrows():
            labels.append(f"{g}: {r['country_iso3']}")
            vals.append(r["count_to"])
            colors.append(palette[i])
    ax.barh(np.arange(len(vals)), vals, color=colors)
    ax.set_yticks(np.arange(len(vals)), labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel(f"{topic_name(subject)} pushers, {period_to} (sum of quarters)")
    top = d.sort_values("share_to", ascending=False).drop_duplicates("group")
    most = top["share_to"].max() if len(top) else float("nan")
    ax.set_title(
        f"Who drives each region ({topic_name(subject)}, {period_to}): the largest "
        "economy holds "
        f"up to {most:.0%} of its region",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def adjusted_ratio_forest(arbitrage: dict[str, Any]) -> Any:
    """Draw the adjusted pay ratios to the base from a results section, finding in the title."""
    arbitrage = upgrade_arbitrage(arbitrage)
    base = arbitrage["base"]
    reported = {r["group"] for r in arbitrage["regions"] if r.get("reported")}
    adj = pd.DataFrame(arbitrage.get("adjusted") or [])
    if adj.empty:
        adj = pd.DataFrame(columns=["group", "ratio_to_base", "ci_low", "ci_high"])
    adj = adj[adj["group"].isin(reported) & (adj["group"] != base)]
    if len(adj):  # the estimate each page shows: equal-country where two countries average
        shown = pd.DataFrame(
            [comparable_ratio(a)[:3] for a in adj.to_dict("records")],
            columns=["ratio_to_base", "ci_low", "ci_high"],
            index=adj.index,
        )
        adj = adj.assign(**{c: pd.to_numeric(shown[c]) for c in shown})
    adj = adj.sort_values("ratio_to_base")
    title = f"Adjusted pay ratio to {base} (95% CI; H = {arbitrage['hours_per_year']:g})"
    if len(adj):
        lo, hi = adj.iloc[0], adj.iloc[-1]

        w = pay_words(arbitrage.get("rate_kind"))
        title = (
            f"A comparable {w.who} {w.earns} {lo['ratio_to_base']:.0%} ({lo['group']}) to "
            f"{hi['ratio_to_base']:.0%} ({hi['group']}) of {base} pay"
        )
    return forest(
        adj,
        "group",
        "ratio_to_base",
        "ci_low",
        "ci_high",
        title,
        f"ratio to {base} (95% CI)",
        ref=1.0,
    )


def country_ratios(arbitrage: dict[str, Any]) -> Any:
    """Draw each country's ratio to the base (95% CI) within its group.

    The group's equal-country ratio is the diamond: where to hire, and how far a region's
    countries differ from one another.
    """
    arbitrage = upgrade_arbitrage(arbitrage)
    base = arbitrage.get("base", "base")
    rows = [
        r
        for r in arbitrage.get("countries") or []
        if r.get("reported") and r.get("group") != base and r.get("ratio_to_base")
    ]
    groups = sorted({r["group"] for r in rows})
    eq = {r["group"]: r for r in arbitrage.get("regions") or []}
    labels, ys, y = [], [], 0
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.26 * (len(rows) + len(groups)) + 1.2)))
    palette = sns.color_palette("colorblind", max(1, len(groups)))
    for i, g in enumerate(groups):
        members = sorted((r for r in rows if r["group"] == g), key=lambda r: r["ratio_to_base"])
        e = eq.get(g, {})
        if e.get("ratio_equal_country") is not None:
            ax.errorbar(
                [e["ratio_equal_country"]],
                [y],
                xerr=[
                    [
                        e["ratio_equal_country"]
                        - (e.get("ratio_equal_country_ci_low") or e["ratio_equal_country"])
                    ],
                    [
                        (e.get("ratio_equal_country_ci_high") or e["ratio_equal_country"])
                        - e["ratio_equal_country"]
                    ],
                ],
                fmt="D",
                color=palette[i],
                capsize=3,
                ms=7,
            )
        labels.append(f"{g} (typical country)")
        ys.append(y)
        y += 1
        for r in members:
            lo, hi = r.get("ratio_ci_low"), r.get("ratio_ci_high")
            err = (
                [[r["ratio_to_base"] - lo], [hi - r["ratio_to_base"]]]
                if lo is not None and hi is not None
                else None
            )
            ax.errorbar(
                [r["ratio_to_base"]], [y], xerr=err, fmt="o", color=palette[i], capsize=2, ms=4
            )
            labels.append(f"  {r['country_iso3']} (n={r['n']})")
            ys.append(y)
            y += 1
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    ax.set_yticks(ys, labels, fontsize=9.5)
    ax.invert_yaxis()
    ax.set_xlabel(f"ratio to {base} median pay (95% CI; countries with n >= 10)")
    ax.set_title(f"Pay by country within each group, relative to {base}", fontsize=10)
    fig.tight_layout()
    return fig
