import pytest

from ceasefire_analysis.config import DEMO_DATA_DIR, DEMO_PARAMS, HISTORY_DATA_DIR, PROJECT_ROOT
from ceasefire_analysis.errors import ParamsError
from ceasefire_analysis.params import load_params, params_from_values

BASE = {"city": "X", "period_start": "2017-02", "period_end": "2017-03", "data_dir": "data/raw/demo"}


def test_demo_params_file_reads(demo_params):
    assert demo_params.period_id == "2017-02_2017-03"
    assert demo_params.annual_benchmarks["homicides"] == {2017: 72}
    assert demo_params.data_dir == DEMO_DATA_DIR
    assert demo_params.history_dir == HISTORY_DATA_DIR
    assert demo_params.is_demo


def test_unknown_key_is_named():
    with pytest.raises(ParamsError, match="'benchmark_reductoin'"):
        params_from_values({**BASE, "benchmark_reductoin": 0.1})


@pytest.mark.parametrize("key,value,fragment", [
    ("period_start", "2017/02", "period_start"),
    ("period_end", "2016-12", "period_end"),
    ("benchmark_reduction", 1.5, "benchmark_reduction"),
    ("benchmark_reduction", "ten", "benchmark_reduction"),
    ("case_management_capacity", -1, "case_management_capacity"),
    ("annual_benchmarks", {"homicide": {2017: 72}}, "annual_benchmarks.homicide"),
    ("annual_benchmarks", {"homicides": {"next": 72}}, "annual_benchmarks.homicides.next"),
    ("annual_benchmarks", {"homicides": {2017: -3}}, "annual_benchmarks.homicides.2017"),
    ("audience", "everyone", "audience"),
    ("next_steps", "call Bob", "next_steps"),
    ("notes", ["x"], "notes"),
])
def test_bad_values_name_the_key(key, value, fragment):
    with pytest.raises(ParamsError, match=fragment.replace(".", r"\.")):
        params_from_values({**BASE, key: value})


def test_missing_required_key():
    values = dict(BASE)
    del values["data_dir"]
    with pytest.raises(ParamsError, match="'data_dir' is required"):
        params_from_values(values)


def test_defaults_and_relative_paths():
    p = params_from_values(BASE)
    assert p.benchmark_reduction == 0.10 and p.coordination_meetings_per_month == 2
    assert p.data_dir == PROJECT_ROOT / "data" / "raw" / "demo"
    assert p.audience == "internal" and p.small_count_threshold == 5


def test_history_dir_for_another_city(tmp_path):
    p = params_from_values({**BASE, "data_dir": str(tmp_path)})
    assert p.history_dir is None  # never another city's history
    (tmp_path / "history").mkdir()
    assert params_from_values({**BASE, "data_dir": str(tmp_path)}).history_dir == tmp_path / "history"


def test_params_file_errors(tmp_path):
    with pytest.raises(ParamsError, match="does not exist"):
        load_params(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("city: [unclosed\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(ParamsError, match="key: value"):
        load_params(listy)


@pytest.mark.parametrize("values,message", [
    ({"vhr_population_estimate": 0}, "vhr_population_estimate"),
    ({"vhr_population_estimate": "300"}, "vhr_population_estimate"),
    ({"safe_city": {"base_year": 2016, "years": 5}}, "safe_city.reduction"),
    ({"safe_city": {"base_year": 2016, "years": 5, "reduction": 1.0}}, "safe_city.reduction"),
    ({"safe_city": {"base_year": 16, "years": 5, "reduction": 0.1}}, "safe_city.base_year"),
    ({"safe_city": {"base_year": 2016, "years": 0, "reduction": 0.1}}, "safe_city.years"),
    ({"safe_city": {"base_year": 2016, "years": 5, "reduction": 0.1, "base_count": -1}}, "safe_city.base_count"),
    ({"safe_city": {"base_year": 2016, "years": 5, "reduction": 0.1, "start": 1}}, "safe_city"),
])
def test_focus_params_are_checked(values, message):
    base = {"city": "X", "period_start": "2017-02", "period_end": "2017-03", "data_dir": "data/raw/demo"}
    with pytest.raises(ParamsError, match=message.replace(".", r"\.")):
        params_from_values({**base, **values})


def test_focus_params_defaults_and_demo():
    base = {"city": "X", "period_start": "2017-02", "period_end": "2017-03", "data_dir": "data/raw/demo"}
    plain = params_from_values(base)
    assert plain.vhr_population_estimate is None and plain.safe_city == {}
    demo = load_params(DEMO_PARAMS)
    assert demo.vhr_population_estimate == 300
    assert demo.safe_city == {"base_year": 2016, "years": 5, "reduction": 0.10, "base_count": None}

# ----------------------------------------------------------------------------- notebook parameters

def test_keys_set_in_a_notebook_are_laid_over_its_params_file():
    from ceasefire_analysis.config import DEMO_PARAMS
    from ceasefire_analysis.review import resolve_params

    whole, _ = resolve_params(str(DEMO_PARAMS))
    params, label = resolve_params(str(DEMO_PARAMS), period_end="2017-05", audience=None)
    assert params.period_id == "2017-02_2017-05"
    assert params.annual_benchmarks == whole.annual_benchmarks
    # Feb–Mar's notes are not Feb–May's (attack3 A11): left out, and the page says whose they were
    assert whole.notes and params.notes == {} and params.notes_written_for == "Feb–Mar 2017"
    assert params.seasonal_benchmarks == whole.seasonal_benchmarks and params.city == whole.city
    assert label.endswith("with period_end set in the notebook")


def test_a_whole_injected_set_replaces_the_params_file(tmp_path):
    from ceasefire_analysis.review import resolve_params

    # papermill -f injects every key; the named file is then not read at all (here it does not exist).
    params, label = resolve_params(str(tmp_path / "absent.yaml"), city="Elsewhere", period_start="2017-02",
                                   period_end="2017-03", data_dir="data/raw/demo")
    assert params.city == "Elsewhere" and params.annual_benchmarks == {} and params.notes == {}
    assert label == "parameters injected into the notebook"


def test_meeting_notebook_keys_are_laid_over_its_params_file():
    import datetime as dt

    from ceasefire_analysis.config import PARAMS_DIR
    from ceasefire_analysis.meetings import NOTEBOOK_MEETING_KEYS, meeting_params_from_values
    from ceasefire_analysis.params import notebook_params

    params, _ = notebook_params(PARAMS_DIR / "shooting_review_2017-03-28.yaml", {"meeting_on": "2017-04-04"},
                                meeting_params_from_values, NOTEBOOK_MEETING_KEYS)
    assert params.meeting == "shooting_review" and params.meeting_on == dt.date(2017, 4, 4)
    assert params.city == "Oakland (demo data, synthetic)"  # the rest from the file


def test_parameter_problem_shows_as_one_sentence_in_a_notebook():
    from ceasefire_analysis.config import DEMO_PARAMS
    from ceasefire_analysis.review import resolve_params

    with pytest.raises(ParamsError) as caught:
        resolve_params(str(DEMO_PARAMS), period_end="2017-5")
    lines = caught.value._render_traceback_()  # what IPython shows in place of a traceback
    assert len(lines) == 1 and lines[0].startswith("ParamsError: ") and "period_end" in lines[0]


# ----------------------------------------------------------------------------- seed values as params

SEED_SHARE_TARGETS = {"direct_communications_highest_risk_pct": 90, "case_management_opd_highest_risk_pct": 75,
                      "staffing_pct": 100, "enforcement_vhr_pct_area": 50, "enforcement_vhr_pct_specialised": 90}


def test_demo_states_the_seed_share_targets_and_history_start(demo_params):
    import yaml
    written = yaml.safe_load(DEMO_PARAMS.read_text())
    assert written["share_targets"] == SEED_SHARE_TARGETS and written["history_start"] == 1969
    assert demo_params.share_targets == SEED_SHARE_TARGETS and demo_params.history_start == 1969


def test_share_targets_default_to_the_seed_and_merge_with_what_is_given():
    assert params_from_values(BASE).share_targets == SEED_SHARE_TARGETS
    given = params_from_values({**BASE, "share_targets": {"staffing_pct": 95, "enforcement_vhr_pct_area": 62.5}})
    assert given.share_targets == {**SEED_SHARE_TARGETS, "staffing_pct": 95, "enforcement_vhr_pct_area": 62.5}


@pytest.mark.parametrize("targets,message", [
    ({"staffing": 95}, "'share_targets.staffing' in p.yaml is not an indicator with a share target; use one of: "
                       "direct_communications_highest_risk_pct, case_management_opd_highest_risk_pct, staffing_pct"),
    ({"staffing_pct": 120}, "'share_targets.staffing_pct' in p.yaml must be a percentage from 0 to 100"),
    ({"staffing_pct": "95%"}, "'share_targets.staffing_pct' in p.yaml must be a percentage from 0 to 100"),
    ({"staffing_pct": True}, "'share_targets.staffing_pct' in p.yaml must be a percentage from 0 to 100"),
    ([90, 75], "'share_targets' in p.yaml must be a mapping of indicator to a percentage"),
])
def test_bad_share_targets_name_the_key(targets, message):
    with pytest.raises(ParamsError) as error:
        params_from_values({**BASE, "share_targets": targets}, source="p.yaml")
    assert str(error.value).startswith(message)


def test_history_start_is_a_year_up_to_the_review_year():
    assert params_from_values(BASE).history_start is None
    assert params_from_values({**BASE, "history_start": 2017}).history_start == 2017
    for bad in (2018, 1800, "1969", 1969.5):
        with pytest.raises(ParamsError, match=r"'history_start' in p\.yaml must be a year between 1900 and the "
                                              r"review's year \(2017\)"):
            params_from_values({**BASE, "history_start": bad}, source="p.yaml")


def test_readme_documents_every_params_key_and_the_seed_defaults():
    from ceasefire_analysis.params import DEFAULTS
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [key for key in DEFAULTS if f"`{key}`" not in readme]
    assert not missing, f"README's params reference lacks {missing}"
    assert "the seed worksheet's: 90, 75, 100, 50 and 90" in readme


def test_a_history_dir_that_is_not_a_folder_names_the_key_and_the_path(tmp_path):
    # a typo must not silently turn the published long-run history into a few years of incidents
    with pytest.raises(ParamsError, match=r"'history_dir' must be a folder of annual history series; "
                                          r".*nohistory .*nohistory\) is not a folder"):
        params_from_values({**BASE, "data_dir": str(tmp_path), "history_dir": str(tmp_path / "nohistory")})
    (tmp_path / "homicides.csv").write_text("year,value,source,definition\n")
    with pytest.raises(ParamsError, match="'history_dir'.*is not a folder"):
        params_from_values({**BASE, "data_dir": str(tmp_path), "history_dir": str(tmp_path / "homicides.csv")})
    assert params_from_values({**BASE, "data_dir": str(tmp_path), "history_dir": str(tmp_path)}).history_dir == tmp_path


def test_a_review_period_longer_than_twelve_months_is_refused_naming_the_keys():
    """F24: 2015-11 to 2017-02 (a typo for 2016-11) overlapped its own year-earlier window."""
    base = {"city": "X", "data_dir": str(DEMO_DATA_DIR)}
    with pytest.raises(ParamsError) as err:
        params_from_values({**base, "period_start": "2015-11", "period_end": "2017-02"}, source="p.yaml")
    message = str(err.value)
    assert "'period_end' (2017-02) in p.yaml makes a review period of 16 months" in message
    assert "'period_start' (2015-11)" in message and "at most 12 months" in message
    assert "\n" not in message
    # twelve months, across a year boundary, is still a review period
    assert params_from_values({**base, "period_start": "2016-04", "period_end": "2017-03"}).windows.period.n_months == 12


def test_a_params_folder_reads_yaml_in_any_case_and_names_the_files_it_does_not_read(tmp_path):
    """F18: 2016-08_2016-09.YAML was skipped without a word."""
    from ceasefire_analysis.params import files_not_read_in, params_files_in

    for name in ("2016-10_2016-11.yml", "2016-08_2016-09.YAML", "notes.txt", "2016-12_2017-01.yaml.bak", ".hidden"):
        (tmp_path / name).write_text("city: X\n")
    assert [p.name for p in params_files_in([tmp_path])] == ["2016-08_2016-09.YAML", "2016-10_2016-11.yml"]
    assert [p.name for p in files_not_read_in([tmp_path])] == ["2016-12_2017-01.yaml.bak", "notes.txt"]
    assert files_not_read_in([tmp_path / "2016-10_2016-11.yml"]) == []  # a file named on its own is read as given


def test_a_meeting_notebook_set_to_another_day_leaves_the_file_s_partnership_notes_out():
    # The notes in coordination_2017-03-09.yaml were written for the 9 March meeting: a notebook that asks for the
    # 23 March meeting must not show them as that meeting's (as a period notebook drops another period's notes).
    from ceasefire_analysis.config import PARAMS_DIR
    from ceasefire_analysis.meetings import open_meeting, partnership_health_html

    params_file = str(PARAMS_DIR / "coordination_2017-03-09.yaml")
    own = open_meeting(params_file)
    assert own.params.partnership_notes and not own.params.notes_written_for
    assert "recruitment closes 31 March" in partnership_health_html(own).data
    same_day = open_meeting(params_file, meeting_on="2017-03-09", audience="internal")
    assert same_day.params.partnership_notes == own.params.partnership_notes
    later = open_meeting(params_file, meeting_on="2017-03-23")
    assert later.params.partnership_notes == () and later.params.notes_written_for == "the 9 Mar 2017 meeting"
    page = partnership_health_html(later).data
    assert "recruitment closes 31 March" not in page and "named police contact" not in page
    assert "written for the 9 Mar 2017 meeting, so they are not shown for this one (23 Mar 2017)" in page


def test_a_meeting_notebook_set_to_another_day_takes_the_default_window_not_the_file_s(tmp_path):
    # reader4 F8: a window set by hand in the file is the 9 March meeting's; the 23 March pack must not review that
    # fortnight again (and call it "as set for this meeting") while missing its own.
    import datetime as dt

    from ceasefire_analysis.config import PARAMS_DIR
    from ceasefire_analysis.meetings import open_meeting, pack_header

    text = (PARAMS_DIR / "coordination_2017-03-09.yaml").read_text()
    data_dir = str((PARAMS_DIR / "coordination_2017-03-09.yaml").parent.parent / "data" / "raw" / "demo")
    params_file = tmp_path / "coordination.yaml"
    params_file.write_text(text.replace("../data/raw/demo", data_dir)
                           + 'window_start: "2017-02-23"\nwindow_end: "2017-03-08"\n')
    own = open_meeting(str(params_file))
    assert (own.params.start, own.params.end) == (dt.date(2017, 2, 23), dt.date(2017, 3, 8))
    assert "(as set in the params file)" in pack_header(own).data
    later = open_meeting(str(params_file), meeting_on="2017-03-23")
    assert not later.params.window_given and later.params.end == dt.date(2017, 3, 22)  # to the day before it
    header = pack_header(later).data
    assert "as set in the params file" not in header
    assert "The params file was written for the 9 Mar 2017 meeting" in header
