"""The command line: plain sentences on stderr, non-zero exit, never a traceback.

Two tests start `python -m ceasefire_analysis.cli` as a process (exit 0 and exit 1 as a shell sees them); the
others call ``main`` in this process, which is what that entry point runs, and read what it wrote to stderr.
"""
import subprocess
import sys

from ceasefire_analysis.cli import main
from ceasefire_analysis.config import DEMO_DATA_DIR, DEMO_PARAMS


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "ceasefire_analysis.cli", *args], capture_output=True, text=True)


def test_validate_demo_passes():
    result = run_cli("validate", str(DEMO_DATA_DIR))
    assert result.returncode == 0 and "meet the data contract" in result.stdout


def test_validate_broken_folder_lists_each_problem(make_city):
    folder = make_city(incidents=[{"incident_id": "A", "occurred_on": "2017-13-01", "incident_type": "homicide"},
                                  {"incident_id": "B", "occurred_on": "2017-01-01", "incident_type": "murder"}],
                       meetings=None)
    result = run_cli("validate", str(folder))
    assert result.returncode == 1
    assert "incidents.csv, row 2, column 'occurred_on'" in result.stderr
    assert "incidents.csv, row 3, column 'incident_type'" in result.stderr
    assert "meetings.csv" not in result.stderr  # optional: a city may record incidents only
    assert "Traceback" not in result.stderr + result.stdout


def test_validate_a_folder_without_incidents(make_city, capsys):
    assert main(["validate", str(make_city("no_incidents", incidents=None))]) == 1
    assert "incidents.csv: the file is missing" in capsys.readouterr().err


def test_run_with_broken_inputs_exits_1_without_traceback(make_city, tmp_path, capsys):
    folder = make_city(staffing=[{"as_of": "2017-01-01", "unit": "U", "unit_group": "area", "authorized": "3",
                                  "filled": "four"}])
    params = tmp_path / "p.yaml"
    params.write_text(f"city: T\nperiod_start: '2017-02'\nperiod_end: '2017-03'\ndata_dir: {folder}\n")
    assert main(["run", str(params), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "staffing.csv, row 2, column 'filled'" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "2017-02_2017-03").exists()


def test_missing_params_file_and_bad_jobs(tmp_path, capsys):
    assert main(["run", str(tmp_path / "none.yaml"), "--out", str(tmp_path)]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["run", str(DEMO_PARAMS), "--jobs", "0"]) == 2


def test_render_makes_the_same_page_as_run(rendered_demo, tmp_path, capsys):
    import shutil

    folder = rendered_demo[1]
    hand_run = shutil.copy(folder / "executed" / "worksheet.ipynb", tmp_path / "my run.ipynb")
    assert main(["render", str(hand_run), "--out", str(tmp_path / "page.html")]) == 0
    assert (tmp_path / "page.html").read_bytes() == (folder / "worksheet.html").read_bytes()
    assert main(["render", str(hand_run)]) == 0  # default: beside the notebook
    assert (tmp_path / "my run.html").read_bytes() == (folder / "worksheet.html").read_bytes()


def test_render_refuses_a_notebook_that_failed_or_never_ran(tmp_path, capsys):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    nbformat.write(nb, tmp_path / "never.ipynb")
    nb.cells[0].outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                                  traceback=["..."])]
    nbformat.write(nb, tmp_path / "failed.ipynb")
    for name, says in (("never", "has no outputs: run it first"), ("failed", "cell 1 stopped with ZeroDivisionError")):
        assert main(["render", str(tmp_path / f"{name}.ipynb")]) == 1
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err
        assert not (tmp_path / f"{name}.html").exists()


def test_run_takes_a_folder_of_params_files_and_prints_each_failure_whole(make_city, tmp_path, capsys):
    folder = make_city(incidents=[{"incident_id": "A", "occurred_on": "2017-13-01", "incident_type": "homicide"},
                                  {"incident_id": "B", "occurred_on": "2017-01-02", "incident_type": "stabbing"}])
    params = tmp_path / "params"
    params.mkdir()
    for name in ("2017-02_2017-03", "2017-04_2017-05"):
        start, end = name.split("_")
        (params / f"{name}.yaml").write_text(f"city: T\nperiod_start: '{start}'\nperiod_end: '{end}'\n"
                                              f"data_dir: {folder}\n")
    (params / "README.txt").write_text("not a params file")
    assert main(["run", str(params), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    summary = err.split("2 failures:", 1)[1]
    for name in ("2017-02_2017-03.yaml", "2017-04_2017-05.yaml"):  # both files of the folder were run
        assert name in summary
    assert f"note: {params / 'README.txt'} is not read (params files end in .yaml or .yml)" in err
    # every line of each multi-line message, not only "2 problems in the input data:"
    assert summary.count("row 2, column 'occurred_on'") == 2 and summary.count("row 3, column 'incident_type'") == 2


def test_an_empty_params_folder_is_a_sentence(tmp_path, capsys):
    assert main(["run", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "holds no .yaml params file" in err and "Traceback" not in err


def test_a_folder_run_goes_on_past_a_params_file_with_an_impossible_date(make_city, tmp_path, capsys):
    folder = make_city(incidents=[{"incident_id": "A", "occurred_on": "2017-13-01", "incident_type": "homicide"}])
    params = tmp_path / "params"
    params.mkdir()
    (params / "a_bad.yaml").write_text(f"city: T\nperiod_start: '2017-02'\nperiod_end: '2017-03'\ndata_dir: {folder}\n"
                                       "data_through: 2017-02-30\n")
    (params / "b_next.yaml").write_text(f"city: T\nperiod_start: '2017-04'\nperiod_end: '2017-05'\n"
                                        f"data_dir: {folder}\n")
    assert main(["run", str(params), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    summary = err.split("2 failures:", 1)[1]
    assert "a_bad.yaml gives 'data_through' as 2017-02-30 at line 5" in summary
    assert "b_next.yaml" in summary and "row 2, column 'occurred_on'" in summary  # the next file was still checked


def test_validate_on_a_file_says_to_give_its_folder(make_city, capsys):
    folder = make_city()
    assert main(["validate", str(folder / "incidents.csv")]) == 1
    err = capsys.readouterr().err
    assert "this is a file, not a folder" in err and str(folder) in err and "does not exist" not in err
