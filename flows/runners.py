"""Task-runner choice: local threads by default, Dask for more than one machine.

``workers=0`` and no address: Prefect's thread pool in this process (cleaning is
CPU-bound Python, so this is one core; use it for small runs and deployments on one box).
``workers=N``: a temporary Dask LocalCluster of N single-threaded worker processes on
loopback. ``dask_address``: an existing Dask scheduler (``tcp://host:port``).
"""

from __future__ import annotations

from prefect.task_runners import ThreadPoolTaskRunner, TaskRunner


def task_runner_for(workers: int = 0, dask_address: str | None = None) -> TaskRunner:
    if dask_address or workers > 0:
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers,
                "processes": True,
                "threads_per_worker": 1,
                "host": "127.0.0.1",
                "dashboard_address": ":0",  # any free port: no clash with a running cluster
            }
        )
    return ThreadPoolTaskRunner(max_workers=1)
