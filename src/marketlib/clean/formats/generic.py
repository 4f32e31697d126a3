"""The generic pay format (docs/contract.md): one row per pay figure, in any unit and currency."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketlib.clean.formats import Canonical, Format

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("country", "amount", "currency", "unit", "date")
OPTIONAL = ("role", "experience", "employment_type", "source", "skills")


def to_canonical(raw: pd.DataFrame) -> Canonical:
    """Map generic columns (already canonical names) to the canonical frame."""
    import pandas as pd

    frame = pd.DataFrame({c: raw[c] for c in REQUIRED}, index=raw.index)
    for c in OPTIONAL:
        frame[c] = raw[c] if c in raw.columns else ""
    return Canonical(
        frame=frame,
        required=REQUIRED,
        labels={c: c for c in REQUIRED},
        consumed=(*REQUIRED, *OPTIONAL),
    )


FORMAT = Format(
    "generic",
    "rates",
    REQUIRED,
    optional=OPTIONAL,
    description="any pay export: country, amount, currency, unit, date",
    to_canonical=to_canonical,
)
