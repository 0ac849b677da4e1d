"""Executing notebooks: warm kernels, each reused for many notebooks, every notebook starting clean.

Most of a report's cost used to be start-up: a new kernel per notebook, importing pandas, matplotlib,
scipy, statsmodels and lifelines again and re-reading the city's data. Here a kernel (:class:`WarmKernel`)
is started once and runs notebook after notebook with papermill; :class:`KernelPool` drives a few of them
at once from threads of one process (no worker processes: each would hold its own copy of pandas,
papermill and nbconvert). Before each notebook the kernel is put back to the state it had when it
started (:func:`reset_kernel_state`): the user namespace is emptied (as ``%reset -f``), figures are closed,
and matplotlib's rcParams, pandas' and numpy's options, warning filters, the working folder,
``sys.path``, the environment and the random seeds are restored. Imported modules stay imported, which
is the point; the library's in-memory data snapshot (see ``loading.load_data_dir``) stays too, and
hands each notebook its own copy.

A kernel that a notebook broke is never reused: after any failure (an error in a cell, a kernel that
died or stopped answering) the kernel is shut down and the next notebook gets a new one.

What a notebook changes inside an imported module (an attribute it overwrites) is not undone; the
project's notebooks only call library functions, as the developers' guide requires.

This module is imported by the kernels themselves (for :func:`snapshot_kernel_state` and
:func:`reset_kernel_state`), so it imports jupyter_client and papermill only inside functions.
"""
from __future__ import annotations

import gc
import os
import random
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

KERNEL_NAME = "python3"
ENGINE_NAME = "ceasefire-warm"  # the papermill engine that runs a notebook in a WarmKernel
STARTUP_TIMEOUT = 60  # seconds for a kernel to answer after it starts
RESET_TIMEOUT = 60  # seconds for the reset before each notebook

# --------------------------------------------------------------------------- inside the kernel

_snapshot: dict | None = None


def snapshot_kernel_state() -> None:
    """Record the state every notebook must start from (run once, in the kernel, when it starts).

    ``matplotlib.pyplot`` is imported first so that its inline backend is active for every notebook,
    the first included, exactly as it is once any notebook has drawn with pyplot.
    """
    global _snapshot
    import matplotlib
    import matplotlib.pyplot  # noqa: F401  (activates the inline backend; see the docstring)
    import numpy as np
    import pandas as pd

    _snapshot = {
        "sys.path": list(sys.path),
        "environ": dict(os.environ),
        "warnings": list(warnings.filters),
        "rcParams": dict(matplotlib.rcParams),
        "pandas": {key: pd.get_option(key) for key in _pandas_option_keys()},
        "numpy.err": np.geterr(),
        "numpy.print": np.get_printoptions(),
    }


def _pandas_option_keys() -> list[str]:
    from pandas._config import config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated options warn when read
        return [key for key in config._registered_options if key not in config._deprecated_options]


def reset_kernel_state(cwd: str) -> None:
    """Put the kernel back to its recorded start state and move to ``cwd`` (run before each notebook)."""
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from IPython import get_ipython

    if _snapshot is None:
        raise RuntimeError("snapshot_kernel_state() was not run when the kernel started")
    shell = get_ipython()
    # As %reset -f (user namespace, Out history, _ and __), and a new history session, so that cells are
    # numbered from 1 again, as in a new kernel, without reusing the previous notebook's line numbers.
    shell.reset(new_session=True)
    plt.close("all")
    dict.update(matplotlib.rcParams, _snapshot["rcParams"])  # as matplotlib.rc_context restores them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, value in _snapshot["pandas"].items():
            if pd.get_option(key) is not value and pd.get_option(key) != value:
                pd.set_option(key, value)
    np.seterr(**_snapshot["numpy.err"])
    np.set_printoptions(**_snapshot["numpy.print"])
    warnings.filters[:] = _snapshot["warnings"]
    warnings._filters_mutated()  # forget which "once" warnings were already shown
    sys.path[:] = _snapshot["sys.path"]
    if dict(os.environ) != _snapshot["environ"]:
        os.environ.clear()
        os.environ.update(_snapshot["environ"])
    os.chdir(cwd)
    random.seed()  # fresh seeds from the system, as a new kernel would have
    np.random.seed()
    # What survives a reset (modules, the data snapshot) lives as long as the kernel: keep the garbage
    # collector from scanning it again, in every later reset (which collects) and inside notebooks.
    gc.freeze()


# --------------------------------------------------------------------------- the kernel, from outside

def ipc_kernel_manager_class(socket_dir: Path):
    """A kernel manager that talks to its kernel over Unix sockets in a private temporary folder.

    With TCP, each kernel picks free ports by binding and releasing them; kernels started
    at the same moment (``--jobs``) can pick the same port and one dies
    ("Address already in use"). Socket files have unique names, so they cannot collide,
    and nothing listens on the network.
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", str(socket_dir / "kernel"))
            super().__init__(**kwargs)

    return IPCKernelManager


class KernelResetError(RuntimeError):
    """The kernel could not be put back to its start state."""


class WarmKernel:
    """A kernel started once and reused for many notebooks (see the module docstring).

    The kernel's own stderr (start-up chatter, messages from C libraries) goes to ``log_path``;
    :meth:`log_since` returns what was written during one notebook. Use as a context manager, or
    call :meth:`shutdown`.
    """

    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="ceasefire-kernel-"))
        self.log_path = self._folder / "kernel.log"
        self.log_path.touch()
        self.km = None
        self.kc = None
        self.owner_pid = os.getpid()
        self.notebooks_run = 0

    # -- life cycle

    def start(self) -> None:
        """Start the kernel and record the state each notebook starts from."""
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the kernel process without waiting for it (see :meth:`wait_ready`)."""
        from jupyter_core.utils import run_sync

        sockets = Path(tempfile.mkdtemp(prefix="sockets-", dir=self._folder))
        km = ipc_kernel_manager_class(sockets)(kernel_name=KERNEL_NAME)
        # The kernel exits by itself if this process dies without shutting it down.
        env = {**os.environ, "JPY_PARENT_PID": str(os.getpid())}
        with open(self.log_path, "ab") as log:
            # History in memory, as nbclient starts its kernels: nothing written to the user's IPython history.
            run_sync(km.start_kernel)(stdout=log, stderr=log, env=env, cwd=str(self._folder),
                                      extra_arguments=["--HistoryManager.hist_file=:memory:"])
        self.km, self.kc = km, None
        self.notebooks_run = 0

    def wait_ready(self) -> None:
        """Wait until a launched kernel answers, then record its start state."""
        from jupyter_core.utils import run_sync

        try:
            self.kc = self.km.client()
            self.kc.start_channels()
            run_sync(self.kc.wait_for_ready)(timeout=STARTUP_TIMEOUT)
            self.kc.allow_stdin = False
            self._run_silently(f"import {__name__} as _cf_executing\n_cf_executing.snapshot_kernel_state()\n"
                               "del _cf_executing")
        except BaseException:
            self._stop(now=True)
            raise

    def is_alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def ensure_ready(self, cwd: str | os.PathLike) -> None:
        """A live kernel in its start state, working in ``cwd``; a dead kernel is replaced."""
        if not self.is_alive():
            self._stop(now=True)
            self.start()
        elif self.kc is None:
            self.wait_ready()
        try:
            self._run_silently(f"import {__name__} as _cf_executing\n"
                               f"_cf_executing.reset_kernel_state({str(cwd)!r})")
        except Exception:
            # A kernel that cannot be reset is not trusted with another notebook: start afresh once.
            self._stop(now=True)
            self.start()
            self._run_silently(f"import {__name__} as _cf_executing\n"
                               f"_cf_executing.reset_kernel_state({str(cwd)!r})")

    def discard(self) -> None:
        """Shut the kernel down now; the next notebook gets a new one."""
        self._stop(now=True)

    def shutdown(self) -> None:
        """Shut the kernel down and remove its folder (sockets and log)."""
        self._stop()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> "WarmKernel":
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    def _stop(self, now: bool = False) -> None:
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            km, self.km = self.km, None
            if os.getpid() == self.owner_pid:  # a forked copy never stops its parent's kernel
                try:
                    run_sync(km.shutdown_kernel)(now=now)
                except Exception:  # already gone
                    pass

    # -- running code

    def _run_silently(self, code: str) -> None:
        """Run ``code`` in the kernel without output or history; raise if it fails."""
        from jupyter_core.utils import run_sync

        reply = run_sync(self.kc.execute_interactive)(
            code, silent=True, store_history=False, allow_stdin=False, timeout=RESET_TIMEOUT,
            output_hook=lambda msg: None)
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelResetError(f"{content.get('ename', 'error')}: {content.get('evalue', '')}")

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> bytes:
        """What the kernel wrote to its stderr since the log had ``offset`` bytes."""
        if not self.log_path.exists():
            return b""
        with open(self.log_path, "rb") as fh:
            fh.seek(offset)
            return fh.read()


def _register_engine() -> None:
    """Register the papermill engine that executes in an already running :class:`WarmKernel`."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=STARTUP_TIMEOUT, execution_timeout=None,
                                     warm_kernel: WarmKernel | None = None, **kwargs):
            client = PapermillNotebookClient(
                nb_man, km=warm_kernel.km, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output, stdout_file=stdout_file,
                stderr_file=stderr_file)
            client.kc = warm_kernel.kc  # reuse the running client: nbclient then neither starts nor stops one
            return client.execute()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


def execute_notebook(kernel: WarmKernel, input_path: str | os.PathLike, output_path: str | os.PathLike,
                     parameters: dict, cwd: str | os.PathLike):
    """Execute a notebook with papermill in ``kernel``, from a clean state, and return it.

    The executed notebook is written to ``output_path`` (also when a cell fails). Raises papermill's
    ``PapermillExecutionError`` when a cell fails, and whatever nbclient raises when the kernel dies;
    in both cases the kernel is discarded, so a broken kernel never runs another notebook. What the
    kernel wrote to its stderr meanwhile is saved beside the output as ``<name>.kernel.log``.
    """
    import papermill as pm
    from papermill.engines import papermill_engines

    if ENGINE_NAME not in papermill_engines._engines:
        _register_engine()
    output_path = Path(output_path)
    offset = kernel.log_size()
    try:
        kernel.ensure_ready(cwd)
        offset = kernel.log_size()  # a restart's start-up chatter is not this notebook's
        nb = pm.execute_notebook(str(input_path), str(output_path), parameters=parameters, progress_bar=False,
                                 log_output=False, kernel_name=KERNEL_NAME, engine_name=ENGINE_NAME,
                                 request_save_on_cell_execute=False, warm_kernel=kernel)
    except BaseException:
        kernel.discard()
        raise
    finally:
        written = kernel.log_since(offset)
        if written:
            output_path.with_suffix(".kernel.log").write_bytes(written)
    kernel.notebooks_run += 1
    return nb


# --------------------------------------------------------------------------- kernels for a run

_process_kernel: WarmKernel | None = None


def process_kernel() -> WarmKernel:
    """This process's warm kernel (for notebooks run one at a time), created on first use."""
    global _process_kernel
    if _process_kernel is None or _process_kernel.owner_pid != os.getpid():
        _process_kernel = WarmKernel()  # a copy inherited through fork belongs to the parent
    return _process_kernel


def shutdown_process_kernel() -> None:
    """Shut down this process's kernel, if it has one."""
    global _process_kernel
    if _process_kernel is not None and _process_kernel.owner_pid == os.getpid():
        _process_kernel.shutdown()
    _process_kernel = None


class KernelPool:
    """``size`` threads, each driving its own warm kernel; tasks run in the order they are submitted.

    The kernels are separate processes, so ``size`` notebooks run at once while this process only
    passes messages (and exports the finished notebooks). Kernels start when the pool is created;
    ``prepare()`` runs meanwhile (e.g. compiling templates). ``submit(fn, *args)`` returns a
    ``concurrent.futures.Future`` of ``fn(*args, kernel=<that thread's kernel>)``. On leaving the
    ``with`` block each thread shuts its kernel down.
    """

    def __init__(self, size: int, prepare=None):
        import queue
        import threading

        self._tasks: queue.Queue = queue.Queue()
        self.kernels: list[WarmKernel] = []  # one per thread, as each thread starts
        self._threads = [threading.Thread(target=self._work, name=f"ceasefire-kernel-{i}", daemon=True)
                         for i in range(size)]
        for thread in self._threads:
            thread.start()
        if prepare is not None:
            prepare()

    def _work(self) -> None:
        kernel = WarmKernel()
        self.kernels.append(kernel)
        try:
            try:
                kernel.launch()
            except Exception:  # the first notebook will try again, and report the failure on its page
                kernel.discard()
            while True:
                task = self._tasks.get()
                if task is None:
                    return
                future, fn, args = task
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn(*args, kernel=kernel))
                    except BaseException as exc:
                        future.set_exception(exc)
        finally:
            kernel.shutdown()

    def submit(self, fn, *args):
        from concurrent.futures import Future

        future = Future()
        self._tasks.put((future, fn, args))
        return future

    def close(self, cancel: bool = False) -> None:
        """Wait for the submitted tasks (or, with ``cancel``, only the running ones) and stop the kernels."""
        import queue

        while cancel:
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                break
            if task is not None:
                task[0].cancel()
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> "KernelPool":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(cancel=exc_type is not None)  # interrupted: start no further notebook
