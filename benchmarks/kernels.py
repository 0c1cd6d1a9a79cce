"""Benchmark: a kernel ready to run a notebook (started, and what every notebook imports imported), started as usual
against forked from the fork server (helpers.publish.forkserver).

Each way starts ``--kernels`` kernels one after another, as a build's pool does, and for each: starts it
(``KernelManager.start_kernel``), waits until it answers, runs :data:`helpers.publish.kernels.IMPORTS`, shuts it down.
The forked way includes starting the server and its own imports once. Printed: wall and CPU seconds (this process and
every process it waited for: the kernels, the server and the kernels it forked), each way, and their ratio.

    .venv/bin/python benchmarks/kernels.py [--kernels 6]
"""
from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from helpers.publish import kernels
from helpers.publish.forkserver import SERVER_ENV, Server


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def ready_kernels(count: int) -> None:
    """Start ``count`` kernels one after another, each ready with what every notebook imports, then shut down."""
    for _ in range(count):
        km = kernels._kernel_manager()
        km.start_kernel(cwd=tempfile.gettempdir(), stderr=open(os.devnull, "w"))  # noqa: SIM115 - the kernel's
        kc = km.blocking_client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        kc.execute_interactive(kernels.IMPORTS, timeout=120)
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=6)
    args = parser.parse_args()
    os.environ.pop(SERVER_ENV, None)
    t0, c0 = time.perf_counter(), _cpu()
    ready_kernels(args.kernels)
    usual = (time.perf_counter() - t0, _cpu() - c0)
    t0, c0 = time.perf_counter(), _cpu()
    with tempfile.TemporaryDirectory(prefix="amrbook-kernels-") as folder, \
            Server(Path(folder), log=Path(folder) / "server.log") as server:
        os.environ[SERVER_ENV] = server.path
        ready_kernels(args.kernels)
        del os.environ[SERVER_ENV]
    forked = (time.perf_counter() - t0, _cpu() - c0)
    print(f"{args.kernels} kernels, each started and ready with `{kernels.IMPORTS}`, one after another "
          f"(cores: {os.cpu_count()}, load average at the end: {os.getloadavg()[0]:.1f})")
    for name, (wall, cpu) in (("started as usual", usual), ("forked from the server (its start included)", forked)):
        print(f"  {name:45s} {wall:6.2f} s wall {cpu:6.2f} s CPU; per kernel {wall / args.kernels:5.2f} s wall "
              f"{cpu / args.kernels:5.2f} s CPU")
    print(f"  forked / as usual: {forked[0] / usual[0]:.2f}x wall, {forked[1] / usual[1]:.2f}x CPU")


if __name__ == "__main__":
    main()
