"""Names of a package imported on first use (PEP 562), so light commands skip heavy imports."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def lazy_attribute(
    package: str, where: Mapping[str, str], namespace: dict[str, Any], name: str
) -> Any:
    """Import ``name`` from the submodule ``where`` names, cache it in ``namespace``, return it.

    Used by a package's ``__getattr__``; an unknown name raises ``AttributeError`` as Python's
    own lookup would.
    """
    module = where.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    namespace[name] = value
    return value
