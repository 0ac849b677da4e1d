"""Pages that read anywhere: on a phone (viewport, tables that scroll), on paper (print
stylesheet) and by a reader outside the partnership (a glossary of the terms a page uses)."""
import re

import pytest

from ceasefire_analysis.reader import glossary_html, stylesheet, terms_used, with_glossary
from ceasefire_analysis.reports import REPORTS

PAGES = ["index.html"] + [f"{name}.html" for name in REPORTS]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_viewport_scrolling_tables_and_print_rules(rendered_demo, name):
    text = (rendered_demo[1] / name).read_text(encoding="utf-8")
    viewport = re.findall(r'<meta [^>]*name="viewport"[^>]*>', text)
    assert len(viewport) == 1 and 'content="width=device-width, initial-scale=1"' in viewport[0]
    assert "@media print" in text and "@page { size: landscape" in text
    assert re.search(r"tr, td, th, img[^{]*\{[^}]*break-inside: avoid", text)  # no row or chart split
    assert re.search(r"\.jp-OutputArea-output, \.cf-scroll \{ overflow-x: auto", text)
    assert "--jp-" not in text  # none of JupyterLab's theme


def test_worksheet_is_light_before_its_charts(rendered_demo):
    text = (rendered_demo[1] / "worksheet.html").read_text(encoding="utf-8")
    assert len(re.sub(r"data:image/[^\"')]+", "", text).encode()) < 60_000


def _glossary_terms(page: str) -> list[str]:
    section = page.split('<section class="cf-glossary"><h2>Words used in this report</h2>', 1)
    assert len(section) == 2, "the page has no glossary"
    return re.findall(r"<dt>([^<]*)</dt>", section[1])


@pytest.mark.parametrize("name, expected", [
    ("index.html", {"VHR", "SIU", "Binomial"}),
    ("worksheet.html", {"VHR", "SIU", "OML", "NNSC", "Poisson", "E-test", "Binomial", "Control limits (c-chart)",
                        "Run of 8"}),
    ("callin_outcomes.html", {"Call-in", "95% CI (confidence interval)", "Cumulative incidence"}),
])
def test_internal_pages_explain_their_terms_too(rendered_demo, name, expected):
    """The Mayor's office and police leads read the internal pages: the terms are explained there as well,
    the words inside a chart (its legend) included."""
    terms = _glossary_terms((rendered_demo[1] / name).read_text(encoding="utf-8"))
    assert expected <= set(terms)


def test_hidden_complements_are_explained():
    from ceasefire_analysis.privacy import COMPLEMENTARY, SMALL, hidden_text

    page = f"<main><table><tr><td>{hidden_text(SMALL, 5)}</td><td>{hidden_text(COMPLEMENTARY, 5)}</td></tr></main>"
    terms = [term for term, _ in terms_used(page)]
    assert terms == ["Suppressed counts", "Hidden (would reveal a small number)"]


def test_a_charts_legend_counts_as_words_on_the_page():
    page = '<main><img src="data:image/png;base64,AAAA" alt="Homicides per month. Key: a run of 8 on one side"></main>'
    assert [term for term, _ in terms_used(page)] == ["Run of 8"]


def test_glossary_lists_only_the_terms_a_page_uses_in_one_order():
    page = ("<html><body><main><p>Control limits for homicides; 12 VHR people reached by custom "
            "notification.</p><style>.call-in {}</style></main></body></html>")
    assert [term for term, _ in terms_used(page)] == ["VHR", "Custom notification", "Control limits (c-chart)"]
    out = with_glossary(page)
    assert out.index('<section class="cf-glossary">') < out.index("</main>")
    assert "Call-in" not in glossary_html(page)  # a class name in a stylesheet is not a word on the page
    assert with_glossary("<main><p>Nothing technical.</p></main>") == "<main><p>Nothing technical.</p></main>"


def test_stylesheet_is_small_and_self_contained():
    css = stylesheet()
    assert len(css.encode()) < 6_000 and "url(" not in css and "@import" not in css


def _phone_rules(css: str) -> str:
    """The rules of the stylesheet's narrow-screen block."""
    start = css.index("@media (max-width: 600px)")
    return css[start:css.index("\n}", start)]


@pytest.mark.parametrize("name, caption", [
    ("worksheet.html", "Worksheet 1: outcome indicators"),
    ("worksheet.html", "Worksheet 2: activity indicators"),
    ("index.html", "Headline status of every indicator"),
])
def test_marks_are_in_view_on_a_phone(rendered_demo, name, caption):
    """At phone width a worksheet row is a card: every cell, the mark included, under its column's name."""
    text = (rendered_demo[1] / name).read_text(encoding="utf-8")
    table = re.search(r'<table class="cf-table cf-stack"><caption>' + re.escape(caption) + r".*?</table>", text, re.S)
    assert table, f"{caption} is not laid out as cards on a phone"
    marks = re.findall(r'<td[^>]*data-label="([^"]*)"[^>]*>(?:(?!</td>).)*?(?:Meets|Does not meet)',
                       table.group(0))
    assert marks and set(marks) <= {"Status", "Year to date (Jan–Mar 2017)", "Review period (Feb–Mar 2017)", "At 31 Mar 2017"}
    phone = _phone_rules(stylesheet())
    assert re.search(r"table\.cf-stack, [^{]*table\.cf-stack td \{ display: block", phone)
    assert "content: attr(data-label)" in phone


def _table(text: str, caption_pattern: str) -> str:
    found = re.search(r'<table class="([^"]*)"><caption>' + caption_pattern + r".*?</table>", text, re.S)
    assert found, f"no table captioned {caption_pattern}"
    assert found.group(1) == "cf-table cf-stack", f"{caption_pattern} is not laid out as cards on a phone"
    return found.group(0)


@pytest.mark.parametrize("caption", [re.escape("Worksheet 3: focus, scale and quality"),
                                     r"[^<]*each year against the safe-city path"])
def test_worksheet_3_and_the_safe_city_table_are_cards_on_a_phone(rendered_demo, caption):
    """reader3 N4: at 420 px Worksheet 3's Period and As-of columns, and the safe-city total, were cut off."""
    table = _table((rendered_demo[1] / "worksheet.html").read_text(encoding="utf-8"), caption)
    header = re.findall(r"<th>([^<]*)</th>", table)
    for row in re.findall(r'<tr(?: class="(?!section)[^"]*")?>(.*?)</tr>', table.split("<tbody>", 1)[1]):
        labels = [re.search(r'data-label="([^"]*)"', attrs) for attrs in re.findall(r"<td([^>]*)>", row)]
        labels = [found and found.group(1) for found in labels]
        assert labels[1:] == header[1:len(labels)], row  # every value under its column's name


def test_every_worksheet_1_card_names_its_indicator(rendered_demo):
    """reader3 N4: the second window's card of an indicator ("Review period ...") did not say what it counts."""
    table = _table((rendered_demo[1] / "worksheet.html").read_text(encoding="utf-8"),
                   re.escape("Worksheet 1: outcome indicators"))
    rows = re.findall(r"<tr>(<td.*?)</tr>", table)
    firsts = [re.match(r"<td([^>]*)>([^<]*)</td>", row).groups() for row in rows]
    names = [(re.search(r'data-row="([^"]*)"', attrs) or [None, text])[1] for attrs, text in firsts]
    assert len(rows) == 6 and names == ["Homicides"] * 2 + ["Non-fatal injury shootings"] * 2 + \
        [names[4]] * 2 and names[4].startswith("Non-injury")
    assert "table.cf-stack td[data-row]::before { content: attr(data-row)" in _phone_rules(stylesheet())


@pytest.mark.parametrize("name", PAGES)
def test_every_printed_page_says_city_period_and_audience(rendered_demo, name):
    """Loose printed pages are told apart: each page's own @page header names the city, period and audience,
    and the stylesheet numbers the pages; headings and section rows stay with what follows them."""
    text = (rendered_demo[1] / name).read_text(encoding="utf-8")
    header = re.findall(r'@page \{ @top-left \{ content: "([^"]*)"', text)
    assert header == ["Oakland (demo data, synthetic) — review period Feb–Mar 2017 — internal audience"]
    assert 'content: "page " counter(page) " of " counter(pages)' in text
    print_rules = stylesheet()[stylesheet().index("@media print"):]
    kept = re.search(r"\n  ([^{]*)\{ break-after: avoid;", print_rules).group(1)
    assert {"h2", "h2 + p", "tr.section", "caption"} <= {s.strip() for s in kept.split(",")}


def test_no_page_for_the_room_carries_analyst_instructions(rendered_demo, analyst_text):
    """reader2 R6: "add tasks.csv (see docs/...)", "params key ...", "seed worksheet" mean nothing to the room."""
    pages = sorted(rendered_demo[1].glob("*.html"))
    assert len(pages) >= 4
    for page in pages:
        assert not analyst_text(page.read_text(encoding="utf-8")), (page.name, analyst_text(page.read_text()))


def test_the_history_page_defines_the_words_it_uses():
    # reader4 F6: the history page's glossary defined "Murder rate" only; its chart and facts use UCR, LEOKA,
    # sworn officers, Measure Y and "Deck:"
    from ceasefire_analysis.reader import terms_used

    text = ("FBI UCR murder and non-negligent manslaughter; Sworn officers (FBI LEOKA police-employee counts); "
            "Measure Y 2005–2014; Ceasefire from Oct 2012; Deck: +37% from 2005 to 2012.")
    terms = [term for term, _ in terms_used(f"<p>{text}</p>")]
    for term in ("UCR", "Non-negligent manslaughter", "LEOKA", "Sworn officer", "Measure Y", "Ceasefire (era)",
                 "Deck (seed deck)"):
        assert term in terms
