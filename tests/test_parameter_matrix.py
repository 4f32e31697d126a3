"""Every documented parameter, every value: each notebook over a matrix of its parameters.

Each case runs the notebook with papermill on the project's clean tables (small bootstrap
counts so the suite stays short) and either completes, with its titles and captions naming
what the parameters chose, or stops at once with a one-line refusal naming the parameter.
The full matrix runs with ``-m slow``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks"
PROCESSED = ROOT / "data" / "processed"

#: notebook -> [(parameters, words the outputs must hold, or "refused: <parameter>")]
CASES: dict[str, list[tuple[dict, list[str] | str]]] = {
    "geographic_arbitrage": [
        ({"geography": "region", "base": "Europe", "ppp": False}, ["Europe", "region"]),
        (
            {"base": "Western Europe", "ppp": False, "team": []},
            ["Western Europe", "team: none in the parameters"],
        ),
        (
            {"geography": "country_iso3", "base": "USA", "min_n": 100, "ppp": False},
            ["USA", "country"],
        ),
        ({"base": "Atlantis", "ppp": False}, "refused: Atlantis"),
        ({"experience": ["guru"]}, "refused: experience"),
    ],
    "regional_growth": [
        ({"subjects": ["llm"], "group_by": ["subregion"]}, ["LLM", "sub-region"]),
        ({"china_hong_kong": "keep", "latest_quarters": 0}, ["kept as separate economies"]),
        ({"start": 2021, "end": 2030}, ["clamped"]),
        ({"start": "latest", "end": "latest-1"}, "refused: end"),
    ],
    "certification_growth": [
        ({"article_growth_path": None}, ["No article table in this run"]),
        ({"start": "2019", "end": "latest"}, "refused: definitions"),  # 2019 is another metric
        ({"freq": "W"}, "refused: freq"),
    ],
}
FAST = {("regional_growth", 0), ("geographic_arbitrage", 3)}  # the rest: -m slow


def _params(name: str, extra: dict) -> dict:
    common = {
        "geographic_arbitrage": {"rates_path": str(PROCESSED / "rates.parquet"), "n_boot": 200},
        "regional_growth": {"counts_path": str(PROCESSED / "activity.parquet")},
        "certification_growth": {"counts_path": str(PROCESSED / "certifications.parquet")},
    }[name]
    return {**common, **extra}


def _outputs(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            parts += out.get("text", [])
            for key in ("text/plain", "text/markdown", "text/html"):
                v = out.get("data", {}).get(key, "")
                parts += v if isinstance(v, list) else [v]
            parts.append(out.get("evalue", ""))
    return "".join(parts)


def _run(name: str, params: dict, expect: list[str] | str, tmp_path: Path) -> None:
    import papermill as pm

    out = tmp_path / f"{name}.ipynb"
    try:
        pm.execute_notebook(
            str(NB / f"{name}.ipynb"),
            str(out),
            parameters=params,
            cwd=str(NB),
            kernel_name="python3",
            execution_timeout=600,
            progress_bar=False,
            log_output=False,
        )
    except pm.PapermillExecutionError as exc:
        assert isinstance(expect, str), f"{name} {params}: {exc.ename}: {exc.evalue}"
        word = expect.removeprefix("refused: ")
        assert exc.ename in (
            "ParamsError",
            "InputError",
            "GrowthInputError",
            "SelectionError",
            "ValueError",
        ), f"a raw {exc.ename}: {exc.evalue}"
        assert word in exc.evalue and "\n" not in exc.evalue.strip(), exc.evalue
        assert exc.exec_count <= 4, "refused late, not up front"
        return
    assert not isinstance(expect, str), f"{name} {params} ran; expected a refusal"
    text = _outputs(out)
    for word in expect:
        assert word in text, f"{name} {params}: {word!r} not on the page"


@pytest.mark.realdata
@pytest.mark.parametrize(("name", "i"), sorted(FAST))
def test__notebook_parameters__works_or_refused_up_front(name, i, tmp_path):
    params, expect = CASES[name][i]
    _run(name, _params(name, params), expect, tmp_path)


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "i"),
    [(n, i) for n, cases in CASES.items() for i in range(len(cases)) if (n, i) not in FAST],
)
def test__notebook_parameters__full_matrix(name, i, tmp_path):
    params, expect = CASES[name][i]
    _run(name, _params(name, params), expect, tmp_path)
