"""Command line: ``marketlib fetch``, ``clean``, ``inspect``, ``report``, ``history``.

Exit status: 0 success; 1 a report notebook failed or timed out; 2 unusable input or usage
error (the message names the file and the problem, and nothing is written); 3 a clean in which
every input row was rejected; 4 a pay clean that rejected more than ``--max-rejected-share``
of its rows (default 5%; in both the outputs are written: the rejected file says why).
Heavy libraries are imported by the commands, never at start: ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from marketlib import __version__
from marketlib.clean.formats import formats_for
from marketlib.paths import processed_dir, raw_dir
from marketlib.sanitize import one_line
from marketlib.sources.errors import InputError

if TYPE_CHECKING:
    from marketlib.clean.pipeline import Maps
    from marketlib.cleanparams import CleanParams

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch public files at their pinned version, a named snapshot, a commit or the latest."""
    from marketlib.sources import dataset_names, fetch_snapshot

    for name in dataset_names(args.dataset, ref=args.ref):
        path, prov = fetch_snapshot(name, args.dest, ref=args.ref)
        check = (
            "sha256 verified" if prov.sha256_verified else "sha256 recorded (new upstream version)"
        )
        commit = f" @ {prov.commit[:12]}" if prov.commit else ""
        print(f"{name}{commit}: {path} ({check})")
    return EXIT_OK


def clean_params_from(args: argparse.Namespace) -> CleanParams:
    """Validate the common options of ``marketlib clean`` before anything is read or written.

    Raises
    ------
    InputError
        An unparseable ``--max-date``, ``--hours-per-year`` not a positive finite number, a
        bad ``--scheme`` file, or an ``--out`` that is a file or cannot be written.
    """
    from datetime import date, timedelta

    from marketlib.cleanparams import CleanParams, check_hours

    if args.max_date is not None:
        try:
            latest = date.fromisoformat(args.max_date)
        except ValueError:
            raise InputError("--max-date", f"{args.max_date!r} is not a date YYYY-MM-DD") from None
        if latest < date.fromisoformat(CleanParams().min_date):
            raise InputError(
                "--max-date",
                f"{args.max_date} is before the earliest valid date "
                f"{CleanParams().min_date}: every row would be "
                "rejected",
            )
        if latest > date.today() + timedelta(days=1):
            raise InputError(
                "--max-date",
                f"{args.max_date} is in the future: a date after "
                "today is a typing error, not a survey date",
            )
    hours = getattr(args, "hours_per_year", 2080.0)
    try:
        hours = check_hours(hours)
    except ValueError as exc:
        raise InputError("--hours-per-year", str(exc)) from None
    if args.scheme not in ("article", "un"):
        from marketlib.regions import load_scheme

        load_scheme(args.scheme)  # refuse a bad scheme file before writing anything
    check_output_dir(args.out)
    collected = getattr(args, "collected_on", None)
    if collected is not None:
        try:
            date.fromisoformat(collected)
        except ValueError:
            raise InputError("--collected-on", f"{collected!r} is not a date YYYY-MM-DD") from None
    order = "dayfirst" if args.dayfirst else "monthfirst" if args.monthfirst else "auto"
    own_fx, fx_table = None, None
    if getattr(args, "fx_table", None):
        from marketlib.sources import sha256_file
        from marketlib.sources.reference import read_fx_table

        own_fx = read_fx_table(args.fx_table)
        fx_table = f"{args.fx_table} (sha256 {sha256_file(args.fx_table)[:12]})"
    share = getattr(args, "max_rejected_share", None)
    if share is not None and not 0 <= share <= 1:
        raise InputError("--max-rejected-share", f"{share!r} is not a fraction in 0..1 (0.05 = 5%)")
    bands = getattr(args, "experience_bands", None)
    try:
        return CleanParams(
            scheme=args.scheme,
            hours_per_year=hours,
            max_date=args.max_date,
            collected_on=collected,
            decimal=args.decimal,
            freq=getattr(args, "freq", None),
            date_order=order,
            known_certifications_only=getattr(args, "known_only", False),
            fx_after_last=getattr(args, "fx_after_last", "reject"),
            fx_table=fx_table,
            own_fx=own_fx,
            experience_bands=_bands(bands) if bands else CleanParams.experience_bands,
        )
    except ValueError as exc:
        raise InputError("--experience-bands", str(exc)) from None


def _bands(text: str) -> tuple[float, float, float]:
    """Parse ``--experience-bands 2,5,10`` (refused in one line when not three numbers)."""
    try:
        years = [float(x) for x in text.split(",")]
    except ValueError:
        raise InputError("--experience-bands", f"{text!r} is not three years like 2,5,10") from None
    if len(years) != 3:
        raise InputError("--experience-bands", f"{text!r} is not three ascending years like 2,5,10")
    return years[0], years[1], years[2]


def check_output_dir(out: str, option: str = "--out") -> None:
    """Refuse an output folder that is empty, a file, or cannot be created or written."""
    import os
    from pathlib import Path

    if not str(out).strip():
        raise InputError(
            option, "an empty folder name (it would write into the working folder): give a folder"
        )
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise InputError(p, f"{option} exists and is not a folder")
    probe = p
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(p, f"{option} cannot be written (no write permission on {probe})")


def cmd_clean(args: argparse.Namespace) -> int:
    """Clean rates, certification or activity files into ``--out``.

    Exit 3 when every input row was rejected (the outputs are still written: the rejected file
    says why).
    """
    from marketlib.clean.formats import input_format
    from marketlib.clean.pipeline import (
        Maps,
        clean_files,
        summary_lines,
        write_clean,
    )

    if getattr(args, "scheduler", None) and getattr(args, "engine", "pandas") != "dask":
        raise InputError("--scheduler", "is used only with --engine dask")
    params = clean_params_from(args)
    fmt = input_format(args.format, args.what)
    maps = Maps.load(fmt, getattr(args, "columns", None), getattr(args, "values", None))
    if args.what == "rates":
        from marketlib.clean.pipeline import expand_inputs

        args.files = expand_inputs(args.files)  # FILE may be a folder or a glob
        if args.engine == "dask":
            return _clean_rates_dask(args, params, maps)
    check_not_outputs(args.files, args.out)
    result, inputs, notes = clean_files(
        args.files,
        args.format,
        args.what,
        params,
        maps,
        sheet=args.sheet,
        header_row=args.header_row,
    )
    result.report["reading"] = notes
    paths = write_clean(result, args.out, inputs)
    for note in notes:
        print(f"note: {one_line(note)}", file=sys.stderr)
    for line in summary_lines(result.report, result.name):
        print(line)
    for kind, path in paths.items():
        print(f"  {kind}: {path}")
    return exit_status(result.report, getattr(args, "max_rejected_share", None))


def exit_status(r: dict[str, Any], max_share: float | None) -> int:
    """Return the exit status of a clean: 3 all rows rejected, 4 over ``max_share``, else 0.

    Over the limit, a loud summary of the reasons goes to standard error (outputs are
    written either way: the rejected file says why).
    """
    from marketlib.clean.pipeline import EXIT_ALL_REJECTED, EXIT_TOO_MANY_REJECTED

    if r["rows_in"] > 0 and r["rows_clean"] == 0:
        return EXIT_ALL_REJECTED
    if max_share is not None and r["rows_in"] > 0:
        share = r["rows_rejected"] / r["rows_in"]
        if share > max_share:
            why = ", ".join(
                f"{k} {v:,}"
                for k, v in sorted((r.get("reasons") or {}).items(), key=lambda kv: -kv[1])
            )
            print(
                f"marketlib: {share:.1%} of {r['rows_in']:,} rows rejected, over the limit "
                f"of {max_share:.0%} (--max-rejected-share): {why}. Exit "
                f"{EXIT_TOO_MANY_REJECTED}; the rejected file says why for each row",
                file=sys.stderr,
            )
            return EXIT_TOO_MANY_REJECTED
    return EXIT_OK


def check_not_outputs(files: list[str], out: str) -> None:
    """Refuse an input that is one of marketlib's own outputs in ``--out`` (never re-read)."""
    from pathlib import Path

    from marketlib.storage import output_paths

    own = set()
    for table in ("rates", "certifications", "activity"):
        for p in output_paths(out, table).values():
            own |= {p.resolve(), p.with_suffix(".jsonl").resolve()}
    for f in files:
        if Path(f).resolve() in own:
            raise InputError(
                f,
                f"is an output of marketlib in --out {out}: outputs are never "
                "read back as inputs (choose another --out)",
            )


def _clean_rates_dask(args: argparse.Namespace, params: CleanParams, maps: Maps) -> int:
    """``clean rates --engine dask``: on ``--scheduler`` (exit 2 if unreachable) or locally."""
    from marketlib.clean.pipeline import summary_lines
    from marketlib.engines.cluster import dask_client
    from marketlib.engines.dask_clean import clean_rates_dask

    with dask_client(args.scheduler):
        r, paths = clean_rates_dask(
            args.files,
            args.format,
            params,
            args.out,
            progress=True,
            maps=maps,
            sheet=args.sheet,
            header_row=args.header_row,
        )
    for line in summary_lines(r, "rates"):  # the pandas engine's summary, unknown words too
        print(line)
    for kind, path in paths.items():
        print(f"  {kind}: {path}")
    return exit_status(r, args.max_rejected_share)


def cmd_inspect(args: argparse.Namespace) -> int:
    """Show a pay file's headers, a proposed column map and its unknown words."""
    from pathlib import Path

    from marketlib.clean.inspection import (
        column_map_yaml,
        inspect_file,
        inspection_text,
        value_map_yaml,
    )

    if args.write_maps:
        check_output_dir(args.write_maps, "--write-maps")
        d = Path(args.write_maps)
        existing = [d / n for n in ("columns.yaml", "values.yaml") if (d / n).exists()]
        if existing and not args.force:
            raise InputError(
                existing[0],
                "exists (maybe edited): --force replaces it, or choose another --write-maps folder",
            )
    ins = inspect_file(
        args.file, args.format, args.columns, sheet=args.sheet, header_row=args.header_row
    )
    print(inspection_text(ins))
    if args.write_maps:
        d.mkdir(parents=True, exist_ok=True)
        from marketlib.sources import atomic_write_bytes

        for name, text in (
            ("columns.yaml", column_map_yaml(ins)),
            ("values.yaml", value_map_yaml(ins)),
        ):
            atomic_write_bytes(d / name, text.encode("utf-8"))
            print(f"  wrote {d / name}")
        print(
            f"next: edit them, then `marketlib clean rates {args.file} --format "
            f"{ins.fmt.name} --columns {d / 'columns.yaml'} --values {d / 'values.yaml'}`"
        )
    if ins.missing:
        print(
            f"  no header found for required column(s): {', '.join(ins.missing)}: name them "
            "in the column map"
        )
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Run the report notebooks (see :mod:`marketlib.report`)."""
    from marketlib.report import run_report

    return run_report(
        params_file=args.params,
        out=args.out,
        only=args.only,
        update_readme=args.update_readme,
        compare_to=args.compare_to,
        as_of=args.as_of,
        data_ref=args.data_ref,
        notes=args.note,
    )


def cmd_history(args: argparse.Namespace) -> int:
    """Write ``history.csv`` and ``index.html`` across the runs of a reports folder."""
    from pathlib import Path

    from marketlib.history import write_history

    root = Path(args.reports_dir)
    if not root.is_dir():
        raise InputError(root, "not a folder of report runs")
    csv_path, html_path, n = write_history(root)
    print(f"history of {n} run(s): {csv_path}, {html_path}")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line (``marketlib: error: ...``), exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print one line naming the problem and exit 2 (no usage block)."""
        self.exit(EXIT_INPUT, f"marketlib: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``marketlib`` command."""
    parser = _Parser(
        prog="marketlib",
        description="Clean certification and pay data, model growth and arbitrage, audit claims.",
    )
    parser.add_argument("--version", action="version", version=f"marketlib {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_fetch(sub)
    _add_clean(sub)
    _add_inspect(sub)
    _add_history(sub)
    _add_report(sub)
    _add_triangulate(sub)
    return parser


def _add_fetch(sub: Any) -> None:
    from marketlib.sources.datasets import DATASET_GROUPS, DATASETS

    f = sub.add_parser("fetch", help="get a public data set (pinned URL and sha256)")
    f.add_argument("dataset", choices=[*DATASETS, *DATASET_GROUPS, "all"])
    f.add_argument("--dest", default=str(raw_dir()), help="folder (default: data/raw)")
    f.add_argument(
        "--ref",
        default=None,
        metavar="REF",
        help="pinned (default), latest, a 40-hex commit, or a known snapshot: "
        "aijobs 2024-10-27, innovationgraph 2024q4",
    )
    f.set_defaults(func=cmd_fetch)


def _add_clean(sub: Any) -> None:
    c = sub.add_parser("clean", help="clean rates, certification or activity files")
    csub = c.add_subparsers(dest="what", required=True, metavar="WHAT")
    from marketlib.clean.formats import FORMATS

    for what in dict.fromkeys(f.table for f in FORMATS.values()):
        _add_clean_table(csub, what)


def _add_clean_table(csub: Any, what: str) -> None:
    """Add ``marketlib clean <what>``: the shared options, then the table's own."""
    w = csub.add_parser(what, help=f"clean {what} files")
    formats = formats_for(what)
    w.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="CSV file(s)" + ("; a folder or a glob also" if what == "rates" else ""),
    )
    w.add_argument("--format", required=True, choices=formats)
    w.add_argument(
        "--out", default=str(processed_dir()), help="output folder (default: data/processed)"
    )
    w.add_argument(
        "--scheme",
        default="article",
        help="region scheme: article, un, or a CSV iso3,region,subregion",
    )
    w.add_argument(
        "--max-date", default=None, help="latest valid date, YYYY-MM-DD (default: today)"
    )
    w.add_argument(
        "--collected-on",
        default=None,
        help="when the data were collected, YYYY-MM-DD: pay periods are converted "
        "at exchange rates up to this date, never later (default: a known "
        "snapshot's own date, else the period's end)",
    )
    order = w.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        action="store_true",
        help="NN/NN/YYYY dates are day first (default: decided per column "
        "from the dates that can only be one way; ambiguous ones "
        "rejected)",
    )
    order.add_argument("--monthfirst", action="store_true", help="NN/NN/YYYY dates are month first")
    _add_sheet_options(w)
    w.add_argument(
        "--decimal",
        default=".",
        choices=[".", ","],
        help="decimal mark of numbers (default '.'; ',' for 1.234,56); a number "
        "whose separators fit neither convention is rejected",
    )
    if what == "rates":
        w.add_argument(
            "--columns",
            default=None,
            metavar="MAP.yaml",
            help="column map: for each column of the format, the file's header "
            "(see `marketlib inspect`)",
        )
        w.add_argument(
            "--values",
            default=None,
            metavar="MAP.yaml",
            help="value map: words per column (experience, employment_type, "
            "unit, currency, country, role_family)",
        )
        w.add_argument("--hours-per-year", type=float, default=2080.0)
        w.add_argument(
            "--fx-after-last",
            choices=["reject", "last_available"],
            default="reject",
            help="a pay period after the last published exchange rate: reject "
            "(default, fx_rate_unavailable) or take the last rate (rows "
            "flagged is_fx_last_available)",
        )
        w.add_argument(
            "--fx-table",
            default=None,
            metavar="FILE",
            help="your own exchange rates (CSV or workbook: date, currency, "
            "usd_per_unit); they take precedence over the ECB's",
        )
        w.add_argument(
            "--max-rejected-share",
            type=float,
            default=0.05,
            metavar="SHARE",
            help="exit 4 (outputs still written) when more than this fraction of "
            "rows is rejected (default 0.05; 1 turns it off)",
        )
        w.add_argument(
            "--experience-bands",
            default=None,
            metavar="Y1,Y2,Y3",
            help="years of experience for junior|mid|senior|lead (default 2,5,10)",
        )
        w.add_argument(
            "--engine",
            choices=["pandas", "dask"],
            default="pandas",
            help="pandas (default, one process) or dask (a cluster; the table "
            "is then a Parquet dataset folder rates.parquet/)",
        )
        w.add_argument(
            "--scheduler",
            default=None,
            metavar="ADDRESS",
            help="with --engine dask: a running `dask scheduler` "
            "(host:8786); default: a local cluster of 2 workers",
        )
    elif what == "certifications":
        w.add_argument("--freq", choices=["Y", "Q", "M"], default=None)
        w.add_argument(
            "--known-only",
            action="store_true",
            help="reject certifications that are not known codes",
        )
    w.set_defaults(func=cmd_clean)


def _add_inspect(sub: Any) -> None:
    i = sub.add_parser(
        "inspect", help="a pay file's headers, a proposed column map and its unknown words"
    )
    i.add_argument("file", metavar="FILE")
    i.add_argument(
        "--format",
        default="generic",
        choices=formats_for("rates"),
        help="the format to map the file to (default: generic)",
    )
    i.add_argument("--columns", default=None, metavar="MAP.yaml", help="start from this column map")
    _add_sheet_options(i)
    i.add_argument(
        "--write-maps",
        default=None,
        metavar="DIR",
        help="write columns.yaml and values.yaml there, ready to edit",
    )
    i.add_argument(
        "--force",
        action="store_true",
        help="replace columns.yaml and values.yaml already in --write-maps",
    )
    i.set_defaults(func=cmd_inspect)


def _add_sheet_options(p: Any) -> None:
    p.add_argument(
        "--sheet",
        default=None,
        metavar="NAME|N",
        help="workbooks (.xlsx, .xls, .ods): the sheet, by name or 1-based "
        "number (default: the first)",
    )
    p.add_argument(
        "--header-row",
        type=int,
        default=None,
        metavar="N",
        help="workbooks: the header's row number in the sheet (default: found; "
        "title rows above it are skipped and said)",
    )


def _add_history(sub: Any) -> None:
    h = sub.add_parser("history", help="history.csv and index.html across a folder's runs")
    h.add_argument(
        "reports_dir",
        nargs="?",
        default="reports",
        metavar="REPORTS_DIR",
        help="the folder of run folders (default: reports)",
    )
    h.set_defaults(func=cmd_history)


def _add_report(sub: Any) -> None:
    r = sub.add_parser("report", help="run the report notebooks with papermill")
    r.add_argument("--params", default=None, help="parameters YAML (default: params/default.yaml)")
    r.add_argument("--out", default=None, help="output folder (default: reports/<as_of>)")
    r.add_argument(
        "--only",
        nargs="+",
        default=None,
        metavar="NAME",
        help="run only these notebooks (and what they need)",
    )
    r.add_argument(
        "--compare-to",
        default=None,
        metavar="PREVIOUS",
        help="a previous run folder or its results.json (default: the newest "
        "earlier run under the same reports folder)",
    )
    r.add_argument(
        "--as-of",
        default=None,
        metavar="YYYY-MM-DD",
        help="the run's date (overrides the params file; default: its as_of, else today, UTC)",
    )
    r.add_argument(
        "--data-ref",
        default=None,
        metavar="REF",
        help="version of the public datasets: pinned, latest, or a snapshot "
        "(overrides inputs.data_ref)",
    )
    r.add_argument(
        "--note",
        action="append",
        default=None,
        metavar="TEXT",
        help="a note for this run, shown on its summary page (repeatable; e.g. "
        "why fresh data could not be fetched)",
    )
    r.add_argument(
        "--update-readme",
        action="store_true",
        help="refresh the README's generated figure and headline numbers",
    )
    r.set_defaults(func=cmd_report)


def cmd_triangulate(args: argparse.Namespace) -> int:
    """Judge a run's pay and growth claims against the independent sources; write JSON.

    The report's triangulation section on a finished run: its results.json is the sections'
    results, the clean tables are read from ``--processed``.
    """
    import json
    from pathlib import Path

    from marketlib.evidence.triangulate import summary_lines
    from marketlib.params import TriangulationParams
    from marketlib.sections.triangulation import TABLES, run_triangulation
    from marketlib.sources import InputError, atomic_write_bytes
    from marketlib.sources.outputs import json_bytes

    results_path = Path(args.results)
    if results_path.is_dir():
        results_path = results_path / "results.json"
    if not results_path.is_file():
        raise InputError(results_path, "no results.json here (run `marketlib report` first)")
    results = json.loads(results_path.read_text(encoding="utf-8"))
    params = TriangulationParams.model_validate(
        {
            **{p: str(Path(args.processed) / f"{t}.parquet") for p, t in TABLES},
            "rates_source": (results.get("run") or {}).get("rates_source"),
            "ci_level": args.ci_level,
        }
    )
    out = run_triangulation(params, results, compute_missing=False).doc
    dest = Path(args.out)
    atomic_write_bytes(dest, json_bytes(out))
    print("\n".join(summary_lines(out)))
    print(f"written: {dest}")
    return EXIT_OK


def _add_triangulate(sub: Any) -> None:
    t = sub.add_parser(
        "triangulate",
        help="a run's claims against the independent sources (Kaggle, CNCF surveys, Indeed)",
    )
    t.add_argument("results", metavar="RUN", help="a run folder or its results.json")
    t.add_argument(
        "--processed",
        default=str(processed_dir()),
        help="folder of the clean pay_bands, adoption and demand tables",
    )
    t.add_argument("--out", default="triangulation.json", metavar="FILE")
    t.add_argument("--ci-level", type=float, default=0.95)
    t.set_defaults(func=cmd_triangulate)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:  # input text may hold escape bytes: never sent to a terminal
        print(f"marketlib: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:  # a disk or permission problem while writing: one line, no trace
        where = exc.filename or "output"
        print(f"marketlib: error: {one_line(f'{where}: {exc.strerror or exc}')}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
