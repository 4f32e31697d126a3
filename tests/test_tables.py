"""The reusable tables: every sheet of the workbook and every CSV equal results.json."""

from __future__ import annotations

import json
import math

import openpyxl
import pandas as pd
import pytest
from test_publish import small_results

from marketlib.results_view import upgrade
from marketlib.tables import FLAG_WORDS, human_header, number_format, table_columns, write_tables


def _rows(results: dict, path: tuple[str, ...]) -> list[dict]:
    value = results
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return [r for r in value or [] if isinstance(r, dict)]


def _same(cell, want) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return cell is None or cell == ""
    if isinstance(want, bool):
        return cell == want
    if isinstance(want, (int, float)):
        return cell == pytest.approx(want, rel=1e-12, abs=1e-15)
    if isinstance(want, list):
        return cell == ", ".join(str(x) for x in want)
    if isinstance(want, dict):
        return cell == " | ".join(f"{k}={x}" for k, x in want.items())
    return str(cell).lstrip("'") == str(want)


def test__every_sheet_and_csv_equal_results_json(tmp_path):
    results = upgrade(small_results())  # the fixture is written with version-1 names
    results["arbitrage"]["adjusted"][0]["group"] = "=HYPERLINK(1)"  # never a formula
    paths = write_tables(results, tmp_path)
    book = openpyxl.load_workbook(paths["workbook"])  # the library that wrote it
    assert book.sheetnames[0] == "README"
    checked = 0
    for name, (path, columns) in table_columns().items():
        rows = _rows(results, path)
        if not rows:
            assert name not in book.sheetnames
            continue
        sheet = list(book[name].values)
        shown, body = list(sheet[0]), sheet[1:]
        assert len(body) == len(rows), name
        csv = pd.read_csv(paths[name], keep_default_na=False)
        header = list(csv.columns)  # the CSV keeps the machine names; the sheet, people's
        assert shown == [human_header(c) for c in header]
        assert len(set(shown)) == len(shown), shown
        for want, got in zip(rows, body, strict=True):
            for col, cell in zip(header, got, strict=True):
                value = want.get(columns[col])
                if col.endswith("flag") and value in FLAG_WORDS:
                    value = FLAG_WORDS[value]  # the sheet spells the flag out
                assert _same(cell, value), (name, col, cell, want)
                checked += 1
        for col in header:  # the CSV has the same numbers as numbers
            nums = [want.get(columns[col]) for want in rows]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in nums):
                assert csv[col].tolist() == pytest.approx(nums)
    assert checked > 50
    cell = [r for r in book["adjusted_ratios"].values][1][0]
    assert cell.startswith("'=")  # a text cell that would be a formula is quoted


def test__the_workbook_is_one_an_analyst_opens(tmp_path):
    """Human headers with units, number formats, widths, frozen header, filters, a legend."""
    results = upgrade(small_results())
    book = openpyxl.load_workbook(write_tables(results, tmp_path)["workbook"])
    readme = {r[0]: r[1] for r in book["README"].values}
    assert readme["flag A"].startswith("A: reliable") and "flag E" in readme
    ws = book["pay_ratios"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    head = [c.value for c in ws[1]]
    assert "Median, USD/h" in head and "Rows (n)" in head
    col = head.index("Median, USD/h") + 1
    assert ws.cell(row=2, column=col).number_format == '"$"#,##0.00'
    assert ws.column_dimensions["A"].width >= 10
    assert number_format("top_country_share_fraction") == "0.0%"
    assert human_header("ratio_ci_low") == "Ratio CI low"


class TestEveryPublishedCellIsNeutralised:
    """Hostile round 4, items 1 and 2: text from an input never becomes a formula in any CSV or
    sheet, and a control character never crashes the workbook."""

    def _hostile(self):
        results = upgrade(small_results())
        results["arbitrage"]["adjusted"][0]["group"] = "=cmd|' /C calc'!A0"
        results["arbitrage"]["regions"][0]["group"] = "@SUM(1+1)"
        results["run"]["rates_source"] = '=HYPERLINK("http://evil")'
        results["claims"][0]["text"] = "a claim\x0bwith a vertical tab\x1b[31m and an escape"
        results["claims"][0]["id"] = "+1+cmd"
        return results

    def test__csv_workbook_and_readme_hold_no_formula_and_no_control(self, tmp_path):
        paths = write_tables(self._hostile(), tmp_path)
        book = openpyxl.load_workbook(paths["workbook"])
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    v = cell.value
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, v)
                    if isinstance(v, str):
                        assert not v or v[0] not in "=+@", (sheet.title, v)
                        assert "\x0b" not in v and "\x1b" not in v
        for name, path in paths.items():
            if name == "workbook":
                continue
            for col in pd.read_csv(path, dtype=str, keep_default_na=False).itertuples(index=False):
                for v in col:
                    assert not v or v[0] not in "=+@", (name, v)

    def test__history_csv_is_neutralised_too(self, tmp_path):
        from marketlib.history import write_history

        run = tmp_path / "2026-11-26"
        run.mkdir()
        results = self._hostile()
        (run / "results.json").write_text(json.dumps(results))
        csv_path, html_path, n = write_history(tmp_path)
        text = csv_path.read_text()
        assert n == 1 and "\n=" not in text and ",=" not in text and ',"=' not in text
        assert "Content-Security-Policy" in html_path.read_text()
