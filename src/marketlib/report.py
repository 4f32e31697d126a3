"""The scheduled report: data prep, notebooks through papermill, HTML, figures, results.json.

``run_report`` is the engine of ``marketlib report``. Exit status: 0 all notebooks ran;
1 a notebook failed or timed out (named in the message, kept with its error; notebooks that
depend on it are not run); 2 unusable input or parameters.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from marketlib import __version__
from marketlib.paths import PACKAGE_DATA, project_root
from marketlib.sources import InputError, sha256_file

#: Notebooks in dependency order: name -> notebooks it needs.
NOTEBOOKS: dict[str, tuple[str, ...]] = {
    "certification_growth": (),
    "geographic_arbitrage": (),
    "claims_audit": ("certification_growth", "geographic_arbitrage"),
    "market_report": ("certification_growth", "geographic_arbitrage", "claims_audit"),
}
EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


@dataclass
class Step:
    """One notebook run: its outcome and timing."""

    name: str
    status: str  # ok | failed | timeout | skipped
    seconds: float = 0.0
    message: str = ""


def load_params(path: str | Path | None) -> dict[str, Any]:
    """Read and validate the report parameters (YAML); raise InputError naming the problem."""
    p = Path(path) if path else project_root() / "params" / "default.yaml"
    if not p.is_file():
        raise InputError(p, "parameters file not found")
    try:
        params = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(p, f"not valid YAML ({exc})") from exc
    if not isinstance(params, dict):
        raise InputError(p, "parameters must be a mapping")
    for key in ("as_of", "inputs", "growth", "arbitrage"):
        if key not in params:
            raise InputError(p, f"missing key {key!r}")
    try:
        datetime.strptime(str(params["as_of"]), "%Y-%m-%d")
    except ValueError as exc:
        raise InputError(p, f"as_of must be YYYY-MM-DD, got {params['as_of']!r}") from exc
    params["as_of"] = str(params["as_of"])
    from marketlib import arbitrage, growth

    try:
        growth.check_params({**params["growth"], "seed": params.get("seed", 0)})
        arbitrage.check_params({**params["arbitrage"], "seed": params.get("seed", 0)})
    except ValueError as exc:
        raise InputError(p, str(exc)) from exc
    params["_path"] = str(p)
    return params


def _abs(root: Path, rel: str) -> Path:
    q = Path(rel)
    return q if q.is_absolute() else root / q


def prepare_data(params: dict[str, Any], out: Path) -> dict[str, Any]:
    """Fetch (or mirror) the public files, clean them into ``out/clean``; return provenance."""
    from marketlib import clean
    from marketlib.sources import fetch, read_csv_text

    root = project_root()
    raw = root / "data" / "raw"
    aijobs = fetch("aijobs", raw)
    plr = fetch("ppp", raw)
    inp = params["inputs"]
    cparams = clean.CleanParams(scheme=params.get("clean", {}).get("scheme", "article"),
                                hours_per_year=params.get("clean", {}).get("hours_per_year",
                                                                            2080),
                                max_date=params["as_of"])
    clean_dir = out / "clean"
    rt = read_csv_text(aijobs, required=clean.AIJOBS_REQUIRED)
    rates = clean.clean_rates(rt.frame, "aijobs", cparams, source_file=aijobs.name)
    clean.write_outputs(rates, clean_dir, {str(aijobs.relative_to(root)): rt.sha256})
    cert_path = _abs(root, inp["certifications"])
    fmt = inp.get("certifications_format", "counts")
    ct = read_csv_text(cert_path, required=clean.COUNTS_REQUIRED if fmt == "counts"
                       else clean.RECORDS_REQUIRED,
                       any_of=(("country", "region"),) if fmt == "counts" else ())
    certs = clean.clean_certifications(ct.frame, fmt, cparams, source_file=cert_path.name)
    clean.write_outputs(certs, clean_dir, {str(cert_path.relative_to(root)): ct.sha256})
    inputs = {str(aijobs.relative_to(root)): rt.sha256, str(plr.relative_to(root)):
              sha256_file(plr), str(cert_path.relative_to(root)): ct.sha256}
    for key in ("claims", "claims_definitions", "claims_growth"):
        if key in inp:
            q = _abs(root, inp[key])
            if not q.is_file():
                raise InputError(q, "input file not found")
            inputs[inp[key]] = sha256_file(q)
    return {"inputs": inputs, "rates": clean_dir / "rates.parquet",
            "certifications": clean_dir / "certifications.parquet", "ppp": plr,
            "clean_reports": {"rates": rates.report, "certifications": certs.report}}


def notebook_parameters(name: str, params: dict[str, Any], data: dict[str, Any],
                        out: Path) -> dict[str, Any]:
    """Return the papermill parameters of one notebook (absolute paths, plain literals)."""
    root = project_root()
    inp = params["inputs"]
    res = out / "results"
    figs = str(out / "figures")
    seed = int(params.get("seed", 0))
    if name == "certification_growth":
        return {**params["growth"], "certifications_path": str(data["certifications"]),
                "certifications_format": "parquet",
                "claims_growth_path": str(_abs(root, inp["claims_growth"])), "seed": seed,
                "results_path": str(res / f"{name}.json"), "figures_dir": figs}
    if name == "geographic_arbitrage":
        return {**params["arbitrage"], "rates_path": str(data["rates"]),
                "claims_path": str(_abs(root, inp["claims"])), "ppp_path": str(data["ppp"]),
                "seed": seed, "results_path": str(res / f"{name}.json"), "figures_dir": figs}
    if name == "claims_audit":
        return {"claims_path": str(_abs(root, inp["claims"])),
                "definitions_path": str(_abs(root, inp["claims_definitions"])),
                "certifications_path": str(_abs(root, inp["certifications"])),
                "certifications_format": inp.get("certifications_format", "counts"),
                "rates_path": str(data["rates"]),
                "growth_results_path": str(res / "certification_growth.json"),
                "arbitrage_results_path": str(res / "geographic_arbitrage.json"),
                "seed": seed, "results_path": str(res / f"{name}.json")}
    if name == "market_report":
        return {"growth_results_path": str(res / "certification_growth.json"),
                "arbitrage_results_path": str(res / "geographic_arbitrage.json"),
                "claims_results_path": str(res / "claims_audit.json"),
                "figures_dir": figs, "as_of": params["as_of"]}
    raise ValueError(name)


def execute_notebook(name: str, parameters: dict[str, Any], out: Path,
                     timeout: int) -> Step:
    """Execute one notebook with papermill (API), then export HTML with code hidden."""
    import papermill as pm

    src = project_root() / "notebooks" / f"{name}.ipynb"
    dst = out / "notebooks" / f"{name}.ipynb"
    dst.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(str(src), str(dst), parameters=parameters,
                            cwd=str(src.parent), kernel_name="python3",
                            execution_timeout=timeout, progress_bar=False, log_output=False)
    except pm.PapermillExecutionError as exc:
        return Step(name, "failed", time.perf_counter() - t0,
                    f"{exc.ename}: {exc.evalue} (cell {exc.exec_count}); kept at {dst}")
    except Exception as exc:  # timeouts and dead kernels surface as other errors
        kind = "timeout" if "timeout" in type(exc).__name__.lower() or "Timeout" in str(exc) \
            else "failed"
        return Step(name, kind, time.perf_counter() - t0,
                    f"{type(exc).__name__}: {str(exc)[:300]}; kept at {dst}")
    export_html(dst, out / "html" / f"{name}.html", parameters)
    return Step(name, "ok", time.perf_counter() - t0)


def export_html(notebook: Path, html: Path, parameters: dict[str, Any]) -> None:
    """Render an executed notebook to HTML without code, with its parameters shown first."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    shown = "\n".join(f"- `{k}` = `{v!r}`" for k, v in sorted(parameters.items()))
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"**Parameters of this run**\n\n{shown}"))
    body, _ = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                           exclude_output_prompt=True).from_notebook_node(nb)
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(body, encoding="utf-8")


def merge_results(params: dict[str, Any], data: dict[str, Any], out: Path,
                  started: str) -> dict[str, Any]:
    """Merge the notebooks' results into one results.json and validate it against the schema."""
    res = out / "results"

    def read(name: str) -> dict[str, Any] | None:
        p = res / f"{name}.json"
        return json.loads(p.read_text()) if p.exists() else None

    growth = read("certification_growth")
    arbitrage = read("geographic_arbitrage")
    claims = read("claims_audit")
    public = {k: v for k, v in params.items() if not k.startswith("_")}
    merged = {
        "run": {"started": started, "as_of": params["as_of"], "params": public,
                "inputs": data["inputs"], "marketlib_version": __version__,
                "python": sys.version.split()[0]},
        "growth": growth,
        "arbitrage": arbitrage,
        "claims": claims["claims"] if claims else None,
        "cleaning": {k: {f: v[f] for f in ("rows_in", "rows_clean", "rows_rejected",
                                            "reasons")}
                     for k, v in data["clean_reports"].items()},
    }
    validate_results(merged)
    (out / "results.json").write_text(json.dumps(merged, indent=2, default=str) + "\n")
    return merged


def validate_results(results: dict[str, Any]) -> None:
    """Validate a results.json document against the committed JSON Schema."""
    import jsonschema

    schema = json.loads((PACKAGE_DATA / "results.schema.json").read_text())
    jsonschema.validate(results, schema)


def _run_one(args: tuple[str, dict[str, Any], str, int]) -> Step:
    name, parameters, out, timeout = args
    return execute_notebook(name, parameters, Path(out), timeout)


def run_report(params_file: str | None = None, out: str | None = None,
               only: list[str] | None = None, update_readme: bool = False) -> int:
    """Run the whole report; return the exit status (0 ok, 1 notebook failed, 2 input)."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    params = load_params(params_file)
    root = project_root()
    out_dir = Path(out) if out else root / "reports" / params["as_of"]
    names = list(NOTEBOOKS)
    if only:
        unknown = sorted(set(only) - set(NOTEBOOKS))
        if unknown:
            raise InputError("--only", f"unknown notebook(s) {unknown}; known: {names}")
        wanted: set[str] = set()
        for n in only:
            wanted |= {n, *NOTEBOOKS[n]}
        names = [n for n in names if n in wanted]
    say = partial(print, flush=True)
    t0 = time.perf_counter()
    say(f"marketlib report {params['as_of']} -> {out_dir}")
    data = prepare_data(params, out_dir)
    t_prep = time.perf_counter() - t0
    say(f"  data prep: {t_prep:.1f}s "
        f"(rates {data['clean_reports']['rates']['rows_clean']} clean rows)")
    timeout = int(params.get("timeout_seconds", 300))
    steps: dict[str, Step] = {}
    pending = list(names)
    workers = max(1, min(2, os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        while pending:
            ready = [n for n in pending if all(d in steps for d in NOTEBOOKS[n] if d in names)]
            for n in ready:
                failed = [d for d in NOTEBOOKS[n] if d in steps and steps[d].status != "ok"]
                if failed:
                    steps[n] = Step(n, "skipped", message=f"needs {', '.join(failed)}")
                    say(f"  {n}: skipped (needs {', '.join(failed)})")
            ready = [n for n in ready if n not in steps]
            jobs = {n: pool.submit(_run_one, (n, notebook_parameters(n, params, data, out_dir),
                                              str(out_dir), timeout)) for n in ready}
            for n, job in jobs.items():
                steps[n] = job.result()
                s = steps[n]
                say(f"  {n}: {s.status} in {s.seconds:.1f}s" + (f" - {s.message}"
                                                                  if s.message else ""))
            pending = [n for n in pending if n not in steps]
    t1 = time.perf_counter()
    merged = merge_results(params, data, out_dir, started)
    timings = {"data_prep": round(t_prep, 1), "notebooks_wall": round(t1 - t0 - t_prep, 1),
               **{n: round(s.seconds, 1) for n, s in steps.items()},
               "merge_and_validate": round(time.perf_counter() - t1, 1),
               "total": round(time.perf_counter() - t0, 1)}
    (out_dir / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    if update_readme and all(s.status == "ok" for s in steps.values()):
        update_readme_section(merged, out_dir)
    bad = [s for s in steps.values() if s.status != "ok"]
    if bad:
        for s in bad:
            print(f"marketlib: notebook {s.name} {s.status}: {s.message}", file=sys.stderr)
        return EXIT_FAILED
    say(f"done in {timings['total']:.1f}s: {out_dir / 'results.json'}")
    return EXIT_OK


README_START, README_END = "<!-- report:start -->", "<!-- report:end -->"


def headline_markdown(results: dict[str, Any], figure: str) -> str:
    """Return the README's generated section: a figure and a few headline numbers."""
    lines = [README_START, "", f"*Generated by `marketlib report` for as_of "
             f"{results['run']['as_of']}; do not edit by hand.*", "", f"![ratios]({figure})", ""]
    arb = results.get("arbitrage") or {}
    for r in arb.get("regions", []):
        if r["region"] in ("Eastern Europe", "Latin America", "Southeast Asia") and r["reported"]:
            lines.append(
                f"- {r['region']}: median salary-equivalent pay is {r['ratio_to_base']:.2f} "
                f"of {arb['base']} (95% CI {r['ratio_ci_low']:.2f}-{r['ratio_ci_high']:.2f}; "
                f"n = {r['n']}, {r['n_countries']} countries; H = {arb['hours_per_year']:g})")
    gr = results.get("growth") or {}
    for r in gr.get("period_growth", []):
        if r.get("growth") is not None:
            lines.append(f"- CNCF exam registrations, {r['from']} to {r['to']} "
                         f"({', '.join(map(str, r['group'].values()))}): {r['growth']:+.2f} "
                         f"(95% CI {r['ci_low']:+.2f} to {r['ci_high']:+.2f}; "
                         f"{r['y0']:,.0f} -> {r['y1']:,.0f})")
    claims = results.get("claims") or []
    counts: dict[str, int] = {}
    for c in claims:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    if counts:
        lines.append("- Claims audit: " + ", ".join(f"{v} {k}" for k, v in sorted(
            counts.items())))
    lines += ["", README_END]
    return "\n".join(lines)


def update_readme_section(results: dict[str, Any], out_dir: Path) -> None:
    """Replace the README's generated section and copy its figure to ``docs/``."""
    root = project_root()
    fig = out_dir / "figures" / "arbitrage_ratios.png"
    docs = root / "docs"
    docs.mkdir(exist_ok=True)
    if fig.exists():
        (docs / "arbitrage_ratios.png").write_bytes(fig.read_bytes())
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(head + headline_markdown(results, "docs/arbitrage_ratios.png") + tail,
                      encoding="utf-8")


def default_sections(rates_path: str | Path, certifications_path: str | Path,
                     claims_path: str | Path, definitions_path: str | Path,
                     seed: int = 0) -> dict[str, Any]:
    """Compute the growth, arbitrage and claims sections with default settings.

    Used when the summary notebook runs on its own (interactive use, nbval); a report run
    passes the sections its notebooks wrote instead.
    """
    import pandas as pd

    from marketlib import arbitrage as ab
    from marketlib import claims as cl
    from marketlib import clean
    from marketlib import growth as gr

    certs, _ = clean.read_clean_table(certifications_path, "certifications", "counts",
                                      clean.CleanParams(max_date="2026-11-26"))
    rates, _ = clean.read_clean_table(rates_path, "rates", "aijobs")
    panel = gr.prepare_panel(certs, ["region"], "Y", "2021", "2023")
    growth = gr.fit_growth(panel, seed=seed).to_results()
    result = ab.run_arbitrage(rates, ab.Scope(), seed=seed)
    claims = pd.read_csv(claims_path)
    arbitrage = result.to_results()
    arbitrage["claimed_vs_data"] = json.loads(ab.claimed_vs_data(claims, result).to_json(
        orient="records"))
    ev = cl.gather_evidence(rates, certs, claims, growth, arbitrage, seed=seed)
    audited = cl.audit(claims, pd.read_csv(certifications_path), pd.read_csv(definitions_path),
                       ev["comparison"], ev["rates_base"], ev["hours_per_year"], ev["base"],
                       ev["observed_growth"], ev["growth_bounds"])
    return {"growth": growth, "arbitrage": arbitrage, "claims": cl.to_results(audited)}
