"""The report command: parameters, failure handling, dependency skipping, results schema."""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import nbformat
import pytest
import yaml

from marketlib.cli import main
from marketlib.paths import project_root
from marketlib.report import load_params, validate_results
from marketlib.sources import InputError

DEFAULT = project_root() / "params" / "default.yaml"
PINNED = project_root() / "params" / "pinned.yaml"


def test__load_params__default_is_valid():
    from datetime import UTC, datetime

    assert load_params(DEFAULT).as_of is None  # the monthly job takes its run date
    assert load_params(DEFAULT).run_date() == datetime.now(UTC).date()
    p = load_params(PINNED)  # the reproducible run: default.yaml with as_of pinned
    assert p.run_date().isoformat() == "2026-11-26"
    assert p.clean_params().max_date == "2026-11-26"  # as_of bounds every cleaning step
    assert p.growth.seed == p.arbitrage.seed == p.seed  # the run's seed reaches every section


@pytest.mark.parametrize(
    ("text", "problem"),
    [("as_of: [", "not valid YAML"),
     ("as_of: '2026-13-01'\n", "as_of: as_of must be a date YYYY-MM-DD"),
     ("as_of: 2024-02-30\n", "as_of: as_of must be a date YYYY-MM-DD, got '2024-02-30'"),
     ("growth:\n  alpha: 0.05\n", "growth.alpha: unknown key"),
     ("arbitrage:\n  \"import os; os.system('id'); x\": 1\n",
      "arbitrage.import os; os.system('id'); x: unknown key"),
     ("arbitrage:\n  n_boot: 1000000000000\n", "arbitrage.n_boot: Input should be less"),
     ("growth:\n  group_by: regionx\n", "growth.group_by: unknown grouping"),
     ("clean:\n  hours_per_year: .nan\n", "clean.hours_per_year: Input should be a finite"),
     ("- a list\n", "must be a mapping")],
)
def test__load_params__errors_name_the_file(tmp_path, text, problem):
    p = tmp_path / "p.yaml"
    p.write_text(text)
    with pytest.raises(InputError, match=re.escape(problem)) as err:
        load_params(p)
    assert str(p) in str(err.value)


def test__load_params__group_by_string_is_a_list():
    from marketlib.params import GrowthParams

    assert GrowthParams.build({"group_by": "region"}).group_by == ["region"]


def test__load_params__bad_notebook_parameter_refused(tmp_path):
    params = yaml.safe_load(DEFAULT.read_text())
    params["arbitrage"]["rate_kind"] = "both"
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(params))
    assert main(["report", "--params", str(p), "--out", str(tmp_path / "out")]) == 2


@pytest.mark.realdata
def test__report__failed_notebook_exit_1_named_kept_dependents_skipped(
        tmp_path, shared_data, monkeypatch, capsys):
    monkeypatch.setenv("MARKETLIB_MIRROR", str(shared_data))
    params = yaml.safe_load(DEFAULT.read_text())
    params["growth"].update(start="2030", end="2031")  # no counts left: the notebook raises
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(params))
    out = tmp_path / "out"
    rc = main(["report", "--params", str(p), "--out", str(out), "--only", "claims_audit"])
    assert rc == 1
    err = capsys.readouterr()
    assert "certification_growth failed" in err.err
    assert "claims_audit: skipped" in err.out
    assert not out.exists()  # a failed run never publishes
    failed = tmp_path / "out.failed"
    kept = nbformat.read(failed / "notebooks" / "certification_growth.ipynb", as_version=4)
    errors = [o for c in kept.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors and errors[0]["ename"] == "GrowthInputError"
    ran = (failed / "html" / "geographic_arbitrage.html").exists()
    assert ran, f"the independent notebook did not run:\n{err.out}\n{err.err}"
    assert not (failed / "notebooks" / "claims_audit.ipynb").exists()


def _doc() -> dict:
    return {
        "run": {"schema_version": 2, "started": "2026-11-26T00:00:00+00:00", "params": {},
                "marketlib_version": "0", "inputs": {"a.csv": "0" * 64}},
        "growth": {"freq": "Y", "period_growth": [
            {"group": {"region": "Europe"}, "from": "2022", "to": "2023", "growth": 0.52,
             "ci_low": 0.3, "ci_high": 0.8, "status": "ok"}], "trend": [], "forecast": []},
        "arbitrage": {"base": "North America", "hours_per_year": 2080, "adjusted": [],
                      "regions": [{"group": "Eastern Europe", "n": 12, "reported": False}]},
        "claims": [{"id": "x", "text": "t", "verdict": "consistent", "detail": "d"}],
    }


def test__results_schema__accepts_spec_shape_and_refuses_violations():
    validate_results(_doc())
    bad = copy.deepcopy(_doc())
    bad["arbitrage"]["regions"][0]["ratio_to_base"] = 0.4  # suppressed group with an estimate
    with pytest.raises(jsonschema.ValidationError):
        validate_results(bad)
    bad = copy.deepcopy(_doc())
    bad["claims"][0]["verdict"] = "probably true"
    with pytest.raises(jsonschema.ValidationError):
        validate_results(bad)
    bad = copy.deepcopy(_doc())
    bad["run"]["inputs"] = {"a.csv": "not-a-hash"}
    with pytest.raises(jsonschema.ValidationError):
        validate_results(bad)
    bad = copy.deepcopy(_doc())
    bad["regional"] = [{"measure": "topic_pushers", "subject": "kubernetes", "from": "2023",
                        "to": "2024", "growth": 0.1, "ci_low": 0.0, "ci_high": 0.2,
                        "economies": ["DEU", "EU"], "composition": "constant"}]
    with pytest.raises(jsonschema.ValidationError):  # an aggregate is never an economy
        validate_results(bad)


def test__merge_results__validated_document_with_regional_and_cleaning(tmp_path):
    from marketlib.report import merge_results

    res = tmp_path / "results"
    res.mkdir()
    doc = _doc()
    (res / "certification_growth.json").write_text(json.dumps(doc["growth"]))
    (res / "geographic_arbitrage.json").write_text(json.dumps(doc["arbitrage"]))
    (res / "claims_audit.json").write_text(json.dumps({"claims": doc["claims"]}))
    regional = [{"measure": "topic_pushers", "subject": "kubernetes", "region": "Europe",
                 "from": "2023", "to": "2024", "growth": -0.012, "ci_low": -0.05,
                 "ci_high": 0.02, "economies": ["DEU"], "composition": "constant"}]
    (res / "regional_growth.json").write_text(json.dumps({"regional": regional,
                                                           "notes": ["n"]}))
    params = load_params(PINNED)
    data = {"inputs": {"data/raw/a.csv": "a" * 64},
            "clean_reports": {"rates": {"rows_in": 3, "rows_clean": 2, "rows_rejected": 1,
                                        "reasons": {"unknown_unit": 1}}}}
    merged = merge_results(params, data, tmp_path, "2026-11-26T00:00:00+00:00")
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk == json.loads(json.dumps(merged, default=str))
    assert merged["regional"] == regional and merged["regional_detail"] == {"notes": ["n"]}
    assert merged["run"]["as_of"] == "2026-11-26"
    assert merged["run"]["params"]["arbitrage"]["n_boot"] == 2000
    assert merged["cleaning"]["rates"]["rows_rejected"] == 1


def test__as_of__defaults_to_the_run_date_and_names_the_folder(tmp_path):
    from datetime import UTC, datetime

    from marketlib.params import ReportParams
    from marketlib.report import output_folder

    p = ReportParams.build({})
    today = datetime.now(UTC).date()
    assert p.as_of is None and p.run_date() == today
    assert p.clean_params().max_date == today.isoformat()  # cleaning bounded by the run date
    assert output_folder(p).name == today.isoformat()
    assert output_folder(p, tmp_path / "x") == tmp_path / "x"
    fixed = ReportParams.build({"as_of": "2026-11-26"})
    assert output_folder(fixed).name == "2026-11-26"


def test__refuse_mixing__two_runs_never_share_a_folder(tmp_path):
    from marketlib.report import refuse_mixing

    refuse_mixing(tmp_path / "new", "2026-11-26")  # absent: fine
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text(json.dumps({"run": {"as_of": "2026-10-26"}}))
    refuse_mixing(run, "2026-10-26")  # the same run again: replaced as a whole, allowed
    with pytest.raises(InputError, match="holds the report of as_of 2026-10-26"):
        refuse_mixing(run, "2026-11-26")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="holds no report"):
        refuse_mixing(other, "2026-11-26")
    assert main(["report", "--out", str(other)]) == 2
    assert (other / "notes.txt").read_text() == "mine"


def test__results_files_are_strict_json_nan_written_as_null(tmp_path):
    from marketlib.sections.base import save_json

    p = save_json({"adjusted": [{"ratio_ci_low": float("nan"), "ratio_to_base": 0.8,
                                 "x": [float("inf"), 1.0]}]}, tmp_path / "r.json")
    text = p.read_text()
    assert "NaN" not in text and "Infinity" not in text
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert doc["adjusted"][0] == {"ratio_ci_low": None, "ratio_to_base": 0.8, "x": [None, 1.0]}


def test__run_seed_reaches_sections_the_file_leaves_out():
    from marketlib.params import ParamsError, ReportParams

    p = ReportParams.build({"seed": 7, "growth": {"ci_level": 0.9}})
    assert (p.growth.seed, p.arbitrage.seed, p.regional.seed) == (7, 7, 7)
    assert ReportParams.build({"seed": 7, "arbitrage": {"seed": 3}}).arbitrage.seed == 3
    with pytest.raises(ParamsError, match="seed"):
        ReportParams.build({"seed": -1})


def test__pay_selection_the_section_cannot_estimate__refused_before_any_notebook(tmp_path):
    from marketlib.report.run import check_sections
    from tests.test_arbitrage import _rates

    table = tmp_path / "rates.parquet"
    _rates(20, 60).to_parquet(table)
    params = load_params(None)
    with pytest.raises(InputError, match="below min_n 30"):
        check_sections(params, {"rates": table}, ["geographic_arbitrage"])
    other = params.model_copy(update={"arbitrage": params.arbitrage.model_copy(
        update={"years": [2019]})})
    with pytest.raises(InputError, match="year in 2019' left no rows"):
        check_sections(other, {"rates": table}, ["geographic_arbitrage"])
    _rates(30, 60).to_parquet(table)
    check_sections(params, {"rates": table}, ["geographic_arbitrage"])  # at the floor
