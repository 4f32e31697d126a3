"""The report's own folder: one writer at a time, an atomic swap, recovery of a killed swap.

- :func:`report_lock`: an advisory ``flock`` on ``.<name>.lock`` beside the folder, held for
  the whole run. A second run into the same folder is refused in one line (exit 2) instead of
  silently replacing the first one's report. The kernel drops the lock when its holder dies,
  so a killed run never blocks the next.
- :func:`publish_run`: the complete staging folder takes the report's place in one step
  (Linux ``renameat2(RENAME_EXCHANGE)``): there is no moment with neither report. Where the
  exchange is not available, two renames with the old report parked as ``.<name>.old-<pid>``,
  and :func:`recover_publish` puts it back at the next start if a run was killed between them.
- :func:`check_out_folder`: a symlinked ``--out`` is followed (the report lands in its
  target, the link stays); a name too long for the run's own suffixes is refused up front.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from marketlib.sources import InputError

#: The longest report folder name: ``<name>.failed`` must still fit a 255-byte file name.
MAX_NAME_BYTES = 255 - len(".failed")


def short_name(final: Path) -> str:
    """Return a name for the run's hidden files beside ``final`` that always fits (<= 80 B)."""
    name = final.name
    if len(name.encode()) <= 60:
        return name
    return (
        name.encode()[:40].decode(errors="ignore")
        + "-"
        + hashlib.sha256(name.encode()).hexdigest()[:12]
    )


def check_out_folder(final: Path) -> Path:
    """Return the folder a run writes: symlinks followed; refuse names that cannot work."""
    if len(final.name.encode()) > MAX_NAME_BYTES:
        raise InputError(
            final,
            f"--out folder name is {len(final.name.encode())} bytes; at "
            f"most {MAX_NAME_BYTES} (the run keeps a failed run beside it "
            "as <name>.failed)",
        )
    if final.is_symlink():
        target = final.resolve()
        if target.exists() and not target.is_dir():
            raise InputError(final, f"--out is a link to {target}, which is not a folder")
        return target
    return final


@contextmanager
def report_lock(final: Path) -> Iterator[None]:
    """Hold the report folder's lock for the block; refuse when another run holds it."""
    final.parent.mkdir(parents=True, exist_ok=True)
    lock = final.parent / f".{short_name(final)}.lock"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise InputError(final, f"cannot write the report there ({exc.strerror})") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise InputError(
                final,
                f"another marketlib report (pid {holder}) is writing into "
                "this folder; wait for it to finish or choose another "
                "--out",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock (the file stays: removing it would race a waiter)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (``renameat2``); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _parked(final: Path) -> list[Path]:
    return sorted(
        final.parent.glob(f".{short_name(final)}.old-*"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )


def publish_run(staging: Path, final: Path) -> None:
    """Put the complete run ``staging`` in place of ``final`` in one step (old one removed)."""
    if not final.exists():
        os.rename(staging, final)
        return
    if _exchange(staging, final):
        shutil.rmtree(staging, ignore_errors=True)  # it now holds the old report
        return
    old = final.with_name(f".{short_name(final)}.old-{os.getpid()}")
    os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)


def recover_publish(final: Path) -> str | None:
    """Undo a swap a killed run left half done; return what was done (None: nothing to do).

    With ``final`` missing and an old report parked beside it, the newest parked one goes back;
    parked copies beside a present report are left-overs and are removed.
    """
    parked = _parked(final) if final.parent.is_dir() else []
    if not parked:
        return None
    if not final.exists():
        os.rename(parked[0], final)
        for p in parked[1:]:
            shutil.rmtree(p, ignore_errors=True)
        return f"restored the report a killed run had moved aside ({parked[0].name})"
    for p in parked:
        shutil.rmtree(p, ignore_errors=True)
    return None
