"""Geographic pay arbitrage: how much cheaper a comparable specialist is than in a base group.

Methods follow METHODS.md §3, §6 and §7:

- scope: one ``rate_kind`` at a time (salaries and bill rates are never compared), full-time
  employees by default, exact duplicates dropped, range pairs collapsed to their geometric
  midpoint, FX-mismatch rows excluded (all with sensitivity runs);
- raw ratio (A1): ratio of medians; CI by bootstrap (exact resampling distribution of the
  median, seeded, vectorized) where n >= 30, distribution-free order-statistic intervals for
  smaller cells, and groups under the publication floor listed with n only;
- adjusted ratio (A2): OLS of log hourly pay on group and controls with HC3 errors,
  ``exp(gamma)`` with CI and the Kennedy-corrected percentage; a median-regression check;
- PPP (A3): each row deflated by its own country's World Bank price level ratio (never one
  PPP for a region);
- team cost (A4): savings against the base with statistical and assumption uncertainty.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from marketlib.money import HOURS_PER_YEAR

LEVELS = ("region", "subregion", "country_iso3")
PUBLISH_RSE, CAUTION_RSE = 0.165, 0.333


@dataclass(frozen=True)
class Scope:
    """Which rows enter an arbitrage run, and how flagged rows are handled."""

    level: str = "subregion"
    base: str = "North America"
    years: tuple[int, ...] | None = None
    rate_kind: str = "salary"
    employment_types: tuple[str, ...] | None = ("full_time",)
    experience: tuple[str, ...] | None = None
    role_families: tuple[str, ...] | None = None
    hours_per_year: float = HOURS_PER_YEAR
    duplicates: str = "drop"  # drop | keep
    range_pairs: str = "collapse"  # collapse | keep | low | high
    exclude_fx_mismatch: bool = True
    exclude_outliers: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the scope as plain values."""
        d = asdict(self)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


def select_rates(rates: pd.DataFrame, scope: Scope) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Apply the scope; return the analysis rows (with ``group`` and ``hourly``) and a step log."""
    if scope.level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {scope.level!r}")
    d = rates
    log: list[dict[str, Any]] = [{"step": "clean rows", "rows": len(d)}]

    def step(name: str, mask: pd.Series) -> None:
        nonlocal d
        d = d[mask]
        log.append({"step": name, "rows": len(d)})

    step(f"rate_kind == {scope.rate_kind}", d["rate_kind"] == scope.rate_kind)
    if scope.employment_types:
        step("employment_type in " + ", ".join(scope.employment_types),
             d["employment_type"].isin(scope.employment_types))
    if scope.years:
        step("year in " + ", ".join(map(str, scope.years)), d["year"].isin(scope.years))
    if scope.experience:
        step("experience in " + ", ".join(scope.experience),
             d["experience"].isin(scope.experience))
    if scope.role_families:
        step("role_family in " + ", ".join(scope.role_families),
             d["role_family"].isin(scope.role_families))
    if scope.exclude_fx_mismatch and "fx_mismatch" in d:
        step("not fx_mismatch", ~d["fx_mismatch"].astype(bool))
    if scope.exclude_outliers:
        step("not is_outlier", ~d["is_outlier"].astype(bool))
    if scope.duplicates == "drop":
        step("not is_duplicate", ~d["is_duplicate"].astype(bool))
    d = d.assign(hourly=d["annual_usd"] / scope.hours_per_year)
    d = handle_range_pairs(d, scope.range_pairs)
    log.append({"step": f"range pairs: {scope.range_pairs}", "rows": len(d)})
    d = d.assign(group=d[scope.level].astype("str"))
    d = d[d["group"].notna() & (d["group"] != "nan")]
    return d.reset_index(drop=True), log


def handle_range_pairs(d: pd.DataFrame, how: str = "collapse") -> pd.DataFrame:
    """Collapse each flagged range pair to one row at its geometric midpoint (or keep low/high).

    ``how``: ``collapse`` (default, METHODS §3.4), ``keep`` (both rows), ``low`` or ``high``.
    Pairs whose partner was filtered out are left as single rows.
    """
    if how == "keep" or "range_pair_id" not in d or not d["is_range_pair"].any():
        return d
    pid = d["range_pair_id"]
    paired = d["is_range_pair"].astype(bool) & pid.notna()
    size = d.loc[paired].groupby(pid[paired])["hourly"].transform("size")
    full = pd.Series(False, index=d.index)
    full[size.index] = size == 2
    pairs = d[full]
    if how == "collapse":
        gm = np.exp(np.log(pairs["hourly"]).groupby(pairs["range_pair_id"]).transform("mean"))
        keep = pairs.assign(hourly=gm, is_range_mid=True).drop_duplicates("range_pair_id")
    elif how in ("low", "high"):
        order = pairs.sort_values("hourly", ascending=(how == "low"))
        keep = order.drop_duplicates("range_pair_id")
    else:
        raise ValueError(f"range_pairs must be collapse, keep, low or high, got {how!r}")
    return pd.concat([d[~full], keep]).sort_index()


# --- A1: raw ratio of medians --------------------------------------------------------------------

def bootstrap_medians(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n_boot`` bootstrap medians of ``x`` exactly, without resampling rows.

    The median of a size-n resample is its m-th order statistic (m = ceil(n/2), the lower
    median for even n); ``P(median* <= x_(j)) = P(Binomial(n, j/n) >= m)``, so medians are drawn
    by inverting that CDF: O(n + B log n) instead of O(n B).
    """
    xs = np.sort(np.asarray(x, dtype=float))
    n = len(xs)
    m = (n + 1) // 2
    cdf = stats.binom.sf(m - 1, n, np.arange(1, n + 1) / n)
    idx = np.minimum(np.searchsorted(cdf, rng.random(n_boot), side="left"), n - 1)
    return xs[idx]


def median_ci_order_statistic(x: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Distribution-free CI for a median from binomial(n, 1/2) ranks (METHODS §6.1)."""
    xs = np.sort(np.asarray(x, dtype=float))
    n = len(xs)
    if n == 0:
        return np.nan, np.nan
    k = int(stats.binom.ppf((1 - level) / 2, n, 0.5))
    lo = max(k, 1)
    hi = min(n - k + 1, n)
    return float(xs[lo - 1]), float(xs[hi - 1])


def raw_ratios(d: pd.DataFrame, base: str, min_n: int = 30, n_boot: int = 2000,
               seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Median hourly pay per group and its ratio to the base group, with CIs and n.

    Groups with ``n >= 30`` get bootstrap ratio CIs (percentile, exact median resampling);
    groups with ``min_n <= n < 30`` (only if the floor is lowered, never below 10) get
    distribution-free order-statistic bounds, flag ``E`` and an "indicative" note; groups
    under ``min_n`` are listed with ``reported = False`` and no estimate. Each group also
    carries the number of countries, the largest country's share of n and a publication
    flag (A/E) from the RSE.
    """
    rng = np.random.default_rng(seed)
    q = ((1 - level) / 2, 1 - (1 - level) / 2)
    groups = {g: s for g, s in d.groupby("group")}
    if base not in groups:
        raise ValueError(f"base group {base!r} has no rows in this selection")
    xb = groups[base]["hourly"].to_numpy()
    base_boot = bootstrap_medians(xb, n_boot, rng)
    base_med = float(np.median(xb))
    rows = []
    for g in sorted(groups, key=lambda k: (k != base, k)):
        s = groups[g]
        x = s["hourly"].to_numpy()
        n = len(x)
        shares = s["country_iso3"].value_counts(normalize=True)
        row: dict[str, Any] = {
            "group": g, "n": n, "n_countries": int(s["country_iso3"].nunique()),
            "top_country": shares.index[0], "top_country_share": float(shares.iloc[0]),
        }
        if n < min_n:
            row.update(reported=False, flag="F", note=f"n < {min_n}: suppressed")
            rows.append(row)
            continue
        med = float(np.median(x))
        lo, hi = median_ci_order_statistic(x, level)
        if n < 30:  # METHODS §6.1: bootstrap under-covers here; distribution-free bounds
            blo, bhi = median_ci_order_statistic(xb, level)
            row.update(reported=True, median_hourly_usd=med, ci_low=lo, ci_high=hi,
                       rse=np.nan, flag="E", ratio_to_base=med / base_med,
                       ratio_ci_low=lo / bhi, ratio_ci_high=hi / blo,
                       note="n < 30: order-statistic bounds, ratio indicative")
            row["discount"] = 1 - row["ratio_to_base"]
            rows.append(row)
            continue
        boot = base_boot if g == base else bootstrap_medians(x, n_boot, rng)
        rse = float(np.std(np.log(boot), ddof=1))
        ratio_boot = boot / base_boot
        row.update(
            reported=True, median_hourly_usd=med, ci_low=lo, ci_high=hi, rse=rse,
            flag="A" if rse <= PUBLISH_RSE else ("E" if rse <= CAUTION_RSE else "F"),
            ratio_to_base=med / base_med,
            ratio_ci_low=float(np.quantile(ratio_boot, q[0])) if g != base else 1.0,
            ratio_ci_high=float(np.quantile(ratio_boot, q[1])) if g != base else 1.0,
            note="",
        )
        row["discount"] = 1 - row["ratio_to_base"]
        rows.append(row)
    cols = ["group", "n", "n_countries", "top_country", "top_country_share", "reported",
            "median_hourly_usd", "ci_low", "ci_high", "ratio_to_base", "ratio_ci_low",
            "ratio_ci_high", "discount", "rse", "flag", "note"]
    return pd.DataFrame(rows).reindex(columns=cols)


# --- A2: adjusted ratios -----------------------------------------------------------------------

def winsorize_log(d: pd.DataFrame, col: str = "hourly", by: tuple[str, ...] = ("year", "group"),
                  limits: tuple[float, float] = (0.01, 0.99)) -> pd.Series:
    """Return log(col) winsorized at p1/p99 within ``by`` cells (METHODS §3.7, OLS only).

    Cells are year x group, not year alone: with a pooled cut, a low-paid, dispersed group loses
    only its lower tail and its coefficient is biased upward (our validation measured +2% and
    92% coverage with year-only cuts; see tests/test_arbitrage.py).
    """
    lx = np.log(d[col])
    keys = [d[k] for k in by]
    lo = lx.groupby(keys).transform(lambda s: s.quantile(limits[0]))
    hi = lx.groupby(keys).transform(lambda s: s.quantile(limits[1]))
    return lx.clip(lo, hi)


def _controls(d: pd.DataFrame, controls: list[str]) -> list[str]:
    """Keep only controls that vary in the data (a constant control cannot be estimated)."""
    return [c for c in controls if c in d and d[c].nunique(dropna=True) > 1]


@dataclass
class AdjustedFit:
    """The adjusted log-rate regression and its ratios."""

    ratios: pd.DataFrame
    controls: list[str]
    n: int
    model: Any = field(repr=False)
    formula: str = ""
    quantile: pd.DataFrame | None = None


def adjusted_ratios(d: pd.DataFrame, base: str, groups: list[str],
                    controls: tuple[str, ...] = ("experience", "role_family", "year"),
                    level: float = 0.95, quantile_check: bool = True) -> AdjustedFit:
    """Ratio for a comparable specialist: ``exp(gamma)`` from OLS on log hourly pay, HC3.

    Rows: the listed groups (those above the floor). Controls that do not vary are dropped;
    ``employment_type`` is added when several are present. Log pay is winsorized at within-year
    p1/p99. A median regression (QuantReg, q = 0.5) gives the robust check.
    """
    w = d[d["group"].isin(groups)].dropna(subset=[c for c in controls if c in d]).copy()
    ctrl = _controls(w, list(controls) + (["employment_type"] if w["employment_type"].nunique()
                                          > 1 else []))
    w["log_rate"] = winsorize_log(w)
    terms = [f"C(group, Treatment({base!r}))"] + [f"C({c})" for c in ctrl]
    formula = "log_rate ~ " + " + ".join(terms)
    fit = smf.ols(formula, w).fit(cov_type="HC3")
    ci = fit.conf_int(alpha=1 - level)
    rows = []
    for g in groups:
        if g == base:
            continue
        name = f"C(group, Treatment({base!r}))[T.{g}]"
        if name not in fit.params:
            continue
        b, v = fit.params[name], fit.cov_params().loc[name, name]
        rows.append({"group": g, "ratio_to_base": float(np.exp(b)),
                     "ci_low": float(np.exp(ci.loc[name, 0])),
                     "ci_high": float(np.exp(ci.loc[name, 1])),
                     "kennedy_pct_difference": float(np.exp(b - 0.5 * v) - 1),
                     "n": int((w["group"] == g).sum())})
    ratios = pd.DataFrame(rows)
    qr = None
    if quantile_check and len(ratios):
        qr = _median_regression(w, formula, base, groups, level)
        ratios = ratios.merge(qr, on="group", how="left")
    return AdjustedFit(ratios=ratios, controls=ctrl, n=len(w), model=fit, formula=formula,
                       quantile=qr)


def _median_regression(w: pd.DataFrame, formula: str, base: str, groups: list[str],
                       level: float) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = smf.quantreg(formula, w).fit(q=0.5, vcov="robust", kernel="epa",
                                           bandwidth="hsheather", max_iter=2000)
    ci = res.conf_int(alpha=1 - level)
    out = []
    for g in groups:
        name = f"C(group, Treatment({base!r}))[T.{g}]"
        if g != base and name in res.params:
            out.append({"group": g, "qr_ratio": float(np.exp(res.params[name])),
                        "qr_ci_low": float(np.exp(ci.loc[name, 0])),
                        "qr_ci_high": float(np.exp(ci.loc[name, 1]))})
    return pd.DataFrame(out)


def gap_trend(d: pd.DataFrame, base: str, groups: list[str],
              controls: tuple[str, ...] = ("experience", "role_family"),
              level: float = 0.95) -> pd.DataFrame:
    """Estimate whether the gap narrows: yearly change of each log ratio to base, HC3 CI.

    Model: ``log_rate ~ C(group) + C(group):t + C(year) + controls``; the ``C(group):t``
    coefficient is the yearly change of log(ratio); ``exp(.) - 1`` is reported. Positive =
    group pay rising relative to the base (a narrowing gap when the ratio is below 1).
    """
    w = d[d["group"].isin(groups)].copy()
    if w["year"].nunique() < 2:
        return pd.DataFrame(columns=["group", "yearly_ratio_change", "ci_low", "ci_high",
                                     "years"])
    w["t"] = w["year"] - w["year"].min()
    w["log_rate"] = winsorize_log(w)
    ctrl = _controls(w, list(controls))
    g = f"C(group, Treatment({base!r}))"
    slopes = {}
    for i, grp in enumerate(x for x in groups if x != base):
        if w.loc[w["group"] == grp, "year"].nunique() >= 2:
            slopes[grp] = f"slope_{i}"
            w[slopes[grp]] = w["t"] * (w["group"] == grp)
    if not slopes:
        return pd.DataFrame(columns=["group", "yearly_ratio_change", "ci_low", "ci_high",
                                     "years"])
    formula = (f"log_rate ~ {g} + C(year) + " + " + ".join(slopes.values())
               + "".join(f" + C({c})" for c in ctrl))
    fit = smf.ols(formula, w).fit(cov_type="HC3")
    ci = fit.conf_int(alpha=1 - level)
    rows = []
    for grp, name in slopes.items():
        years = w.loc[w["group"] == grp, "year"]
        if years.nunique() < 2:
            continue
        rows.append({"group": grp, "yearly_ratio_change": float(np.expm1(fit.params[name])),
                     "ci_low": float(np.expm1(ci.loc[name, 0])),
                     "ci_high": float(np.expm1(ci.loc[name, 1])),
                     "years": f"{years.min()}-{years.max()}"})
    return pd.DataFrame(rows)


# --- A3: PPP -----------------------------------------------------------------------------------

def read_price_level_ratios(path: str | Path) -> pd.DataFrame:
    """Read the World Bank PA.NUS.PPPC.RF file (wide) into ``country_iso3, year, plr``."""
    raw = pd.read_csv(path, skiprows=4, encoding="utf-8-sig")
    years = [c for c in raw.columns if str(c).isdigit()]
    long = raw.melt(id_vars=["Country Code"], value_vars=years, var_name="year",
                    value_name="plr").dropna()
    long = long.rename(columns={"Country Code": "country_iso3"})
    long["year"] = long["year"].astype(int)
    return long[long["plr"] > 0].reset_index(drop=True)


def attach_price_levels(d: pd.DataFrame, plr: pd.DataFrame) -> pd.DataFrame:
    """Add each row's own-country price level ratio (latest year <= row year), and flags."""
    plr = plr.sort_values("year")
    latest = plr.groupby("country_iso3")["year"].max()
    out = d.copy()
    key = out[["country_iso3", "year"]].copy()
    key["plr_year"] = np.minimum(key["year"], key["country_iso3"].map(latest).fillna(0))
    m = key.merge(plr.rename(columns={"year": "plr_year"}), on=["country_iso3", "plr_year"],
                  how="left", validate="m:1")
    out["plr"] = m["plr"].to_numpy()
    out["plr_year"] = m["plr_year"].to_numpy()
    out["plr_carried"] = out["plr_year"] < out["year"]
    return out


def ppp_ratios(d: pd.DataFrame, plr: pd.DataFrame, base: str, groups: list[str]) -> pd.DataFrame:
    """Median PPP-adjusted pay ratio per group: each row divided by its country's PLR.

    ``PLR = PPP / FX`` (US = 1). Read both columns: ``ratio_to_base`` is what a buyer pays;
    ``ppp_ratio`` says whether the lower USD pay is a lower living standard.
    """
    w = attach_price_levels(d[d["group"].isin(groups)], plr)
    w = w.dropna(subset=["plr"])
    w = w.assign(hourly_ppp=w["hourly"] / w["plr"])
    base_med = w.loc[w["group"] == base, "hourly_ppp"].median()
    base_mkt = w.loc[w["group"] == base, "hourly"].median()
    out = w.groupby("group").agg(n=("hourly", "size"), median_mkt=("hourly", "median"),
                                 median_ppp=("hourly_ppp", "median"),
                                 plr_median=("plr", "median"),
                                 plr_carried_share=("plr_carried", "mean")).reset_index()
    out["ratio_to_base"] = out["median_mkt"] / base_mkt
    out["ppp_ratio"] = out["median_ppp"] / base_med
    return out


# --- A4: team cost -----------------------------------------------------------------------------

@dataclass(frozen=True)
class TeamAssumptions:
    """Cost assumptions, each a range: employer loading and coordination overhead."""

    loading_base: tuple[float, float] = (1.43, 1.46)  # BLS ECEC, US wages ~68-70% of cost
    loading_other: tuple[float, float] = (1.05, 1.47)  # Eurostat LCS LT ~0.04 .. SE ~0.32
    overhead: tuple[float, float, float] = (0.05, 0.15, 0.30)  # triangular(min, mode, max)


def team_cost(fit: AdjustedFit, team: list[dict[str, Any]], base: str, groups: list[str],
              hours_per_year: float, n_draws: int = 5000, seed: int = 0,
              assumptions: TeamAssumptions | None = None) -> pd.DataFrame:
    """Price a team per group: savings ``1 - cost/cost_base`` with two uncertainty intervals.

    ``team``: items ``{"role_family", "experience", "headcount"}``. Cost uses the adjusted
    model's median pay ``exp(x'b)`` for each member, year fixed at the latest year in the fit.
    ``statistical``: b ~ MVN(b_hat, HC3 cov). ``with assumptions``: also loading and overhead
    drawn from their ranges (uniform; triangular overhead). Percentiles 5/50/95.
    """
    a = assumptions or TeamAssumptions()
    rng = np.random.default_rng(seed)
    res = fit.model
    beta = rng.multivariate_normal(res.params.to_numpy(), res.cov_params().to_numpy(),
                                   size=n_draws)
    data = res.model.data.frame
    year = data["year"].max() if "year" in data else None
    design_rows = []
    for g in groups:
        for m in team:
            row = {"group": g, "experience": m["experience"], "role_family": m["role_family"]}
            if year is not None:
                row["year"] = year
            for c in fit.controls:
                if c not in row:
                    row[c] = data[c].mode().iloc[0]
            row["headcount"] = float(m["headcount"])
            design_rows.append(row)
    new = pd.DataFrame(design_rows)
    X = _design(res, new)
    log_pay = X @ beta.T  # rows x draws
    pay = np.exp(log_pay) * hours_per_year * new["headcount"].to_numpy()[:, None]
    cost = pd.DataFrame(pay).groupby(new["group"].to_numpy()).sum()  # groups x draws
    base_cost = cost.loc[base].to_numpy()
    out = []
    for g in groups:
        if g == base:
            continue
        c = cost.loc[g].to_numpy()
        s_stat = 1 - c / base_cost
        load_b = rng.uniform(*a.loading_base, n_draws)
        load_g = rng.uniform(*a.loading_other, n_draws)
        o = rng.triangular(a.overhead[0], a.overhead[1], a.overhead[2], n_draws)
        s_all = 1 - (c * load_g * (1 + o)) / (base_cost * load_b)
        out.append({"group": g,
                    "savings_p05": float(np.quantile(s_stat, 0.05)),
                    "savings_p50": float(np.quantile(s_stat, 0.5)),
                    "savings_p95": float(np.quantile(s_stat, 0.95)),
                    "with_assumptions_p05": float(np.quantile(s_all, 0.05)),
                    "with_assumptions_p50": float(np.quantile(s_all, 0.5)),
                    "with_assumptions_p95": float(np.quantile(s_all, 0.95)),
                    "team_annual_cost_base_p50": float(np.median(base_cost)),
                    "team_annual_cost_p50": float(np.median(c))})
    return pd.DataFrame(out)


def _design(res: Any, new: pd.DataFrame) -> np.ndarray:
    """Build the model's design matrix for new rows (patsy/formulaic via the model spec)."""
    from patsy import build_design_matrices

    di = res.model.data.model_spec
    return np.asarray(build_design_matrices([di], new)[0])


# --- whole run ---------------------------------------------------------------------------------

@dataclass
class ArbitrageResult:
    """One arbitrage run: scope, step log, raw/adjusted/PPP ratios, trend, team."""

    scope: Scope
    log: list[dict[str, Any]]
    raw: pd.DataFrame
    adjusted: AdjustedFit | None
    ppp: pd.DataFrame | None
    trend: pd.DataFrame
    team: pd.DataFrame | None
    min_n: int

    def to_results(self) -> dict[str, Any]:
        """Return the ``arbitrage`` section of SPEC's results.json (fractions, not percents)."""
        def clean(v: Any) -> Any:
            if isinstance(v, (np.floating, float)):
                return None if np.isnan(v) else float(v)
            if isinstance(v, (np.integer,)):
                return int(v)
            if isinstance(v, (np.bool_,)):
                return bool(v)
            return None if v is pd.NA else v

        regions = []
        for _, r in self.raw.iterrows():
            item = {"region": r.group, "n": int(r.n), "n_countries": int(r.n_countries),
                    "top_country": r.top_country,
                    "top_country_share": float(r.top_country_share),
                    "reported": bool(r.reported)}
            if r.reported:
                item.update({k: clean(r[k]) for k in (
                    "median_hourly_usd", "ci_low", "ci_high", "ratio_to_base", "ratio_ci_low",
                    "ratio_ci_high", "rse", "flag")})
            regions.append(item)
        adjusted = [] if self.adjusted is None else [
            {"region": r.group, "ratio_to_base": r.ratio_to_base, "ci_low": r.ci_low,
             "ci_high": r.ci_high, "controls": self.adjusted.controls, "n": int(r.n),
             "kennedy_pct_difference": r.kennedy_pct_difference,
             "median_regression_ratio": clean(r.get("qr_ratio", np.nan))}
            for _, r in self.adjusted.ratios.iterrows()]
        return {
            "base": self.scope.base, "level": self.scope.level,
            "hours_per_year": self.scope.hours_per_year, "rate_kind": self.scope.rate_kind,
            "min_n": self.min_n, "scope": self.scope.to_dict(), "selection_log": self.log,
            "regions": regions, "adjusted": adjusted,
            "ppp": [] if self.ppp is None else [
                {k: clean(v) for k, v in r.items()} for r in self.ppp.to_dict("records")],
            "gap_trend": [{k: clean(v) for k, v in r.items()}
                          for r in self.trend.to_dict("records")],
            "team": None if self.team is None else [
                {k: clean(v) for k, v in r.items()} for r in self.team.to_dict("records")],
        }


def run_arbitrage(rates: pd.DataFrame, scope: Scope, min_n: int = 30, n_boot: int = 2000,
                  seed: int = 0, level: float = 0.95, plr: pd.DataFrame | None = None,
                  team: list[dict[str, Any]] | None = None) -> ArbitrageResult:
    """Run raw, adjusted, PPP, gap-trend and team-cost estimators on one scope."""
    d, log = select_rates(rates, scope)
    raw = raw_ratios(d, scope.base, min_n, n_boot, seed, level)
    groups = raw.loc[raw["reported"].astype(bool), "group"].tolist()
    adjusted = adjusted_ratios(d, scope.base, groups, level=level) if len(groups) > 1 else None
    ppp = ppp_ratios(d, plr, scope.base, groups) if plr is not None and groups else None
    trend = gap_trend(d, scope.base, groups, level=level) if len(groups) > 1 else pd.DataFrame()
    team_df = (team_cost(adjusted, team, scope.base, groups, scope.hours_per_year, seed=seed)
               if team and adjusted is not None else None)
    return ArbitrageResult(scope=scope, log=log, raw=raw, adjusted=adjusted, ppp=ppp,
                           trend=trend, team=team_df, min_n=min_n)


def sensitivity(rates: pd.DataFrame, scope: Scope, min_n: int = 30, n_boot: int = 500,
                seed: int = 0) -> pd.DataFrame:
    """Raw ratios under the METHODS §3.4/§3.7 variants (duplicates, range pairs, outliers)."""
    variants = {
        "primary": {},
        "keep duplicates": {"duplicates": "keep"},
        "range pairs: keep both": {"range_pairs": "keep"},
        "range pairs: low only": {"range_pairs": "low"},
        "range pairs: high only": {"range_pairs": "high"},
        "drop outliers (|M| > 3.5)": {"exclude_outliers": True},
        "keep fx mismatches": {"exclude_fx_mismatch": False},
        "hours 2,087 (OPM)": {"hours_per_year": 2087},
    }
    rows = []
    for name, change in variants.items():
        s = Scope(**{**asdict(scope), **change})
        d, _ = select_rates(rates, s)
        r = raw_ratios(d, s.base, min_n, n_boot, seed)
        for _, x in r[r["reported"].astype(bool)].iterrows():
            rows.append({"variant": name, "group": x.group, "n": int(x.n),
                         "median_hourly_usd": x.median_hourly_usd,
                         "ratio_to_base": x.ratio_to_base})
    return pd.DataFrame(rows)


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Validate the arbitrage notebook's parameters; return them normalized or raise."""
    p = dict(params)
    errors = []
    if p.get("level") not in LEVELS:
        errors.append(f"level must be one of {LEVELS}")
    if p.get("rate_kind") not in ("salary", "bill_rate"):
        errors.append("rate_kind must be 'salary' or 'bill_rate' (never both)")
    for k in ("years", "employment_types", "experience", "role_families"):
        if p.get(k) is not None and not isinstance(p[k], list):
            errors.append(f"{k} must be a list or null")
    hpy = p.get("hours_per_year")
    if not isinstance(hpy, int | float) or isinstance(hpy, bool) or not 1000 <= hpy <= 3000:
        errors.append("hours_per_year must be a number in 1000..3000")
    for k, lo in (("min_n", 10), ("n_boot", 200)):
        if not isinstance(p.get(k), int) or isinstance(p.get(k), bool) or p[k] < lo:
            errors.append(f"{k} must be an integer >= {lo}")
    if not isinstance(p.get("seed"), int) or isinstance(p.get("seed"), bool):
        errors.append("seed must be an integer")
    team = p.get("team") or []
    for m in team:
        if not isinstance(m, dict) or not {"role_family", "experience", "headcount"} <= set(m):
            errors.append("team items need role_family, experience and headcount")
            break
    if errors:
        raise ValueError("invalid parameters: " + "; ".join(errors))
    return p


def claimed_vs_data(claims: pd.DataFrame, result: ArbitrageResult) -> pd.DataFrame:
    """Set claimed hourly rates beside the data: levels, ratios to base, annual equivalents.

    ``claims`` rows with ``check == "data_rate"`` (``region``, ``value`` in USD per hour). The
    claimed ratio (claim / claimed base) is compared with the raw and adjusted CIs; the claimed
    hourly rate times ``hours_per_year`` shows whether it can be a salary at all.
    """
    c = claims[claims["check"] == "data_rate"].copy()
    base_claim = c.loc[c["region"] == result.scope.base, "value"]
    base_value = float(base_claim.iloc[0]) if len(base_claim) else np.nan
    raw = result.raw.set_index("group")
    adj = (result.adjusted.ratios.set_index("group") if result.adjusted is not None
           else pd.DataFrame())
    rows = []
    for _, r in c.iterrows():
        g = r["region"]
        row: dict[str, Any] = {
            "claim_id": r["id"], "region": g, "claimed_hourly_usd": float(r["value"]),
            "claimed_annual_equivalent_usd": float(r["value"]) * result.scope.hours_per_year,
            "claimed_ratio": float(r["value"]) / base_value,
        }
        if g in raw.index and bool(raw.at[g, "reported"]):
            row.update(n=int(raw.at[g, "n"]), data_median_hourly_usd=raw.at[g, "median_hourly_usd"],
                       data_ratio=raw.at[g, "ratio_to_base"],
                       data_ratio_ci_low=raw.at[g, "ratio_ci_low"],
                       data_ratio_ci_high=raw.at[g, "ratio_ci_high"])
        elif g in raw.index:
            row.update(n=int(raw.at[g, "n"]))
        if g in adj.index:
            row.update(adjusted_ratio=adj.at[g, "ratio_to_base"],
                       adjusted_ci_low=adj.at[g, "ci_low"], adjusted_ci_high=adj.at[g, "ci_high"])
        rows.append(row)
    return pd.DataFrame(rows)


def plot_distributions(d: pd.DataFrame, reported: list[str], hours_per_year: float) -> Any:
    """Draw hourly pay distributions by group on a log scale (reported groups only)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    w = d[d["group"].isin(reported)]
    order = w.groupby("group")["hourly"].median().sort_values(ascending=False).index.tolist()
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.45 * len(order) + 1)))
    sns.boxplot(data=w, x="hourly", y="group", order=order, ax=ax, showfliers=False,
                color="#9ecae1", log_scale=True)
    ax.set_xlabel(f"salary-equivalent USD per hour (log scale; H = {hours_per_year:g} h/yr)")
    ax.set_ylabel("")
    ax.set_title("Hourly pay by group (boxes: quartiles; whiskers: 1.5 IQR)")
    fig.tight_layout()
    return fig


def plot_ratio_forest(result: ArbitrageResult) -> Any:
    """Draw raw and adjusted ratios to base with CIs, side by side per group."""
    import matplotlib.pyplot as plt

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
