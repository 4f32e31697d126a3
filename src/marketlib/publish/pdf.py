"""The PDF through the system's headless Chromium (Debian's ``chromium``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from marketlib.publish.text import display_path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


NO_CHROMIUM = (
    "PDF skipped: no Chromium found; install it with `apt-get install chromium` "
    "or set MARKETLIB_CHROMIUM"
)


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--no-pdf-header-footer",
)


@dataclass(frozen=True)
class PdfResult:
    """Outcome of :func:`write_pdf`: the PDF's path (None when skipped) and a message."""

    path: Path | None
    message: str

    def __bool__(self) -> bool:
        return self.path is not None


def find_chromium() -> str | None:
    """Return the system Chromium to use, or None.

    Order: ``$MARKETLIB_CHROMIUM``, ``/usr/bin/chromium``, then ``chromium``,
    ``chromium-browser``, ``google-chrome`` on ``PATH``.
    """
    env = os.environ.get("MARKETLIB_CHROMIUM")
    if env:
        found = shutil.which(env) or (env if Path(env).is_file() else None)
        return found
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def write_pdf(
    html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str], timeout: float = 60.0
) -> PdfResult:
    """Print an HTML file to PDF with the system's headless Chromium.

    Never raises for a missing or failing browser: the report must still succeed. The caller
    prints ``result.message`` (it says how to get the PDF when it was skipped).

    Parameters
    ----------
    html_path : str or PathLike
        The (self-contained) HTML page.
    pdf_path : str or PathLike
        The PDF to write.
    timeout : float
        Seconds before the browser is killed.

    Returns
    -------
    PdfResult
        ``path`` is the PDF, or None when skipped or failed; ``message`` says which.
    """
    browser = find_chromium()
    if browser is None:
        return PdfResult(None, NO_CHROMIUM)
    src = Path(html_path).resolve()
    dst = Path(pdf_path).resolve()
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        dst.unlink()
    with tempfile.TemporaryDirectory(prefix="marketlib-chromium-") as profile:
        cmd = [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={dst}",
            src.as_uri(),
        ]
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return PdfResult(
                None, f"PDF skipped: Chromium ({browser}) did not finish in {timeout:g} s"
            )
        except OSError as exc:
            return PdfResult(None, f"PDF skipped: Chromium ({browser}) could not start: {exc}")
    if dst.is_file() and dst.stat().st_size > 0:
        return PdfResult(dst, f"PDF written: {display_path(dst)}")
    tail = " ".join((proc.stderr or "").strip().splitlines()[-2:])[:300]
    return PdfResult(
        None,
        f"PDF skipped: Chromium exited {proc.returncode} without a PDF"
        + (f" ({tail})" if tail else ""),
    )
