"""Connecting to a Dask cluster: a running ``dask scheduler``, or a local one.

The same code runs on a laptop's LocalCluster, on ``dask scheduler`` + ``dask worker`` on several
hosts, and on Kubernetes (Dask operator): only the scheduler address changes.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from marketlib.sources import InputError

#: glibc malloc settings for worker processes (given to Dask's nanny, which starts them).
#: Dask's default ``MALLOC_TRIM_THRESHOLD_=65536`` returns freed memory to the system at once
#: and, being set, also fixes glibc's mmap threshold at 128 KiB: every large array is then a
#: fresh mapping whose pages fault in on first touch. Measured on the cleaning (2 workers,
#: 500,000-row files): ~700,000 page faults per worker and million rows, a quarter of the CPU
#: in the kernel, 7.6-7.9 CPU s per million rows, peak RSS 730 MB per worker; with these
#: values (freed memory kept up to 32 MiB, arrays up to 8 MiB from the heap) 6.0-6.3 CPU s,
#: 770-795 MB (128 MiB / 32 MiB: 6.4-6.7 CPU s but 850-950 MB). External workers:
#: ``DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON`` (docs/operations.md#dask, ``deploy/k8s``).
MALLOC_ENVIRON = {"MALLOC_TRIM_THRESHOLD_": 33554432, "MALLOC_MMAP_THRESHOLD_": 8388608}

#: Dask settings for the local cluster's workers: no statistical profiler (a thread sampling
#: each task's stack 100 times a second; off, the cleaning took ~8% less CPU: 5.5 vs 6.0 CPU s
#: per million rows over 6 runs each). External workers:
#: ``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False`` (docs/operations.md#dask, ``deploy/k8s``).
WORKER_CONFIG = {"distributed.worker.profile.enabled": False}

#: Seconds to wait for a scheduler before giving up (exit 2 naming the address);
#: ``MARKETLIB_DASK_CONNECT_TIMEOUT`` overrides it.
CONNECT_TIMEOUT = 5.0


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    processes: bool = True,
    memory_limit: str | int = "auto",
    timeout: float | None = None,
) -> Iterator[Any]:
    """Yield a ``distributed.Client`` on ``scheduler``, or on a new local cluster.

    Parameters
    ----------
    scheduler
        Address of a running ``dask scheduler`` (``tcp://host:8786``, ``host:8786``); None: a
        :class:`distributed.LocalCluster` is started for the duration of the block.
    n_workers, threads_per_worker, processes, memory_limit
        The local cluster's shape (ignored with ``scheduler``). One thread per worker keeps
        one partition in memory per worker at a time.
    timeout
        Seconds to wait for the scheduler (default :data:`CONNECT_TIMEOUT`).

    Raises
    ------
    InputError
        The scheduler cannot be reached in ``timeout`` seconds (the message names the address).
    """
    import dask
    from distributed import Client, LocalCluster

    if timeout is None:
        text = os.environ.get("MARKETLIB_DASK_CONNECT_TIMEOUT", str(CONNECT_TIMEOUT))
        try:
            timeout = float(text)
        except ValueError:
            timeout = float("nan")
        if not 0 < timeout <= 3600:  # NaN, inf, 0, negative or absurd: refused, named
            raise InputError(
                "MARKETLIB_DASK_CONNECT_TIMEOUT",
                f"{text[:40]!r} is not a number of seconds in (0, 3600]",
            )
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{timeout}s", set_as_default=True)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                scheduler,
                f"cannot reach the Dask scheduler within {timeout:g} s "
                f"({type(exc).__name__}); is `dask scheduler` running there?",
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **MALLOC_ENVIRON}
    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ": environ, **WORKER_CONFIG}),
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=processes,
            memory_limit=memory_limit,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def show_progress(client: Any, futures: list[Any]) -> None:
    """Show the Dask progress bar on a terminal, else print the dashboard link once."""
    if sys.stdout.isatty():
        from distributed import progress

        progress(futures)
        print()
    else:
        link = getattr(client, "dashboard_link", None)
        if link:
            print(f"dask: dashboard {link}", flush=True)
