"""Parameters: frozen, validated objects, one per section, built once from the params file.

The report runner, the notebooks and the tests all build their parameters here, so one rule
(types, bounds, allowed values, unknown keys refused) holds everywhere.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from marketlib.bounds import LATEST_BOUND, year_offset
from marketlib.cleanparams import HOURS_PER_YEAR, CleanParams, check_hours  # noqa: F401
from marketlib.paramsbase import (  # noqa: F401 - ParamsError & co. are read from here too
    ParamsError,
    _as_list,
    _check_bound,
    _check_words,
    _Model,
    _not_empty_list,
    _vocabulary_values,
    check_year_bound,
    describe_errors,
)
from marketlib.paths import data_file

# --- section parameters (pydantic: unknown keys refused, types and bounds checked) -----------

GEOGRAPHIES = ("region", "subregion", "country_iso3")
#: Seeds are what numpy's generators take: 0 to 2**32 - 1.
SEED_MAX = 2**32 - 1
GROUP_COLUMNS = ("region", "subregion", "country_iso3", "certification", "subject")


class GrowthParams(_Model):
    """Growth of a clean counts table (certifications or developer activity)."""

    counts_path: str | None = None
    subjects: list[str] | None = None  # certification codes; None: all
    group_by: list[str] = Field(default_factory=lambda: ["region"], min_length=1)
    freq: Literal["Y", "Q", "M"] = "Y"
    #: a period label (2021, 2021-Q1, 2021-03) or ``latest`` / ``latest-N`` (the latest
    #: complete period of the data at the run's as_of, minus N periods); None: all
    start: str | None = None
    end: str | None = None
    forecast_periods: int = Field(2, ge=0, le=24)
    ci_level: float = Field(0.95, gt=0.5, lt=1.0)
    seed: int = Field(0, ge=0, le=SEED_MAX)

    @field_validator("group_by", "subjects", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return _as_list(v)

    @field_validator("subjects")
    @classmethod
    def _subjects(cls, v: list[str] | None) -> list[str] | None:
        return _not_empty_list(v)

    @field_validator("group_by")
    @classmethod
    def _known_columns(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in GROUP_COLUMNS]
        if bad:
            raise ValueError(f"unknown grouping column(s) {bad}; choose from {GROUP_COLUMNS}")
        return v

    @field_validator("start", "end", mode="before")
    @classmethod
    def _bound(cls, v: Any) -> str | None:
        return _check_bound(v)

    @model_validator(mode="after")
    def _window(self) -> GrowthParams:
        if self.start is not None and self.end is not None:
            from marketlib.periods import parse_bound

            if LATEST_BOUND.fullmatch(self.start) or LATEST_BOUND.fullmatch(self.end):
                if bool(LATEST_BOUND.fullmatch(self.start)) == bool(
                    LATEST_BOUND.fullmatch(self.end)
                ) and year_offset(self.end) < year_offset(self.start):
                    raise ValueError(f"end ({self.end}) is before start ({self.start})")
                return self
            if parse_bound(self.end).last_day < parse_bound(self.start).first_day:
                raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class TeamMember(_Model):
    """One line of a team to price: role family, experience and headcount."""

    role_family: str
    experience: str
    headcount: float = Field(gt=0, le=10_000)

    @field_validator("role_family")
    @classmethod
    def _family(cls, v: str) -> str:
        return _check_words(v, "role_family")

    @field_validator("experience")
    @classmethod
    def _level(cls, v: str) -> str:
        return _check_words(v, "experience")


class ArbitrageParams(_Model):
    """Geographic pay arbitrage: which rows, which groups, which estimators."""

    rates_path: str | None = None
    geography: Literal["region", "subregion", "country_iso3"] = "subregion"
    base: str = "North America"
    years: list[int] | None = None
    rate_kind: Literal["salary", "bill_rate"] = "salary"
    employment_types: (
        list[Literal["full_time", "part_time", "employee", "contractor", "freelance"]] | None
    ) = ["full_time", "employee"]
    experience: list[str] | None = None
    role_families: list[str] | None = None
    #: rows holding every one of these skills (pay data with a skills column only)
    skills_all: list[str] | None = None
    #: rows holding at least one of these skills
    skills_any: list[str] | None = None
    hours_per_year: float = Field(HOURS_PER_YEAR, ge=1000, le=3000)
    min_n: int = Field(30, ge=10, le=100_000)
    ppp: bool = True
    n_boot: int = Field(2000, ge=200, le=100_000)
    ci_level: float = Field(0.95, gt=0.5, lt=1.0)
    team: list[TeamMember] = Field(default_factory=list, max_length=50)
    seed: int = Field(0, ge=0, le=SEED_MAX)
    #: ``dask``: medians, CIs, raw and adjusted (HC3) ratios on a Dask cluster, the same
    #: numbers as ``pandas`` (see :func:`marketlib.engines.dask_arbitrage.dask_run_arbitrage`).
    engine: Literal["pandas", "dask"] = "pandas"
    #: Address of a running ``dask scheduler`` (engine ``dask``); None: a local cluster.
    scheduler: str | None = None

    @field_validator(
        "years",
        "employment_types",
        "experience",
        "role_families",
        "skills_all",
        "skills_any",
        mode="before",
    )
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return _as_list(v)

    @field_validator("skills_all", "skills_any")
    @classmethod
    def _skills(cls, v: list[str] | None) -> list[str] | None:
        """Fold each skill as the cleaner does (``K8s`` -> kubernetes); refuse non-words."""
        if v is None:
            return v
        from marketlib.clean.skills import SKILL_WORD, skill_vocabulary, skill_word

        out = []
        for w in v:
            key = skill_word(str(w)).replace("_", " ")
            word = skill_vocabulary().get(key, key.replace(" ", "_"))
            if not SKILL_WORD.match(word):
                raise ValueError(
                    f"{str(w)[:40]!r} is not one skill word (no spaces or "
                    "separators; e.g. kubernetes, pytorch, mlops)"
                )
            out.append(word)
        return out

    @field_validator("experience")
    @classmethod
    def _levels(cls, v: list[str] | None) -> list[str] | None:
        return _check_words(v, "experience")

    @field_validator("role_families")
    @classmethod
    def _families(cls, v: list[str] | None) -> list[str] | None:
        return _check_words(v, "role_family")

    @field_validator("years")
    @classmethod
    def _years(cls, v: list[int] | None) -> list[int] | None:
        for y in v or []:
            if not 1990 <= y <= 2100:
                raise ValueError(f"year {y} outside 1990..2100")
        return v

    @field_validator("base")
    @classmethod
    def _base(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the base group is empty")
        return v

    @field_validator(
        "years", "employment_types", "experience", "role_families", "skills_all", "skills_any"
    )
    @classmethod
    def _not_empty(cls, v: list[Any] | None) -> list[Any] | None:
        return _not_empty_list(v)

    @model_validator(mode="after")
    def _consistent(self) -> ArbitrageParams:
        if self.scheduler is not None and self.engine != "dask":
            raise ValueError("scheduler is used only with engine: dask (engine is pandas)")
        if self.employment_types is not None:
            from marketlib.clean.vocab import employment_types, vocabulary

            vocab = vocabulary("rate_kinds")  # keys are folded words ("full time")

            def kind(t: str) -> str | None:
                return vocab.get(t.strip().lower().replace("_", " ").replace("-", " "))

            if not any(kind(t) == self.rate_kind for t in self.employment_types):
                fits = [t for t in employment_types() if kind(t) == self.rate_kind]
                raise ValueError(
                    f"rate_kind {self.rate_kind} and employment_types "
                    f"{self.employment_types} select no row ({self.rate_kind} is "
                    f"the pay of {', '.join(fits)}): set employment_types to "
                    "those, or null"
                )
        return self


class RegionalParams(_Model):
    """Regional growth of a clean counts table (developer activity: a proxy, never certificates).

    Annual growth (``freq`` ``Y``: sums of quarterly flows; the stock ``developers`` Q4 to Q4)
    for each pair of consecutive years from ``start`` to ``end``, and the latest
    ``latest_quarters`` quarters against as many before them.
    """

    counts_path: str | None = None
    measure: str = "topic_pushers"
    subjects: list[str] | None = Field(default_factory=lambda: ["kubernetes"])
    group_by: list[str] = Field(default_factory=lambda: ["region"], min_length=1)
    freq: Literal["Y"] = "Y"
    #: a calendar year, or ``latest`` / ``latest-N``: the latest complete year of the data at
    #: the run's as_of (minus N), so a monthly run's window moves with its data
    start: int | str = "latest-2"
    end: int | str = "latest"
    latest_quarters: int = Field(4, ge=0, le=8)
    composition: Literal["constant", "published"] = "constant"
    china_hong_kong: Literal["combine", "exclude", "keep"] = "combine"
    ci_level: float = Field(0.95, gt=0.5, lt=1.0)
    seed: int = Field(0, ge=0, le=SEED_MAX)

    @field_validator("subjects", "group_by", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return _as_list(v)

    @field_validator("subjects")
    @classmethod
    def _subjects(cls, v: list[str] | None) -> list[str] | None:
        return _not_empty_list(v)

    @field_validator("group_by")
    @classmethod
    def _geography(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in GEOGRAPHIES]
        if bad:
            raise ValueError(
                f"regional growth groups by geography only; {bad} not in {GEOGRAPHIES}"
            )
        return v

    @field_validator("start", "end", mode="before")
    @classmethod
    def _year_bound(cls, v: Any) -> Any:
        if isinstance(v, str) and v.strip().isdigit():
            v = int(v.strip())  # "2022" and 2022 are one year in every section
        if isinstance(v, int | str):
            check_year_bound(v)
        return v

    @model_validator(mode="after")
    def _window(self) -> RegionalParams:
        same_kind = isinstance(self.start, int) == isinstance(self.end, int)
        if same_kind and year_offset(self.end) <= year_offset(self.start):
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self

    @property
    def years(self) -> list[int]:
        """Return the compared calendar years, ``start`` to ``end`` (resolved bounds only)."""
        if not (isinstance(self.start, int) and isinstance(self.end, int)):
            raise ValueError(
                "the window has relative bounds (latest): resolve them first "
                "(marketlib.periods.resolve_years)"
            )
        return list(range(self.start, self.end + 1))


class TriangulationParams(_Model):
    """The claims against the independent sources (Kaggle pay bands, CNCF surveys, Indeed).

    The clean tables of the three sources (the notebook's own run: ``data/processed``) and
    the results of the sections it confronts (arbitrage, regional, claims); a results path
    left out is computed with the defaults.
    """

    pay_bands_path: str | None = None
    adoption_path: str | None = None
    demand_path: str | None = None
    arbitrage_results_path: str | None = None
    regional_results_path: str | None = None
    claims_results_path: str | None = None
    #: how pages name the run's pay data (the report passes its own)
    rates_source: str | None = Field(None, min_length=1, max_length=300)
    #: the Kaggle job titles set beside the run's pay (null: every title; e.g. Data
    #: Scientist, Machine Learning Engineer); a title the data lack is refused, naming those
    #: they hold
    kaggle_titles: list[str] | None = None
    ci_level: float = Field(0.95, gt=0.5, lt=1.0)

    @field_validator("kaggle_titles", mode="before")
    @classmethod
    def _titles(cls, v: Any) -> Any:
        return _not_empty_list(_as_list(v))


class CleanSection(_Model):
    """Cleaning settings of a report run (the run's ``as_of`` is the latest valid date)."""

    scheme: str = "article"

    @field_validator("scheme")
    @classmethod
    def _scheme(cls, v: str) -> str:
        if v in ("article", "un") or v.endswith(".csv"):
            return v
        raise ValueError(
            f"scheme must be article, un or a CSV file (iso3,region,subregion), got {v!r}"
        )

    hours_per_year: float = Field(HOURS_PER_YEAR, ge=1000, le=3000)
    decimal: Literal[".", ","] = "."
    date_order: Literal["auto", "dayfirst", "monthfirst"] = "auto"
    #: a pay period after the last published exchange rate: reject, or take that rate
    #: (rows flagged is_fx_last_available; the pay page says how many)
    fx_after_last: Literal["reject", "last_available"] = "reject"
    #: the analyst's own exchange rates (CSV or workbook: date, currency, usd_per_unit)
    fx_table: str | None = None
    #: years of experience that start mid, senior and lead (numeric experience cells)
    experience_bands: list[float] = Field(default_factory=lambda: [2.0, 5.0, 10.0])

    @field_validator("experience_bands")
    @classmethod
    def _bands(cls, v: list[float]) -> list[float]:
        if len(v) != 3 or not 0 < v[0] < v[1] < v[2] <= 60:
            raise ValueError(
                f"experience_bands must be three ascending years in (0, 60], "
                f"e.g. [2, 5, 10]; got {list(v)}"
            )
        return v


class RatesInput(_Model):
    """The pay input of a report: a file of any registered rates format, with optional maps."""

    path: str = "data/raw/aijobs/salaries.csv"
    format: str = "aijobs"
    columns: str | None = None  # a column map (YAML), as ``marketlib clean rates --columns``
    values: str | None = None  # a value map (YAML), as ``--values``
    sheet: str | int | None = None  # a workbook's sheet (name or 1-based number)
    header_row: int | None = Field(None, ge=1, le=1_000_000)  # its header's row in the sheet

    @field_validator("format")
    @classmethod
    def _registered(cls, v: str) -> str:
        from marketlib.clean.formats import formats_for

        if v not in formats_for("rates"):
            raise ValueError(
                f"unknown rates format {v!r}; choose from {', '.join(formats_for('rates'))}"
            )
        return v


class Inputs(_Model):
    """Input files of a report run (project-relative or absolute paths).

    Every input but ``rates`` may be null: the sections and checks that need it are skipped
    and the pages say so.
    """

    rates: RatesInput = Field(default_factory=RatesInput)
    certifications: str | None = "data/raw/certifications/cncf_published_counts.csv"
    certifications_format: Literal["counts", "records"] = "counts"
    claims: str | None = "data/raw/claims/article_claims.csv"
    claims_definitions: str | None = "data/raw/claims/cncf_definitions.csv"
    claims_growth: str | None = "data/raw/certifications/article_regional_growth.csv"
    activity: str | None = "data/raw/innovationgraph"
    #: the independent sources (folders of their files; null leaves the triangulation out)
    pay_bands: str | None = "data/raw/kaggle-survey"
    adoption: str | None = "data/raw/cncf-surveys"
    demand: str | None = "data/raw/indeed"
    #: the version of the public datasets read from their home paths: ``pinned`` (the
    #: committed sha256), ``latest`` (the newest upstream commit, fetched) or a known
    #: snapshot (``2024-10-27``, ``2024q4``); files given by another path are used as they are
    data_ref: str = "pinned"

    @field_validator("data_ref")
    @classmethod
    def _ref(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", v):
            raise ValueError(
                f"data_ref must be pinned, latest, a snapshot or a commit, got {v[:40]!r}"
            )
        return v

    @model_validator(mode="before")
    @classmethod
    def _aijobs_key(cls, values: Any) -> Any:
        """Read parameter files written before ``rates`` (``aijobs: PATH``) as aijobs input."""
        if isinstance(values, dict) and "aijobs" in values and "rates" not in values:
            out = dict(values)
            out["rates"] = {"path": out.pop("aijobs"), "format": "aijobs"}
            return out
        return values


class ReportParams(_Model):
    """A whole report run, as read from ``params/*.yaml``."""

    as_of: date | None = None
    seed: int = Field(0, ge=0, le=SEED_MAX)
    timeout_seconds: int = Field(300, ge=10, le=7200)
    inputs: Inputs = Field(default_factory=Inputs)
    clean: CleanSection = Field(default_factory=CleanSection)
    growth: GrowthParams = Field(default_factory=GrowthParams)
    arbitrage: ArbitrageParams = Field(default_factory=ArbitrageParams)
    regional: RegionalParams = Field(default_factory=RegionalParams)
    triangulation: TriangulationParams = Field(default_factory=TriangulationParams)

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of(cls, v: Any) -> Any:
        """Accept a date or a ``YYYY-MM-DD`` string; a number is never a date (0 != 1970)."""
        if isinstance(v, str):
            try:
                v = date.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(f"as_of must be a date YYYY-MM-DD, got {v[:40]!r}") from None
        if v is None:
            return v
        if isinstance(v, datetime):
            raise ValueError(f"as_of must be a date YYYY-MM-DD, not a date and time ({v})")
        if not isinstance(v, date):
            raise ValueError(f"as_of must be a date YYYY-MM-DD, got {type(v).__name__}")
        if v < date.fromisoformat(CleanParams().min_date):
            raise ValueError(
                f"as_of {v} is before the earliest valid date "
                f"{CleanParams().min_date}: every row would be rejected"
            )
        from datetime import UTC, timedelta

        if v > datetime.now(UTC).date() + timedelta(days=1):
            raise ValueError(
                f"as_of {v} is in the future: a run describes data up to a day that has come"
            )
        return v

    @model_validator(mode="before")
    @classmethod
    def _seed_everywhere(cls, values: Any) -> Any:
        """Hand the run's seed to every section that does not set its own."""
        if not isinstance(values, dict):
            return values
        seed = values.get("seed", 0)
        out = dict(values)
        for section, f in cls.model_fields.items():  # every section model with a seed
            model = f.annotation
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue
            if "seed" not in model.model_fields:
                continue
            sec = out.get(section, {})
            if isinstance(sec, dict) and "seed" not in sec:  # a section left out too
                out[section] = {**sec, "seed": seed}
        return out

    def run_date(self) -> date:
        """Return ``as_of``, or today's date (UTC) when the file leaves it out."""
        from datetime import UTC

        return self.as_of or datetime.now(UTC).date()

    def clean_params(self, **changes: Any) -> CleanParams:
        """Return the cleaning parameters of this run (``as_of`` bounds every date)."""
        own_fx, fx_table = None, None
        if self.clean.fx_table:
            from marketlib.sources import sha256_file
            from marketlib.sources.reference import read_fx_table

            own_fx = read_fx_table(self.clean.fx_table)
            fx_table = (
                f"{Path(self.clean.fx_table).name} (sha256 {sha256_file(self.clean.fx_table)[:12]})"
            )
        bands = self.clean.experience_bands
        return CleanParams(
            scheme=self.clean.scheme,
            hours_per_year=self.clean.hours_per_year,
            decimal=self.clean.decimal,
            date_order=self.clean.date_order,
            max_date=self.run_date().isoformat(),
            fx_after_last=self.clean.fx_after_last,
            fx_table=fx_table,
            own_fx=own_fx,
            experience_bands=(bands[0], bands[1], bands[2]),  # three: validated above
            **changes,
        )


#: The parameters that name files or folders: (section, key[, key]).
PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("inputs", "rates", "path"),
    ("inputs", "rates", "columns"),
    ("inputs", "rates", "values"),
    ("inputs", "certifications"),
    ("inputs", "claims"),
    ("inputs", "claims_definitions"),
    ("inputs", "claims_growth"),
    ("inputs", "activity"),
    ("inputs", "pay_bands"),
    ("inputs", "adoption"),
    ("inputs", "demand"),
    ("clean", "scheme"),
    ("clean", "fx_table"),
    ("arbitrage", "rates_path"),
)


def resolve_file_paths(raw: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Return ``raw`` with its relative file paths made absolute against ``folder``.

    The rule, everywhere: a path in a parameters file is relative to that file's folder
    (``extends:`` included), except ``data/...``, which names the project's data folder
    (``MARKETLIB_DATA``), as the project's own parameter files use it. Absolute paths stay;
    ``clean.scheme`` is a path only when it names a ``.csv`` file.
    """
    import copy

    out = copy.deepcopy(raw)
    for keys in PATH_KEYS:
        node: Any = out
        for k in keys[:-1]:
            node = node.get(k) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        v = node.get(keys[-1])
        if not isinstance(v, str) or not v or Path(v).is_absolute():
            continue
        if Path(v).parts[0] == "data" or (keys == ("clean", "scheme") and not v.endswith(".csv")):
            continue
        node[keys[-1]] = str(folder.resolve() / v)
    return out


def load_report_params(path: str | Path) -> ReportParams:
    """Read and validate a report parameters file (YAML).

    Raises
    ------
    marketlib.sources.InputError
        The file is missing, not YAML, not a mapping, or any key or value is invalid (the
        message names each key).
    """
    from marketlib.sources import InputError
    from marketlib.sources.yamlfile import read_yaml_extending

    p = Path(path)
    chain: list[Path] = []
    raw = read_yaml_extending(p, "parameters file", chain=chain, resolve=resolve_file_paths)
    try:
        return ReportParams.build(raw)
    except ParamsError as exc:
        where = (
            f" (keys merged from {p.name} and the file(s) it extends: "
            f"{', '.join(str(c) for c in chain[1:])})"
            if len(chain) > 1
            else ""
        )
        raise InputError(p, f"{exc}{where}") from exc


def default_report_params() -> ReportParams:
    """Return the project's default report parameters (``params/default.yaml``).

    The one source of defaults for a notebook run on its own (JupyterLab, nbval): the same
    windows and settings as the default report, never a copy of them.
    """
    from marketlib.paths import project_root

    return load_report_params(project_root() / "params" / "default.yaml")


class ClaimsParams(_Model):
    """The claims audit: the claims and the evidence it confronts them with."""

    # defaults: the project's own data folders, wherever the code runs from (paths.py)
    claims_path: str = Field(default_factory=lambda: data_file("raw", "claims/article_claims.csv"))
    definitions_path: str = Field(
        default_factory=lambda: data_file("raw", "claims/cncf_definitions.csv")
    )
    printed_path: str | None = Field(
        default_factory=lambda: data_file("raw", "certifications/cncf_published_counts.csv")
    )
    certifications_path: str | None = Field(
        default_factory=lambda: data_file("processed", "certifications.parquet")
    )
    rates_path: str = Field(default_factory=lambda: data_file("processed", "rates.parquet"))
    activity_path: str | None = Field(
        default_factory=lambda: data_file("processed", "activity.parquet")
    )
    growth_results_path: str | None = None
    arbitrage_results_path: str | None = None
    regional_results_path: str | None = None
    seed: int = Field(0, ge=0, le=SEED_MAX)
