"""marketlib: clean tech-talent certification and pay data, model growth and pay arbitrage."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("marketlib")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
