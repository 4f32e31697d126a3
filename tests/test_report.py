"""The report command: parameters, failure handling, dependency skipping, results schema."""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import nbformat
import pytest
import yaml
from growth_tables import activity_table, world_counts

from marketlib.cli import main
from marketlib.paths import project_root
from marketlib.report import load_params, validate_results
from marketlib.report.run import check_sections
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
    [
        ("as_of: [", "not valid YAML"),
        ("as_of: '2026-13-01'\n", "as_of: as_of must be a date YYYY-MM-DD"),
        ("as_of: 2024-02-30\n", "as_of: as_of must be a date YYYY-MM-DD, got '2024-02-30'"),
        ("growth:\n  alpha: 0.05\n", "growth.alpha: unknown key"),
        (
            "arbitrage:\n  \"import os; os.system('id'); x\": 1\n",
            "arbitrage.import os; os.system('id'); x: unknown key",
        ),
        ("arbitrage:\n  n_boot: 1000000000000\n", "arbitrage.n_boot: Input should be less"),
        ("growth:\n  group_by: regionx\n", "growth.group_by: unknown grouping"),
        ("clean:\n  hours_per_year: .nan\n", "clean.hours_per_year: Input should be a finite"),
        ("- a list\n", "must be a mapping"),
    ],
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
    tmp_path, shared_data, monkeypatch, capsys
):
    monkeypatch.setenv("MARKETLIB_MIRROR", str(shared_data))
    params = yaml.safe_load(DEFAULT.read_text())
    params["growth"].update(start="2030", end="2031")  # no counts left: the notebook raises
    params["arbitrage"].update(n_boot=200)  # the failure is what is tested, not the intervals
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
    errors = [
        o
        for c in kept.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert errors and errors[0]["ename"] == "GrowthInputError"
    ran = (failed / "html" / "geographic_arbitrage.html").exists()
    assert ran, f"the independent notebook did not run:\n{err.out}\n{err.err}"
    assert not (failed / "notebooks" / "claims_audit.ipynb").exists()


def _doc() -> dict:
    return {
        "run": {
            "schema_version": 2,
            "started": "2026-11-26T00:00:00+00:00",
            "params": {},
            "marketlib_version": "0",
            "inputs": {"a.csv": "0" * 64},
        },
        "growth": {
            "freq": "Y",
            "period_growth": [
                {
                    "group": {"region": "Europe"},
                    "from": "2022",
                    "to": "2023",
                    "growth": 0.52,
                    "ci_low": 0.3,
                    "ci_high": 0.8,
                    "status": "ok",
                }
            ],
            "trend": [],
            "forecast": [],
        },
        "arbitrage": {
            "base": "North America",
            "hours_per_year": 2080,
            "adjusted": [],
            "regions": [{"group": "Eastern Europe", "n": 12, "reported": False}],
        },
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
    bad["regional"] = [
        {
            "measure": "topic_pushers",
            "subject": "kubernetes",
            "from": "2023",
            "to": "2024",
            "growth": 0.1,
            "ci_low": 0.0,
            "ci_high": 0.2,
            "economies": ["DEU", "EU"],
            "composition": "constant",
        }
    ]
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
    regional = [
        {
            "measure": "topic_pushers",
            "subject": "kubernetes",
            "region": "Europe",
            "from": "2023",
            "to": "2024",
            "growth": -0.012,
            "ci_low": -0.05,
            "ci_high": 0.02,
            "economies": ["DEU"],
            "composition": "constant",
        }
    ]
    (res / "regional_growth.json").write_text(json.dumps({"regional": regional, "notes": ["n"]}))
    params = load_params(PINNED)
    data = {
        "inputs": {"data/raw/a.csv": "a" * 64},
        "clean_reports": {
            "rates": {
                "rows_in": 3,
                "rows_clean": 2,
                "rows_rejected": 1,
                "reasons": {"unknown_unit": 1},
            }
        },
    }
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

    p = save_json(
        {
            "adjusted": [
                {"ratio_ci_low": float("nan"), "ratio_to_base": 0.8, "x": [float("inf"), 1.0]}
            ]
        },
        tmp_path / "r.json",
    )
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
    other = params.model_copy(
        update={"arbitrage": params.arbitrage.model_copy(update={"years": [2019]})}
    )
    with pytest.raises(InputError, match="year in 2019' left no rows"):
        check_sections(other, {"rates": table}, ["geographic_arbitrage"])
    _rates(30, 60).to_parquet(table)
    check_sections(params, {"rates": table}, ["geographic_arbitrage"])  # at the floor


class TestOneWriterPerReportFolder:
    """Hostile round 4, items 3, 11, 12 and 17: two runs never replace each other silently; a
    swap is atomic and a killed one is recovered; links and long names are handled."""

    def test__a_second_run_into_a_locked_folder_is_refused_in_one_line(self, tmp_path):
        from marketlib.report import report_lock

        final = tmp_path / "reports" / "mine"
        with report_lock(final):
            with pytest.raises(InputError, match="another marketlib report .* is writing"):
                with report_lock(final):
                    pass
        with report_lock(final):  # released when its holder is done
            pass

    def test__the_lock_dies_with_its_holder(self, tmp_path):
        import subprocess
        import sys

        from marketlib.report import report_lock

        final = tmp_path / "mine"
        code = (
            "import sys, time\nfrom pathlib import Path\n"
            "from marketlib.report import report_lock\n"
            f"with report_lock(Path({str(final)!r})):\n"
            "    print('held', flush=True); time.sleep(60)\n"
        )
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(InputError):
            with report_lock(final):
                pass
        proc.kill()
        proc.wait()
        with report_lock(final):
            pass

    def test__publish_swaps_in_one_step_and_a_killed_swap_is_recovered(self, tmp_path):
        from marketlib.report import publish_run, recover_publish
        from marketlib.report.folder import short_name

        final, staging = tmp_path / "r", tmp_path / ".r.run-1"
        final.mkdir()
        (final / "results.json").write_text("old")
        staging.mkdir()
        (staging / "results.json").write_text("new")
        publish_run(staging, final)
        assert (final / "results.json").read_text() == "new" and not staging.exists()
        # a run killed between the two renames of the fallback: the old report is put back
        parked = tmp_path / f".{short_name(final)}.old-12345"
        final.rename(parked)
        assert not final.exists()
        assert "restored" in recover_publish(final)
        assert (final / "results.json").read_text() == "new" and not parked.exists()

    def test__out_as_a_symlink_publishes_into_its_target(self, tmp_path):
        from marketlib.report.folder import check_out_folder

        target = tmp_path / "real"
        target.mkdir()
        link = tmp_path / "link"
        link.symlink_to(target)
        assert check_out_folder(link) == target.resolve()
        assert check_out_folder(tmp_path / "plain") == tmp_path / "plain"

    def test__a_long_out_name_works_up_to_the_limit_and_is_refused_beyond(self, tmp_path):
        from marketlib.report.folder import MAX_NAME_BYTES, check_out_folder, short_name
        from marketlib.report.run import make_staging

        ok = tmp_path / ("x" * 245)
        assert check_out_folder(ok) == ok
        staging = make_staging(ok)  # the hidden names fit whatever the report's name
        assert staging.is_dir() and len(staging.name) < 100 and len(short_name(ok)) <= 60
        (tmp_path / f"{ok.name}.failed").mkdir()  # the failed run beside it fits too
        with pytest.raises(InputError, match=f"at most {MAX_NAME_BYTES}"):
            check_out_folder(tmp_path / ("y" * (MAX_NAME_BYTES + 1)))


def test__pool_workers_die_with_a_killed_report(tmp_path):
    """Hostile round 4, item 11: SIGKILL of the report leaves no worker running."""
    import os
    import signal
    import subprocess
    import sys
    import time

    code = (
        "import os, time\nfrom concurrent.futures import ProcessPoolExecutor\n"
        "from marketlib.report.notebooks import die_with_parent\n"
        "with ProcessPoolExecutor(2, initializer=die_with_parent) as pool:\n"
        "    f = pool.submit(os.getpid)\n"
        "    print(f.result(), flush=True)\n"
        "    pool.submit(time.sleep, 60)\n"
        "    time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    worker = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for _ in range(50):
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        try:  # a zombie waiting for its reaper is dead
            state = open(f"/proc/{worker}/stat").read().split(") ")[1][0]
        except OSError:
            break
        if state == "Z":
            break
        time.sleep(0.1)
    else:
        os.kill(worker, signal.SIGKILL)
        pytest.fail("a pool worker outlived the killed report")


@pytest.mark.realdata
def test__a_failure_while_publishing_keeps_the_run_as_failed(
    tmp_path, shared_data, monkeypatch, capsys
):
    """Hostile round 4, item 2: an error after the notebooks is exit 1 with a .failed folder."""
    import marketlib.report.run

    monkeypatch.setenv("MARKETLIB_MIRROR", str(shared_data))

    def broken(results, folder):
        raise ValueError("cannot write\x0b this cell")

    monkeypatch.setattr(marketlib.report.run, "write_tables", broken)
    out = tmp_path / "out"
    rc = main(
        ["report", "--params", str(DEFAULT), "--out", str(out), "--only", "certification_growth"]
    )
    err = capsys.readouterr().err
    assert rc == 1 and not out.exists() and (tmp_path / "out.failed").is_dir()
    assert "publishing the run failed: ValueError: cannot write" in err
    assert "\x0b" not in err and "Traceback" not in err


# --- hostile input: provenance keys -----------------------------------------------------------


def test__run_inputs__files_sharing_a_name_get_distinct_keys(tmp_path):
    from marketlib.report import input_key

    paths = []
    for d in ("a", "b", "c"):
        (tmp_path / d).mkdir()
        p = tmp_path / d / "input.csv"
        p.write_text(d)
        paths.append(p)
    keys = {input_key(p, "rates input") for p in paths}
    assert len(keys) == 3


# --- parameters the data cannot serve are named before any notebook ---------------------------


def test__report_refuses_an_unknown_topic_before_any_notebook(tmp_path):
    table = tmp_path / "activity.parquet"
    activity_table().to_parquet(table)
    params = load_params(None)

    def topics(names: list[str]):
        return params.model_copy(
            update={"regional": params.regional.model_copy(update={"subjects": names})}
        )

    check_sections(topics(["kubernetes"]), {"activity": table}, ["regional_growth"])
    bad = topics(["kubernetes", "llm"])
    with pytest.raises(InputError, match=r"regional: subject\(s\) \['llm'\] not published"):
        check_sections(bad, {"activity": table}, ["regional_growth"])


def test__only_the_sections_run_are_checked(tmp_path):
    from tests.test_arbitrage import _rates

    table = tmp_path / "certifications.parquet"
    world_counts().to_parquet(table)
    params = load_params(None)
    bad = params.model_copy(
        update={"growth": params.growth.model_copy(update={"group_by": ["country_iso3"]})}
    )
    check_sections(bad, {"certifications": table}, ["geographic_arbitrage"])  # growth not run
    with pytest.raises(InputError, match="growth: group_by country_iso3"):
        check_sections(bad, {"certifications": table}, ["certification_growth"])
    rates = tmp_path / "rates.parquet"
    _rates(30, 60).to_parquet(rates)  # the base exactly at the floor: estimable
    check_sections(params, {"rates": rates}, ["geographic_arbitrage"])
    _rates(29, 60).to_parquet(rates)
    with pytest.raises(InputError, match="has 29 rows after the filters, below min_n 30"):
        check_sections(params, {"rates": rates}, ["geographic_arbitrage"])
