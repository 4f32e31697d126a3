"""The parameters' building blocks: the strict base model, error text, list and bound checks.

``marketlib.params`` builds every section's model on these; they hold no section.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from marketlib.bounds import LATEST_BOUND


class ParamsError(ValueError):
    """Parameters that cannot be used; the message names every bad key and why."""


class _Model(BaseModel):
    """Base of every parameters section: frozen, unknown keys refused, NaN refused."""

    # strict: "2080", true or 1.0 are not silently turned into 2080, 1 or 1 (YAML gives real
    # types; a quoted number is a mistake worth naming)
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True, strict=True
    )

    @classmethod
    def build(cls, values: dict[str, Any] | None, where: str = "") -> Any:
        """Validate ``values`` into this section; raise :class:`ParamsError` naming each key."""
        try:
            return cls.model_validate(values or {})
        except ValidationError as exc:
            raise ParamsError(describe_errors(exc, where)) from None

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters as plain JSON-ready values."""
        return self.model_dump(mode="json")


def describe_errors(exc: ValidationError, where: str = "") -> str:
    """Turn pydantic's errors into one line per key: ``arbitrage.n_boot: ... (got ...)``."""
    lines = []
    for e in exc.errors():
        key = ".".join(str(x) for x in ((where,) if where else ()) + tuple(e["loc"]))
        if e["type"] == "extra_forbidden":
            lines.append(f"{key}: unknown key")
        else:
            got = e.get("input")
            shown = repr(got)[:60] if not isinstance(got, dict) else "a mapping"
            msg = str(e["msg"]).removeprefix("Value error, ")
            said = "got " in msg or isinstance(got, dict)  # a whole section: its keys are named
            lines.append(f"{key}: {msg}" + ("" if said else f" (got {shown})"))
    return "; ".join(lines)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _not_empty_list(value: list[Any] | None) -> list[Any] | None:
    """Refuse ``[]``: "none" or "all"? An empty filter is ambiguous; null says "all"."""
    if value is not None and not value:
        raise ValueError("an empty list is ambiguous: give at least one value, or null for all")
    return value


def _check_bound(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(
            f"a window bound is a period (2024, 2024-Q1, 2024-03) or latest / "
            f"latest-N, got {type(value).__name__}"
        )
    text = str(value).strip()
    if LATEST_BOUND.fullmatch(text):
        return text
    from marketlib.periods import parse_bound  # pandas: not at parameter load

    parse_bound(text)  # ValueError names the bound
    return text


def _vocabulary_values(kind: str) -> tuple[str, ...]:
    from marketlib.clean.maps import EXPERIENCE_LEVELS  # pandas: not at parameter load
    from marketlib.clean.vocab import role_families

    return EXPERIENCE_LEVELS if kind == "experience" else tuple(role_families())


def _check_words(values: Any, kind: str) -> Any:
    if values is None:
        return values
    choices = _vocabulary_values(kind)
    for v in values if isinstance(values, list) else [values]:
        if v not in choices:
            raise ValueError(f"{v!r} is not one of {', '.join(choices)}")
    return values


def check_year_bound(v: int | str) -> None:
    """Refuse a year bound that is neither a year (2000-2100) nor ``latest`` / ``latest-N``."""
    if isinstance(v, bool):
        raise ValueError(f"a year bound is a year or latest/latest-N, got {v!r}")
    if isinstance(v, int):
        if not 2000 <= v <= 2100:
            raise ValueError(f"year {v} outside 2000..2100")
    elif LATEST_BOUND.fullmatch(v.strip()) is None:
        raise ValueError(f"a year bound is a year (2024) or latest / latest-N, got {v[:40]!r}")
