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

A kernel that a notebook broke is never reused: when the kernel died or stopped answering, or cannot be
reset, it is shut down and the next notebook gets a new one. A notebook whose cell raised an error leaves
its kernel as a finished notebook does: the reset puts back what it restores after any notebook, and also
forgets the exception IPython keeps (with its traceback, whose frames hold their locals), so the next
notebook of a backfill with a failing report need not wait for a new kernel. (A notebook that patches a
module and would have undone it in a later cell leaves the patch when it fails; see below.)

What a notebook changes inside an imported module (an attribute it overwrites) is not undone; the
project's notebooks only call library functions, as the developers' guide requires.

Kernels share memory: during a run, a template process (:class:`KernelTemplate`) imports the libraries
the notebooks import, once, and every kernel is forked from it, so the kernels share those libraries'
memory (copy on write) instead of each holding its own copy (about 150 MiB each); a forked kernel also
starts at once. The template forks a kernel and nothing else: it never runs a notebook, so no notebook's
state can be in it. A forked kernel is a fresh IPython kernel (its own namespace, sockets and threads),
reset before each notebook like any other; it exits when the template exits, and the template exits
when the process that started it does (its stdin closes). Once a run's kernels are forked the template is
retired (:meth:`KernelTemplate.retire`): it replaces itself with a program that only waits for its stdin to
close (``cat``), so that its memory (about 40 MiB of pages the kernels have since copied) goes back to the
system while its kernels keep their parent; a kernel needed after that is started as an ordinary process.
The ``ceasefire run`` command forks the template
from its own process (:class:`ForkedTemplate`), so the run, the template and the kernels share one copy of
pandas, pyarrow, scipy, statsmodels and matplotlib; a caller with state of its own a notebook could inherit
(a test, a notebook) starts it as a new process. Without a template (``WarmKernel`` used on its own, or a
system without ``fork``), kernels are started as ordinary processes.

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
    # The last exception a notebook raised stays with IPython and in sys (sys.last_value, its traceback, and
    # through it every frame's locals: a table of the city, say) until another is shown; a new kernel has none.
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            delattr(sys, name)
    for handler in (getattr(shell, "InteractiveTB", None), getattr(shell, "SyntaxTB", None)):
        if handler is not None and hasattr(handler, "tb"):
            handler.tb = None
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
    # collector from scanning it again, in every later reset and inside notebooks. Collect first: the
    # previous notebook's objects that only cycles keep alive would otherwise be frozen for good (about
    # 10 MiB a notebook). Frozen objects are not scanned, so this collection is short.
    gc.collect()
    gc.freeze()
    release_free_memory()


def _glibc(function: str, *args) -> None:
    """Call one of glibc's allocator functions; a no-op where the C library is not glibc."""
    import ctypes

    try:
        getattr(ctypes.CDLL("libc.so.6"), function)(*args)
    except (OSError, AttributeError):
        pass


def release_free_memory() -> None:
    """Give memory that was freed back to the system (the allocators keep it for reuse otherwise).

    Between notebooks a kernel holds about 20 MiB less, which counts when several kernels run.
    """
    if "pyarrow" in sys.modules:  # Arrow's own allocator keeps what reading parquet files used
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    _glibc("malloc_trim", 0)


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Let the C allocator keep at most ``arenas`` pools of memory in this process and the processes forked from it.

    glibc gives each thread that allocates its own pool (up to eight per core); a run's threads (one driving each
    kernel, zmq's, the kernels' own message threads) allocate little, but every pool keeps freed memory of its own.
    Two pools make a six-period backfill about 7 MiB smaller, and no slower (measured with the command). Only
    before other threads start; a no-op without glibc.
    """
    m_arena_max = -8  # glibc's malloc.h
    _glibc("mallopt", m_arena_max, arenas)


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

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            template = active_template()
            if template is None or ipykernel_arguments(kernel_cmd) is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            # Forked from the template instead of started with Popen; the provisioner then polls,
            # signals and waits for it through the Popen-like ForkedKernel.
            try:
                process = template.fork_kernel(ipykernel_arguments(kernel_cmd), env=kw.get("env") or dict(os.environ),
                                               cwd=str(kw.get("cwd") or os.getcwd()),
                                               log=getattr(kw.get("stderr"), "name", os.devnull))
            except RuntimeError:  # the template is gone: start this kernel the ordinary way
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            provisioner = self.provisioner
            provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, None
            provisioner.cwd = kw.get("cwd")
            self._reconcile_connection_info(provisioner.connection_info)

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
    in the second case the kernel is discarded, so a broken kernel never runs another notebook (after an error
    in a cell the kernel is reset before the next notebook, as after any other). What the
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
    except pm.PapermillExecutionError:
        kernel.notebooks_run += 1  # a cell raised: the kernel answered to the end, and is reset before the next
        raise
    except BaseException:
        kernel.discard()
        raise
    finally:
        written = kernel.log_since(offset)
        if written:
            output_path.with_suffix(".kernel.log").write_bytes(written)
    kernel.notebooks_run += 1
    return nb


# --------------------------------------------------------------------------- kernels forked from a template

def notebook_imports(paths) -> list[str]:
    """The modules the code cells of these notebooks import (``import a.b``, ``from a.b import c``), sorted.

    A cell that is not plain Python (a magic, a syntax error) is skipped: the template only preloads
    what it can, and the notebook itself reports its own errors.
    """
    import ast
    import json

    found: set[str] = set()
    for path in paths:
        try:
            cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            try:
                tree = ast.parse("".join(source) if isinstance(source, list) else source)
            except SyntaxError:
                continue
            found.update(_absolute_imports(tree))
    return sorted(found)


def _absolute_imports(tree) -> set[str]:
    """The modules a parsed piece of code imports by absolute name (``import x``, ``from x import y``)."""
    import ast

    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def deferred_imports(module_names) -> list[str]:
    """Third-party modules that these modules import inside functions (heavy ones, imported when first used).

    The template imports them too, so that a kernel does not import its own copy when a notebook first
    fits a curve or runs a test. Standard-library modules and this package's own are left out.
    """
    import ast

    found: set[str] = set()
    for name in module_names:
        path = getattr(sys.modules.get(name), "__file__", None)
        if not path or not path.endswith(".py"):
            continue
        try:
            tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            found.update(_absolute_imports(function))
    package = __name__.split(".")[0]
    return sorted(m for m in found if m.split(".")[0] not in sys.stdlib_module_names and m.split(".")[0] != package)


def ipykernel_arguments(kernel_cmd: list[str]) -> list[str] | None:
    """The arguments after ``python -m ipykernel_launcher`` in a kernel command, or None for another kernel."""
    if len(kernel_cmd) >= 3 and kernel_cmd[1:3] == ["-m", "ipykernel_launcher"]:
        return list(kernel_cmd[3:])
    return None


# The package's modules that run notebooks (the layers above the notebooks' own, see tests/test_layers.py): no
# notebook uses them, so the template does not import what they import.
RUN_MODULES = frozenset({"executing", "reports", "publishing", "progress", "cli"})

# Imported in the template whatever the notebooks import: what every kernel imports when it starts (the
# last ones only once it runs: the debugger support, history, completion, tornado's queues, the image formats
# PIL registers when the first PNG is written). Imported here they are one copy the kernels share (a kernel
# holds about 10 MiB less of its own); a name a version of these libraries lacks is skipped.
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "matplotlib_inline.backend_inline",
                  "matplotlib.pyplot", "ipykernel.debugger", "IPython.core.debugger", "IPython.core.completerlib",
                  "IPython.core.logger", "IPython.extensions.storemagic", "sqlite3", "tornado.platform.asyncio",
                  "tornado.queues", "tornado.locks", "zmq.utils.garbage", "PIL.PngImagePlugin", "PIL.BmpImagePlugin",
                  "PIL.GifImagePlugin", "PIL.JpegImagePlugin", "PIL.PpmImagePlugin", __name__)


def serve_template(modules: list[str], requests=None) -> None:
    """The template process: import ``modules``, then fork one kernel per request read from stdin.

    A request is one JSON line ``{"argv", "env", "cwd", "log"}``; the answer is one JSON line with the
    kernel's ``pid`` (or an ``error``). End of input (the parent closed the pipe, or died) ends the template;
    its kernels notice that their parent is gone and exit (ipykernel's parent poller, ``JPY_PARENT_PID``).
    The request ``{"retire": true}`` (no answer) makes it :func:`retire_template`.
    """
    import importlib
    import json
    import signal
    import threading

    # As ipykernel_launcher: the working folder is not an import path; the backend is the kernel's.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    package = __name__.split(".")[0]

    def import_all(names) -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 (a notebook's own import reports it, with its message)
                pass

    import_all([*KERNEL_MODULES, *modules])
    # and what the package's modules the notebooks use import later, inside functions; not those of the run's
    # own modules (papermill, nbconvert, jupyter_client's manager: the run's process imports them for itself),
    # which a template forked from the run's process also holds
    import_all(deferred_imports(m for m in list(sys.modules)
                                if m.startswith(package + ".") and m.split(".")[-1] not in RUN_MODULES))
    # The imported objects live as long as every kernel: freezing them keeps the kernels' garbage
    # collections from writing to (and so copying) the pages they share.
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels that exit are reaped at once, no zombies
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the run, which stops the kernels
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    for line in requests if requests is not None else sys.stdin:
        try:
            request = json.loads(line)
            if request.get("retire"):
                retire_template(replies)
                continue  # it could not: serve on
            if threading.active_count() != 1:  # never fork with threads running: locks could be held
                raise RuntimeError("the kernel template has threads running")
            pid = os.fork()
        except Exception as exc:  # noqa: BLE001 (reported to the parent, which starts the kernel itself)
            replies.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
            continue
        if pid == 0:
            os.close(replies.fileno())  # only the template answers; the parent must see it end
            _run_forked_kernel(request)  # never returns
        replies.write(json.dumps({"pid": pid}) + "\n")


def retire_template(replies) -> None:
    """Replace the template process by ``cat`` reading its stdin into nothing: the same process (its kernels
    keep their parent, so they go on), without the template's memory. ``cat`` ends when the run closes the
    template's stdin (or dies), and its kernels then exit, as with the template. Children that exit are still
    reaped at once (an ignored SIGCHLD stays ignored across ``exec``). Returns only if ``cat`` is not there.
    """
    cat = shutil.which("cat") or next((p for p in ("/bin/cat", "/usr/bin/cat") if os.access(p, os.X_OK)), None)
    if cat is None:  # (a run started with a PATH of its own)
        return
    replies.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    os.dup2(null, 1)  # nothing more is answered: the run reads no further reply
    os.close(null)
    try:
        os.execv(cat, [cat])
    except OSError:
        os.dup2(saved, 1)
        os.close(saved)


def _run_forked_kernel(request: dict) -> None:
    """In a child of the template: become the IPython kernel ``request`` asks for, then exit."""
    import signal

    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()  # its own session, as jupyter_client starts kernels: Ctrl-C at the terminal is the run's
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # exit with the template
        os.chdir(request["cwd"])
        from ipykernel import kernelapp

        # ipykernel read JPY_PARENT_PID when the template imported it: name the parent to watch explicitly
        argv = [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        sys.argv = [kernelapp.__file__, *argv]
        kernelapp.IPKernelApp.launch_instance(argv=argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 (written to the kernel's log, which the run keeps)
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class ForkedKernel:
    """A kernel process forked by the template, handled like the ``Popen`` jupyter_client expects.

    It is not this process's child, so it is watched through a pidfd (which cannot be confused with a
    later process given the same number). Its exit status is not known here: ``poll`` gives 0 once it
    has exited.
    """

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = self.stdout = self.stderr = None
        self._pidfd: int | None = os.pidfd_open(pid)

    def poll(self) -> int | None:
        import select

        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            self._exited()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import select
        import subprocess

        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            self._exited()
        return self.returncode

    def _exited(self) -> None:
        self.returncode = 0
        os.close(self._pidfd)
        self._pidfd = None

    def send_signal(self, signum: int) -> None:
        import signal

        if self.poll() is None:
            try:
                signal.pidfd_send_signal(self._pidfd, signum)
            except ProcessLookupError:  # exited meanwhile
                pass

    def kill(self) -> None:
        import signal

        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        import signal

        self.send_signal(signal.SIGTERM)

    def __del__(self) -> None:
        if getattr(self, "_pidfd", None) is not None:
            os.close(self._pidfd)


class ForkedTemplate:
    """The template as a child forked from this process, handled like the ``Popen`` :class:`KernelTemplate`
    otherwise starts (``pid``, ``stdin``, ``stdout``, ``poll``, ``wait``, ``kill``).

    Forked, the template shares with this process the libraries both import (pandas, pyarrow, scipy,
    statsmodels, matplotlib: about 150 MiB), and the kernels forked from it share them too, instead of the
    template importing its own copy. Only for a process whose own state is a fresh one's as far as a notebook
    can tell (the ``ceasefire`` command: no chart settings, pandas options or warning filters of its own), and
    with no other thread running (a lock another thread held would stay locked in the child).
    """

    def __init__(self, modules: list[str]):
        requests_read, requests_write = os.pipe()
        replies_read, replies_write = os.pipe()
        for stream in (sys.stdout, sys.stderr):  # or the child would write what is buffered into its replies
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
        # What both processes hold now stays out of their garbage collections from here on: a collection writes
        # into every object it scans, which would copy the pages they share (in the template, its kernels, and
        # this process alike). This process's objects of now then live as long as it does (the run). Collect
        # first: garbage that only cycles keep alive (from checking the inputs) would otherwise be frozen for good.
        # jupyter_client (with zmq) is imported first: this process drives the kernels with it and the kernels'
        # ipykernel is built on it, so one copy serves both.
        import jupyter_client.manager  # noqa: F401
        gc.collect()
        gc.freeze()
        release_free_memory()
        pid = os.fork()
        if pid == 0:
            os.close(requests_write)  # the template must see its input end when this process's copy closes
            os.close(replies_read)
            _become_template(modules, requests_read, replies_write)  # never returns
        os.close(requests_read)
        os.close(replies_write)
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = os.fdopen(requests_write, "w", buffering=1, encoding="utf-8")
        self.stdout = os.fdopen(replies_read, "r", encoding="utf-8")

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere
                self.returncode = 0
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import subprocess
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel template {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def kill(self) -> None:
        import signal

        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)


def _become_template(modules: list[str], requests_fd: int, replies_fd: int) -> None:
    """In a child forked from the run's process: serve as the kernel template (see :func:`serve_template`)."""
    import signal

    code = 1
    try:
        os.setsid()  # its own session, as a started template: Ctrl-C at the terminal is the run's
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(requests_fd, 0)
        os.dup2(replies_fd, 1)
        os.dup2(null, 2)  # nothing the template says is for the user (as a started one's stderr)
        for fd in (requests_fd, replies_fd, null):
            os.close(fd)
        sys.stdin = open(0, "r", encoding="utf-8", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
        # As a started template's: matplotlib was imported here before the kernels' backend was named
        backend = os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        if "matplotlib" in sys.modules:
            sys.modules["matplotlib"].use(backend)
        serve_template(modules, requests=sys.stdin)
        code = 0
    except BaseException:  # noqa: BLE001 (the run then starts its kernels the ordinary way)
        pass
    finally:
        os._exit(code)


class KernelTemplate:
    """The template process kernels are forked from (see the module docstring).

    ``KernelTemplate(modules)`` starts it; it imports ``modules`` while this process goes on. Use as a
    context manager: inside the ``with`` block every kernel this process launches is forked from it
    (:func:`active_template`); on leaving, the template is stopped. Kernels still running then exit by
    themselves within about a second, so shut them down first.
    """

    def __init__(self, modules=(), fork_from_here: bool = False):
        import subprocess
        import threading

        self.modules = list(modules)
        self._lock = threading.Lock()  # one request and its answer at a time (kernels launch from threads)
        self.retired = False
        if fork_from_here and threading.active_count() == 1:
            try:
                self.process = ForkedTemplate(self.modules)
                return
            except OSError:  # no fork here (out of processes, memory): the template is started as a process
                pass
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"import {__name__} as m, sys; m.serve_template(sys.argv[1:])", *self.modules],
            # its own session, as kernels: Ctrl-C is the run's to handle. Nothing it says is for the user (a
            # template that fails only means kernels are started the ordinary way, which report their errors).
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
            start_new_session=True)

    def fork_kernel(self, argv: list[str], env: dict, cwd: str, log: str) -> ForkedKernel:
        """Fork a kernel that runs ``ipykernel_launcher`` with ``argv``; raise ``RuntimeError`` if it cannot."""
        import json

        import select

        with self._lock:
            if self.retired:
                raise RuntimeError("the kernel template is retired")
            try:
                self.process.stdin.write(json.dumps({"argv": argv, "env": dict(env), "cwd": cwd, "log": log}) + "\n")
                self.process.stdin.flush()
                # it answers once its imports are done; one that hangs is given up, as a kernel that never answers
                if not select.select([self.process.stdout], [], [], STARTUP_TIMEOUT)[0]:
                    self.process.kill()
                    raise RuntimeError(f"the kernel template did not answer in {STARTUP_TIMEOUT} s")
                answer = self.process.stdout.readline()
            except (OSError, ValueError) as exc:
                raise RuntimeError(f"the kernel template stopped ({exc})") from None
        if not answer:
            raise RuntimeError("the kernel template stopped")
        reply = json.loads(answer)
        if "pid" not in reply:
            raise RuntimeError(f"the kernel template could not fork a kernel: {reply.get('error')}")
        return ForkedKernel(reply["pid"])

    def retire(self) -> None:
        """Fork no more kernels: the template gives its memory back, and keeps only the place of its kernels'
        parent until it is closed (:func:`retire_template`). A kernel needed later (one replacing a kernel that
        died) is started as an ordinary process."""
        import json

        with self._lock:
            if self.retired:
                return
            self.retired = True
            try:
                self.process.stdin.write(json.dumps({"retire": True}) + "\n")
                self.process.stdin.flush()
            except (OSError, ValueError):  # stopped already: nothing to give back
                pass

    def close(self) -> None:
        """Stop the template (its stdin closes; it exits once it has read that)."""
        import subprocess

        global _template
        if _template is self:
            _template = None
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "KernelTemplate":
        global _template
        _template = self
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_template: KernelTemplate | None = None


def can_fork_kernels() -> bool:
    """Whether kernels can be forked from a template here (Linux: ``fork`` and pidfds)."""
    import signal

    if os.environ.get("CEASEFIRE_FORK_KERNELS", "1") == "0":  # to compare, or to rule the template out
        return False
    return hasattr(os, "fork") and hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")


def active_template() -> KernelTemplate | None:
    """The template kernels are forked from now, if any (and if this process started it)."""
    template = _template
    if template is None or template.retired or template.process.poll() is not None:
        return None
    return template


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
    ``with`` block each thread shuts its kernel down. ``launched()`` is called once all ``size`` kernels are
    launched (a run retires the template they were forked from there: :meth:`KernelTemplate.retire`).
    """

    def __init__(self, size: int, prepare=None, launched=None):
        import queue
        import threading

        self._tasks: queue.Queue = queue.Queue()
        self.kernels: list[WarmKernel] = []  # one per thread, as each thread starts
        self._to_launch = size
        self._launched = launched
        self._launch_lock = threading.Lock()
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
            with self._launch_lock:
                self._to_launch -= 1
                if self._to_launch == 0 and self._launched is not None:
                    self._launched()
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
