"""Warm kernels: one kernel runs many notebooks, and no notebook's state reaches the next."""
import os

import nbformat
import papermill as pm
import pytest

from ceasefire_analysis.executing import WarmKernel, execute_notebook

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


@pytest.fixture(scope="module")
def kernel():
    with WarmKernel() as warm:
        yield warm


def test_one_kernel_runs_many_notebooks_each_from_a_clean_start(kernel, tmp_path):
    first = run(kernel, notebook(tmp_path, "messy", MESSY, "print(os.getpid())"), tmp_path)
    second = run(kernel, notebook(tmp_path, "clean", CLEAN, "print(os.getpid())"), tmp_path)
    assert kernel_pid(first) == kernel_pid(second)  # the same kernel, not a new one
    assert kernel_pid(second) != os.getpid()
    assert [c.execution_count for c in second.cells] == [1, 2, 3, 4]  # numbered as in a new kernel
    assert [o for c in second.cells[:-1] for o in c.outputs] == []  # nothing left over, no history complaints


def test_a_failing_notebook_is_reported_and_the_next_starts_clean(kernel, tmp_path):
    failing = notebook(tmp_path, "failing", MESSY, "raise ValueError('no data for this period')")
    with pytest.raises(pm.PapermillExecutionError) as info:
        run(kernel, failing, tmp_path)
    assert info.value.ename == "ValueError"
    assert "no data for this period" in failing.with_name("failing.out.ipynb").read_text()
    run(kernel, notebook(tmp_path, "clean", CLEAN), tmp_path)


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
