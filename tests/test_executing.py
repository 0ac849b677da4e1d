"""Warm kernels: one kernel runs many notebooks, and no notebook's state reaches the next."""
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import nbformat
import papermill as pm
import pytest

from ceasefire_analysis.executing import (
    KernelTemplate, WarmKernel, active_template, deferred_imports, execute_notebook, notebook_imports,
)

# What a careless notebook might change; the next notebook must see none of it.
MESSY = """
import os, sys, warnings
import matplotlib, numpy as np, pandas as pd
leaked = "from the previous notebook"
matplotlib.rcParams["lines.linewidth"] = 9.0
matplotlib.rcParams["font.size"] = 30
pd.set_option("display.max_rows", 3)
np.seterr(all="raise")
warnings.simplefilter("error")
os.environ["CEASEFIRE_LEAK"] = "1"
sys.path.append("/nowhere")
os.chdir("/")
import matplotlib.pyplot as plt
plt.figure()
"""

CLEAN = """
import os, sys, warnings
import matplotlib, numpy as np, pandas as pd
import matplotlib.pyplot as plt
assert "leaked" not in globals(), "a global survived"
assert matplotlib.rcParams["lines.linewidth"] == 1.5, matplotlib.rcParams["lines.linewidth"]
assert matplotlib.rcParams["font.size"] == 10.0, matplotlib.rcParams["font.size"]
assert pd.get_option("display.max_rows") == 60
assert np.geterr()["divide"] == "warn"
assert not any(f[0] == "error" and f[2] is Warning for f in warnings.filters)
assert "CEASEFIRE_LEAK" not in os.environ
assert "/nowhere" not in sys.path
assert os.getcwd() == CWD, os.getcwd()
assert plt.get_fignums() == []
"""


def notebook(folder, name, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("CWD = ''", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def run(kernel, path, cwd):
    return execute_notebook(kernel, path, path.with_name(f"{path.stem}.out.ipynb"), {"CWD": str(cwd)}, cwd)


def kernel_pid(nb):
    return int(nb.cells[-1].outputs[0]["text"])


@pytest.fixture(scope="module", params=["started", "forked"])
def kernel(request):
    """A warm kernel started as its own process, and one forked from a template (as ``ceasefire run`` does)."""
    with contextlib.ExitStack() as stack:
        if request.param == "forked":
            stack.enter_context(KernelTemplate(["pandas"]))
        yield stack.enter_context(WarmKernel())


def test_a_failed_notebook_s_exception_and_its_data_do_not_reach_the_next(kernel, tmp_path):
    # IPython keeps the last exception shown (sys.last_value, its traceback, the frames' locals): a notebook that
    # failed while holding a city's table must not leave it to the next notebook in the same kernel.
    failing = notebook(tmp_path, "failing", textwrap.dedent("""
        import sys, weakref
        class Table(dict): pass
        def count(table):
            raise ValueError("no data for this period")
        people = Table(participant_id="P-123")
        sys.cf_probe = weakref.ref(people)
        count(people)
        """))
    with pytest.raises(pm.PapermillExecutionError):
        run(kernel, failing, tmp_path)
    after = run(kernel, notebook(tmp_path, "after", textwrap.dedent("""
        import sys
        from IPython import get_ipython
        leftover = [n for n in ("last_type", "last_value", "last_traceback", "last_exc") if hasattr(sys, n)]
        assert not leftover, leftover
        assert sys.cf_probe() is None, "the failed notebook's table is still alive"
        del sys.cf_probe
        print(os.getpid())
        """).replace("import sys\n", "import os, sys\n", 1)), tmp_path)
    assert kernel_pid(after)


def test_one_kernel_runs_many_notebooks_each_from_a_clean_start(kernel, tmp_path):
    first = run(kernel, notebook(tmp_path, "messy", MESSY, "print(os.getpid())"), tmp_path)
    second = run(kernel, notebook(tmp_path, "clean", CLEAN, "print(os.getpid())"), tmp_path)
    assert kernel_pid(first) == kernel_pid(second)  # the same kernel, not a new one
    assert kernel_pid(second) != os.getpid()
    assert [c.execution_count for c in second.cells] == [1, 2, 3, 4]  # numbered as in a new kernel
    assert [o for c in second.cells[:-1] for o in c.outputs] == []  # nothing left over, no history complaints


def test_a_failing_notebook_is_reported_and_the_next_starts_clean(kernel, tmp_path):
    failing = notebook(tmp_path, "failing", MESSY, "print(os.getpid())", "raise ValueError('no data for this period')")
    with pytest.raises(pm.PapermillExecutionError) as info:
        run(kernel, failing, tmp_path)
    assert info.value.ename == "ValueError"
    executed = nbformat.read(failing.with_name("failing.out.ipynb"), as_version=4)
    assert "no data for this period" in failing.with_name("failing.out.ipynb").read_text()
    after = run(kernel, notebook(tmp_path, "clean", CLEAN, "print(os.getpid())"), tmp_path)
    # an error in a cell does not cost a new kernel: the same one, reset, runs the next notebook
    printed = [c for c in executed.cells if c.cell_type == "code" and c.source == "print(os.getpid())"]
    assert kernel_pid(after) == int(printed[0].outputs[0]["text"])


def test_a_kernel_that_dies_is_replaced(kernel, tmp_path):
    dead = run(kernel, notebook(tmp_path, "pid", "import os\nprint(os.getpid())"), tmp_path)
    with pytest.raises(Exception) as info:
        run(kernel, notebook(tmp_path, "dies", "import os\nos._exit(1)"), tmp_path)
    assert not isinstance(info.value, pm.PapermillExecutionError)
    after = run(kernel, notebook(tmp_path, "after", CLEAN, "print(os.getpid())"), tmp_path)
    assert kernel_pid(after) != kernel_pid(dead)


def test_shutdown_stops_the_kernel_and_removes_its_sockets(tmp_path):
    warm = WarmKernel()
    nb = run(warm, notebook(tmp_path, "pid", "import os\nprint(os.getpid())"), tmp_path)
    folder = warm.log_path.parent
    warm.shutdown()
    assert not folder.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(kernel_pid(nb), 0)


def test_in_a_run_a_failing_notebook_gets_its_page_and_the_next_one_starts_clean(tmp_path, monkeypatch):
    from ceasefire_analysis.config import DEMO_PARAMS
    from ceasefire_analysis.reports import run_params_files

    folder = tmp_path / "notebooks"
    folder.mkdir()
    check_cwd = f"CWD = {str(folder)!r}"  # notebooks run in the notebooks folder
    notebook(folder, "worksheet", MESSY)  # the same kernel then runs the next one, which must start clean
    notebook(folder, "history", check_cwd, CLEAN, MESSY, "raise RuntimeError('the history server is down')")
    notebook(folder, "callin_outcomes", check_cwd, CLEAN)
    monkeypatch.setattr("ceasefire_analysis.reports.NOTEBOOKS_DIR", folder)
    results = run_params_files([DEMO_PARAMS], tmp_path / "out", jobs=1)  # one kernel runs all three, in order
    assert results[0].failures == ["2017-02_2017-03/history: RuntimeError: the history server is down"]
    period = tmp_path / "out" / "2017-02_2017-03"
    assert "not produced" in (period / "history.html").read_text()
    assert [r.status for r in results[0].reports] == ["ok", "failed", "ok"]


def test_a_pool_runs_notebooks_in_its_kernels_and_stops_them_at_the_end(tmp_path):
    from ceasefire_analysis.executing import KernelPool

    paths = [notebook(tmp_path, f"nb{i}", "import os\nprint(os.getpid())") for i in range(4)]
    with KernelPool(2) as pool:
        futures = [pool.submit(run_in, path, tmp_path) for path in paths]
        pids = {kernel_pid(f.result()) for f in futures}
    assert 1 <= len(pids) <= 2  # four notebooks, never more kernels than the pool's size
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def run_in(path, cwd, kernel):
    return run(kernel, path, cwd)


def test_an_interrupted_pool_starts_no_further_notebook(tmp_path):
    from ceasefire_analysis.executing import KernelPool

    path = notebook(tmp_path, "nb", "import os\nprint(os.getpid())")
    with pytest.raises(KeyboardInterrupt):
        with KernelPool(1) as pool:
            futures = [pool.submit(run_in, path, tmp_path) for _ in range(20)]
            raise KeyboardInterrupt
    assert all(f.done() for f in futures) and any(f.cancelled() for f in futures)


# --------------------------------------------------------------------------- kernels forked from a template

def parent_pid_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def test_kernels_are_forked_from_the_template_and_share_no_state(tmp_path):
    leak = notebook(tmp_path, "leak", "import os\nleaked = 'from the other kernel'\nprint(os.getpid())")
    check = notebook(tmp_path, "check", "import os\nassert 'leaked' not in globals()\nprint(os.getpid())")
    with KernelTemplate([]) as template, WarmKernel() as first, WarmKernel() as second:
        assert active_template() is template
        one = run(first, leak, tmp_path)
        two = run(second, check, tmp_path)
        again = run(first, check, tmp_path)  # the next notebook in the same forked kernel starts clean too
        assert kernel_pid(one) == kernel_pid(again) != kernel_pid(two)
        assert parent_pid_of(kernel_pid(one)) == parent_pid_of(kernel_pid(two)) == template.process.pid
    assert active_template() is None
    assert template.process.returncode is not None  # the template stopped with the block
    for nb in (one, two):
        with pytest.raises(ProcessLookupError):
            os.kill(kernel_pid(nb), 0)


def test_a_reset_frees_what_only_cycles_kept_alive(kernel, tmp_path):
    # Frozen before it was collected, the previous notebook's cyclic garbage would live as long as the kernel.
    run(kernel, notebook(tmp_path, "cycle", "import sys, weakref\nclass Node: pass\nnode = Node()\n"
                         "node.itself = node\nsys.cf_probe = weakref.ref(node)"), tmp_path)
    run(kernel, notebook(tmp_path, "probe", "import sys\nassert sys.cf_probe() is None, 'kept alive'\n"
                         "del sys.cf_probe"), tmp_path)


def wait_until_gone(pids, seconds=30.0) -> set[int]:
    """The pids still running after waiting up to ``seconds`` for them all to exit."""
    deadline = time.monotonic() + seconds
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        for pid in list(alive):
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    if fh.read().rsplit(")", 1)[1].split()[0] == "Z":  # exited; only not yet reaped by init
                        alive.discard(pid)
            except FileNotFoundError:
                alive.discard(pid)
        time.sleep(0.1)
    return alive


@pytest.mark.parametrize("retired", [False, True])
def test_the_template_and_its_kernels_exit_when_their_parent_is_killed(tmp_path, retired):
    # retired: the template has become `cat` (the run's kernels are forked), and still ends with the run
    script = textwrap.dedent(f"""
        import sys, time
        from ceasefire_analysis.executing import KernelTemplate, WarmKernel
        template = KernelTemplate([]).__enter__()
        kernel = WarmKernel()
        kernel.start()
        if {retired}:
            template.retire()
        print(template.process.pid, kernel.km.provisioner.pid, flush=True)
        time.sleep(600)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        template_pid, kernel_pid_ = map(int, parent.stdout.readline().split())
        deadline = time.monotonic() + 10
        while retired and process_name(template_pid) != "cat" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert parent_pid_of(kernel_pid_) == template_pid
        assert (process_name(template_pid) == "cat") == retired
    finally:
        parent.kill()  # no clean-up code runs: the template sees its input close, the kernel its parent go
        parent.wait()
    assert wait_until_gone([template_pid, kernel_pid_]) == set()


def test_the_template_preloads_what_the_notebooks_import(tmp_path):
    notebook(tmp_path, "a", "import pandas as pd\nfrom matplotlib import pyplot\nimport os.path",
             "%matplotlib inline", "from . import nothing")
    notebook(tmp_path, "b", "from ceasefire_analysis.outcomes import callin_outcomes_report")
    assert notebook_imports(sorted(tmp_path.glob("*.ipynb"))) == [
        "ceasefire_analysis.outcomes", "matplotlib", "os.path", "pandas"]
    import ceasefire_analysis.outcomes  # noqa: F401 (its source is read)
    import ceasefire_analysis.statistics  # noqa: F401

    deferred = deferred_imports(["ceasefire_analysis.outcomes", "ceasefire_analysis.statistics"])
    assert "lifelines" in deferred and "statsmodels.stats.rates" in deferred  # imported inside functions
    assert not any(m.split(".")[0] in sys.stdlib_module_names or m.startswith("ceasefire_analysis")
                   for m in deferred)


def process_name(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split("(", 1)[1].rsplit(")", 1)[0]


def test_a_pool_retires_the_template_once_its_kernels_are_forked(tmp_path):
    from ceasefire_analysis.executing import KernelPool

    pid_nb = notebook(tmp_path, "pid", "import os\nprint(os.getpid())")
    with KernelTemplate([]) as template:
        with KernelPool(2, launched=template.retire) as pool:
            first = {kernel_pid(f.result()) for f in [pool.submit(run_in, pid_nb, tmp_path) for _ in range(4)]}
            deadline = time.monotonic() + 10  # retired once both threads have launched their kernel
            while process_name(template.process.pid) != "cat" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert template.retired and active_template() is None
            # the same process (the kernels' parent), now only waiting for its input to close
            assert process_name(template.process.pid) == "cat"
            assert all(parent_pid_of(pid) == template.process.pid for pid in first)
            # its kernels go on: a messy notebook, then a clean one, in kernels forked before it retired
            futures = [pool.submit(run_in, notebook(tmp_path, f"messy{i}", MESSY), tmp_path) for i in range(2)]
            [f.result() for f in futures]
            futures = [pool.submit(run_in, notebook(tmp_path, f"clean{i}", CLEAN, "print(os.getpid())"), tmp_path)
                       for i in range(2)]
            assert {kernel_pid(f.result()) for f in futures} <= first
            # a kernel that dies is replaced by one started the ordinary way (by this process)
            pool.submit(run_in, notebook(tmp_path, "dies", "import os\nos._exit(1)"), tmp_path).exception()
            later = {kernel_pid(f.result()) for f in [pool.submit(run_in, pid_nb, tmp_path) for _ in range(4)]}
            assert any(parent_pid_of(pid) == os.getpid() for pid in later - first)
    assert template.process.returncode is not None  # the waiting process ended with the block
    assert wait_until_gone(first | later) == set()


def test_the_command_s_template_retires_leaves_the_run_s_modules_out_and_reaps_its_kernels(tmp_path):
    # As `ceasefire run` does: the template forked from a process that imported the run's own modules.
    script = textwrap.dedent(f"""
        import json, os, signal, sys, time
        import ceasefire_analysis.cli  # what the command's process holds when it forks the template
        from ceasefire_analysis.executing import KernelPool, KernelTemplate, execute_notebook
        def run_in(path, kernel):
            return execute_notebook(kernel, path, path + ".out.ipynb", {{}}, {str(tmp_path)!r})
        with KernelTemplate([], fork_from_here=True) as template:
            with KernelPool(2, launched=template.retire) as pool:
                answers = [pool.submit(run_in, {str(tmp_path / "modules.ipynb")!r}).result() for _ in range(4)]
                seen = [json.loads(nb.cells[-1].outputs[0]["text"]) for nb in answers]
                deadline = time.monotonic() + 10
                while open(f"/proc/{{template.process.pid}}/comm").read().strip() != "cat" and time.monotonic() < deadline:
                    time.sleep(0.05)
                print(json.dumps({{"template": template.process.pid, "seen": seen, "retired": template.retired,
                                  "name": open(f"/proc/{{template.process.pid}}/comm").read().strip()}}), flush=True)
                sys.stdin.readline()  # the test kills a kernel meanwhile
    """)
    notebook(tmp_path, "modules", "import json, os, sys\nprint(json.dumps({'pid': os.getpid(), 'ppid': os.getppid(), "
             "'papermill': 'papermill' in sys.modules, 'nbconvert': 'nbconvert' in sys.modules}))")
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=tmp_path)
    try:
        report = json.loads(parent.stdout.readline())
        assert report["retired"] and report["name"] == "cat"
        kernels = {s["pid"] for s in report["seen"]}
        assert all(s["ppid"] == report["template"] for s in report["seen"])
        # the kernels hold none of what only the run's own modules import
        assert not any(s["papermill"] or s["nbconvert"] for s in report["seen"])
        # a kernel that dies while the template is `cat` is reaped at once: no zombie stays behind
        victim = min(kernels)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{victim}") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{victim}"), "left as a zombie"
        parent.stdin.write("\n")
        parent.stdin.flush()
        assert parent.wait(timeout=60) == 0
    finally:
        parent.kill()
    assert wait_until_gone(kernels | {report["template"]}) == set()


def test_without_a_working_template_kernels_start_the_ordinary_way(tmp_path):
    with KernelTemplate([]) as template, WarmKernel() as warm:
        template.process.kill()
        template.process.wait()
        nb = run(warm, notebook(tmp_path, "pid", "import os\nprint(os.getpid())"), tmp_path)
        assert parent_pid_of(kernel_pid(nb)) == os.getpid()  # started by this process, not forked
