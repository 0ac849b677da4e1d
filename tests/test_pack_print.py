"""Meeting packs on paper: sections follow on, small tables and sentences are never cut, long listings break
between rows (reader2 R9: a coordination pack printed 8 pages for about 4 of content)."""
from __future__ import annotations

import re

from ceasefire_analysis.meetings import KEEP_WHOLE_ROWS, PACK_CSS, all_shootings_html, open_meeting


def _print_rules(css: str) -> str:
    return css.split("@media print", 1)[1]


def test_pack_print_rules_keep_small_things_whole_and_let_long_tables_flow():
    rules = _print_rules(PACK_CSS)
    # every table kept whole pushed a two-week listing, and its section heading, onto a page of its own
    assert not re.search(r"table\.cf-table\s*\{[^}]*break-inside:\s*avoid", rules)
    assert re.search(r"table\.cf-keep[^{]*\{[^}]*break-inside:\s*avoid", rules)
    assert re.search(r"\.cf-report p[^{]*\{[^}]*break-inside:\s*avoid", rules)  # no sentence split across pages
    assert "break-before: page" not in rules and "page-break-before: always" not in rules


def test_a_long_listing_may_break_and_the_small_table_beside_it_may_not(make_city, tmp_path):
    shootings = [{"incident_id": f"S{i}", "occurred_on": f"2017-01-{10 + i:02d}", "incident_type": "nonfatal_injury_shooting",
                  "reviewed_on": ""} for i in range(KEEP_WHOLE_ROWS + 2)]
    folder = make_city(incidents=shootings)
    params = tmp_path / "review.yaml"
    params.write_text(f"meeting: shooting_review\ncity: T\ndata_dir: {folder}\nmeeting_on: '2017-01-24'\n"
                      "window_start: '2017-01-10'\nwindow_end: '2017-01-24'\n")
    page = all_shootings_html(open_meeting(str(params))).data
    tables = re.findall(r'<table class="([^"]*)"><caption>([^<]*)</caption>', page)
    listing = [css for css, caption in tables if caption.startswith("Every shooting")]
    context = [css for css, caption in tables if caption == "The window in context"]
    assert [set(css.split()) for css in listing] == [{"cf-table", "cf-stack"}]  # 14 rows: breaks between rows
    assert [set(css.split()) for css in context] == [{"cf-table", "cf-keep", "cf-stack"}]  # 3 rows: moves whole
