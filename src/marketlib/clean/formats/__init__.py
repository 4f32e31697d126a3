"""Input formats: one file per format, one registry line each (``FORMATS``).

A format says which table it cleans into (``rates``, ``certifications``, ``activity``,
``pay_bands``, ``adoption``, ``demand``), the
columns it needs and may use, and, for pay files, how its columns become marketlib's canonical
pay columns (:class:`Canonical`). The command line's ``--format`` choices, the report's
``inputs.rates.format`` and the column maps of ``marketlib inspect`` are all read from here:
adding a pay format is a new module beside this one plus one line in ``FORMATS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from marketlib.sources.files import RawTable

#: The canonical pay columns a rates format fills (text, one per raw row); the cleaner reads
#: only these. Optional ones may be absent.
CANONICAL_RATES = (
    "date",
    "amount",
    "currency",
    "unit",
    "country",
    "role",
    "experience",
    "employment_type",
    "source",
    "source_annual_usd",
    "company_location",
    "remote_ratio",
    "company_size",
    "skills",
)


@dataclass(frozen=True)
class Canonical:
    """A raw pay frame in canonical columns, and what the cleaner needs to know about it.

    Attributes
    ----------
    frame
        Text columns named as :data:`CANONICAL_RATES` (a missing optional one is absent).
    required
        Canonical columns that must be non-blank (else ``missing_required``).
    labels
        Canonical column -> the file's header, for messages ("required value missing: salary").
    consumed
        Raw columns the format used (every other raw column is kept as ``input_<name>``).
    year_only
        Dates are years only (a full date is unparseable), as aijobs' ``work_year``.
    """

    frame: pd.DataFrame
    required: tuple[str, ...]
    labels: dict[str, str]
    consumed: tuple[str, ...]
    year_only: bool = False


@dataclass(frozen=True)
class Format:
    """A raw input format: its table, its columns and (pay formats) its canonical mapping."""

    name: str
    table: str  # rates | certifications | activity
    required: tuple[str, ...]
    any_of: tuple[tuple[str, ...], ...] = ()
    optional: tuple[str, ...] = ()
    description: str = ""
    #: Raw columns that differ between the two rows of a posted range (docs/methods.md#s3-4).
    amount_columns: tuple[str, ...] = ("amount",)
    #: Which row of a posted range comes first in the file: "high_first" (the source writes
    #: the maximum, then the minimum: measured on aijobs, docs/methods.md#s3-4) or "any".
    range_order: str = "any"
    to_canonical: Callable[[pd.DataFrame], Canonical] | None = field(default=None, compare=False)
    #: A reader of the source's own layout (a published survey: a zip, question-text rows,
    #: one-hot answers, a non-UTF-8 encoding): path -> a RawTable of the format's columns.
    #: None: the generic CSV / workbook reader.
    read: Callable[[str], RawTable] | None = field(default=None, compare=False)

    @property
    def columns(self) -> tuple[str, ...]:
        """Return every column this format reads (required, either-or, then optional)."""
        either = tuple(c for group in self.any_of for c in group)
        return tuple(dict.fromkeys((*self.required, *either, *self.optional)))

    def canonical(self, raw: pd.DataFrame) -> Canonical:
        """Map a raw frame (lower-case headers) to canonical pay columns."""
        if self.to_canonical is None:
            raise ValueError(f"format {self.name!r} is not a pay (rates) format")
        return self.to_canonical(raw)


def _registry() -> dict[str, Format]:
    from marketlib.clean.formats import (
        aijobs,
        cncf_survey,
        counts,
        generic,
        indeed,
        innovationgraph,
        kaggle,
        records,
        stackoverflow,
    )

    modules = (
        aijobs,
        generic,
        stackoverflow,
        records,
        counts,
        innovationgraph,
        kaggle,
        cncf_survey,
        indeed,
    )
    return {m.FORMAT.name: m.FORMAT for m in modules}


#: Every registered format by name (the one registry: CLI choices and report inputs read it).
FORMATS: dict[str, Format] = _registry()


def formats_for(table: str) -> tuple[str, ...]:
    """Return the names of the formats that clean into ``table``."""
    return tuple(n for n, f in FORMATS.items() if f.table == table)


def input_format(name: str, table: str | None = None) -> Format:
    """Return a format by name, checking it cleans into ``table`` when given.

    Raises
    ------
    ValueError
        Unknown format, or one that does not belong to ``table``.
    """
    fmt = FORMATS.get(name)
    if fmt is None or (table is not None and fmt.table != table):
        known = [f for f, v in FORMATS.items() if table is None or v.table == table]
        raise ValueError(f"unknown {table or 'input'} format {name!r}; expected one of {known}")
    return fmt


RATE_FORMATS = formats_for("rates")
CERT_FORMATS = formats_for("certifications")
ACTIVITY_FORMATS = formats_for("activity")
AIJOBS_REQUIRED = FORMATS["aijobs"].required
GENERIC_REQUIRED = FORMATS["generic"].required
RECORDS_REQUIRED = FORMATS["records"].required
COUNTS_REQUIRED = FORMATS["counts"].required
INNOVATIONGRAPH_REQUIRED = FORMATS["innovationgraph"].required
