"""Strict params files: no repeated key, no alias, no giant file, every value typed (issue 19, item 5)."""
import json

import pytest

from ceasefire_analysis.config import DEMO_DATA_DIR
from ceasefire_analysis.errors import ParamsError
from ceasefire_analysis.params import DEFAULTS, load_params, params_from_values, params_record, read_params_file

BASE = 'city: X\nperiod_start: "2017-02"\nperiod_end: "2017-03"\ndata_dir: data/raw/demo\n'


def write(tmp_path, text, name="p.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# a billion-laughs document: 12 levels of 8 copies each, defined first and used inside 'eras'
BOMB = "".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 8 if i else ['"x"'] * 8) + "]\n" for i in range(12))
REFUSED = {
    "key given twice": ("audience: public\naudience: internal\n", r"'audience' twice \(lines 5 and 6\)"),
    "nested key given twice": ("annual_benchmarks:\n  homicides: {2017: 72, 2017: 10}\n", "'2017' twice"),
    "alias bomb": (BOMB + "eras:\n  - {label: bomb, start: 2000, end: *a11}\n", r"alias \(\*a0\) at line 6"),
    "a single alias": ("notes: &n {homicides: x}\nhistory_facts: *n\n", "aliases are not allowed"),
    "over 1 MB": ("# " + "x" * 1_000_001 + "\n", "at most 1,000,000 bytes"),
}


@pytest.mark.parametrize("extra,message", REFUSED.values(), ids=REFUSED)
def test_params_files_that_do_not_say_what_they_seem_are_refused(tmp_path, extra, message):
    with pytest.raises(ParamsError, match=message):
        read_params_file(write(tmp_path, BASE + extra))


@pytest.mark.parametrize("values,key", [
    ({"period_start": "9999-11"}, "period_start"),
    ({"period_end": "1850-01", "period_start": "1850-01"}, "period_start"),
    ({"annual_benchmarks": {"homicides": {2017: float("inf")}}}, "annual_benchmarks.homicides.2017"),
    ({"annual_benchmarks": {"homicides": {2017: float("nan")}}}, "annual_benchmarks.homicides.2017"),
    ({"annual_benchmarks": {"homicides": {9999: 72}}}, "annual_benchmarks.homicides.9999"),
    ({"benchmark_reduction": float("nan")}, "benchmark_reduction"),
    ({"coordination_meetings_per_month": float("inf")}, "coordination_meetings_per_month"),
    ({"eras": [{"label": "M", "start": "soon"}]}, "eras[1].start"),
    ({"eras": [{"label": ["not", "text"], "start": 2005}]}, "eras[1].label"),
    ({"eras": [{"label": "M", "start": 2005, "end": 2001}]}, "eras[1].end"),
    ({"eras": [{"label": "M", "start": 2005, "colour": "red"}]}, "eras[1]"),
    ({"eras": [{"label": "M", "start": 3005}]}, "eras[1].start"),
    ({"history_facts": {"changes": [["2005", 2012]]}}, "history_facts.changes"),
    ({"history_facts": {"changes": [[2012, 2005]]}}, "history_facts.changes"),
    ({"history_facts": {"threshold": "ninety"}}, "history_facts.threshold"),
    ({"history_facts": {"runs_before": 20120}}, "history_facts.runs_before"),
    ({"history_facts": {"ratio_since": float("inf")}}, "history_facts.ratio_since"),
    ({"control_chart": {"baseline_start": "0001-01", "baseline_end": "2016-12"}}, "control_chart.baseline_start"),
    ({"control_chart": {"baseline_months": 10 ** 9}}, "control_chart.baseline_months"),
])
def test_every_value_is_typed(values, key):
    base = {"city": "X", "period_start": "2017-02", "period_end": "2017-03", "data_dir": "data/raw/demo"}
    with pytest.raises(ParamsError, match=f"'{key.replace('[', '.').replace(']', '.')}"):
        params_from_values({**base, **values})


def test_typed_values_that_are_valid_still_pass():
    # the first and last months allowed (a review period is at most 12 months)
    assert params_from_values({"city": "X", "period_start": "1969-01", "period_end": "1969-12",
                               "data_dir": "d"}).windows.period.n_months == 12
    p = params_from_values({"city": "X", "period_start": "2100-01", "period_end": "2100-12", "data_dir": "d",
                            "eras": [{"label": "M", "start": "2012-10", "end": 2014.5}, {"label": "C", "start": 2015}],
                            "history_facts": {"changes": [[2005, 2012]], "threshold": 90, "runs_before": 2012}})
    assert [e["label"] for e in p.eras] == ["M", "C"]


def test_the_manifest_record_is_the_validated_params(tmp_path):
    # a params file's relative paths read against its own folder: point this one at the project's demo
    path = write(tmp_path, BASE.replace("data/raw/demo", str(DEMO_DATA_DIR)) + "annual_benchmarks:\n  homicides: {2017: 72}\n")
    record = params_record(load_params(path))
    assert record["period_start"] == "2017-02" and record["period_end"] == "2017-03"
    assert record["data_dir"] == "data/raw/demo"  # relative to the project, not an absolute path
    assert record["audience"] == "internal" and record["small_count_threshold"] == 5  # defaults filled in
    assert record["annual_benchmarks"] == {"homicides": {"2017": 72}}
    json.dumps(record)  # plain JSON values only


ODD_VALUES = [None, [1], {"a": 1}, 12, float("inf"), float("nan"), "text", True, [{"a": 1}], [None], [[1, "x"]], -5]
NESTED = {
    "annual_benchmarks": [lambda v: {"homicides": {2017: v}}, lambda v: {"homicides": v}],
    "eras": [lambda v: [{"label": "a", "start": v}], lambda v: [{"label": v, "start": 2000}],
             lambda v: [{"label": "a", "start": 2000, "end": v}]],
    "history_facts": [lambda v: {"changes": v}, lambda v: {"threshold": v}, lambda v: {"runs_before": v}],
    "control_chart": [lambda v: {"resets": v}, lambda v: {"baseline_start": v, "baseline_end": "2016-12"},
                      lambda v: {"baseline_months": v}],
    "notes": [lambda v: {"homicides": v}],
    "next_steps": [lambda v: [v]],
}


@pytest.mark.parametrize("key", sorted(set(DEFAULTS) | set(NESTED)))
def test_an_odd_value_anywhere_is_accepted_or_a_params_error_never_a_traceback(key):
    base = {"city": "X", "period_start": "2017-02", "period_end": "2017-03", "data_dir": "data/raw/demo"}
    shapes = [lambda v: v] + NESTED.get(key, [])
    refused = 0
    for shape in shapes:
        for value in ODD_VALUES:
            try:
                params_from_values({**base, key: shape(value)})
            except ParamsError:
                refused += 1
    assert refused > 0  # every key refuses some of these


@pytest.mark.parametrize("text,key,line", [
    (BASE + "data_through: 2017-02-30\n", "data_through", 5),
    ('city: X\nperiod_start: 2017-02-30\nperiod_end: "2017-03"\ndata_dir: data/raw/demo\n', "period_start", 2),
    ("meeting: coordination\nmeeting_on: 2017-04-31\ndata_dir: data/raw/demo\n", "meeting_on", 2),
    (BASE + "data_through: 2017-13-01\n", "data_through", 5),
])
def test_an_unquoted_date_that_does_not_exist_is_one_sentence_naming_file_key_and_line(tmp_path, text, key, line):
    # PyYAML reads an unquoted YYYY-MM-DD itself and raised a bare ValueError from deep inside its constructor
    path = write(tmp_path, text)
    with pytest.raises(ParamsError) as caught:
        load_params(path)
    message = str(caught.value)
    assert str(path) in message and f"'{key}'" in message and f"line {line}" in message
    assert "\n" not in message
    assert ('"YYYY-MM"' if key == "period_start" else "YYYY-MM-DD") in message  # what to write instead
    good = write(tmp_path, BASE + "data_through: 2017-02-28\n", "good.yaml")
    assert str(load_params(good).data_through) == "2017-02-28"  # a real unquoted date still reads as a date


@pytest.mark.parametrize(("threshold", "audience"), [(1, "public"), (2, "partner")])  # each value, each audience
def test_a_threshold_that_would_hide_almost_nothing_is_refused_for_partner_and_public(tmp_path, capsys, audience,
                                                                                     threshold):
    """attack2 F3: a threshold of 1 switched suppression off while the page said small counts were hidden."""
    from ceasefire_analysis.cli import main
    from ceasefire_analysis.meetings import meeting_params_from_values

    text = (f'city: X\nperiod_start: "2017-02"\nperiod_end: "2017-03"\ndata_dir: {DEMO_DATA_DIR}\n'
            f"audience: {audience}\nsmall_count_threshold: {threshold}\n")
    params = write(tmp_path, text)
    assert main(["run", str(params), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"'small_count_threshold' in {params}" in err and f"3 or more for a {audience} audience" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()
    meeting = {"meeting": "coordination", "city": "X", "data_dir": "d", "meeting_on": "2017-03-09",
               "audience": audience, "small_count_threshold": threshold}
    with pytest.raises(ParamsError, match="'small_count_threshold' must be a whole number of 3 or more"):
        meeting_params_from_values(meeting)


def test_the_floor_applies_to_shared_audiences_only():
    base = {"city": "X", "period_start": "2017-02", "period_end": "2017-03", "data_dir": "d"}
    assert params_from_values({**base, "audience": "public", "small_count_threshold": 3}).small_count_threshold == 3
    assert params_from_values({**base, "small_count_threshold": 1}).small_count_threshold == 1  # internal: unused


def test_a_note_under_an_unknown_key_is_an_error_naming_it(make_city):
    from ceasefire_analysis.errors import ParamsError
    from ceasefire_analysis.review import open_review

    folder = make_city()
    values = {"city": "Testville", "period_start": "2016-12", "period_end": "2017-01", "data_dir": str(folder)}
    with pytest.raises(ParamsError) as refused:
        open_review(None, **values, notes={"homicidez": "Two fewer than last year"})
    assert "'notes.homicidez'" in str(refused.value) and "did you mean 'homicides'?" in str(refused.value)
    review = open_review(None, **values, notes={"homicides": "Two fewer than last year"})
    assert review.params.notes == {"homicides": "Two fewer than last year"}
