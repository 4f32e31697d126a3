"""Moving window bounds (``latest``, ``latest-N``): read by the parameters and by periods.

A module of its own, without pandas, so that loading the parameters stays light.
"""

from __future__ import annotations

import re

#: A moving window bound: ``latest`` or ``latest-N`` (N years before the latest period).
LATEST_BOUND = re.compile(r"latest(?:-(\d{1,2}))?")


def year_offset(v: int | str) -> int:
    """Return a bound's position: the year itself, or -N for ``latest-N`` (0 for latest)."""
    if isinstance(v, int):
        return v
    m = LATEST_BOUND.fullmatch(v.strip())
    return -int(m.group(1) or 0) if m else 0
