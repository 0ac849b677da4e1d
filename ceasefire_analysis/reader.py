"""What every page a reader opens carries: one small stylesheet (screen, phone, print) and a glossary.

The stylesheet lives in ``templates/offline/reader.css``, the one place for the look of the
reports, the period overviews, failure pages and the front page. The glossary explains each
term of art that a page actually uses, for every reader (the Mayor's office and community partners
alike) who meets VHR or "control limits" without the partnership's vocabulary.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

from .config import TEMPLATE_DIR

STYLESHEET = TEMPLATE_DIR / "offline" / "reader.css"
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'

# Every term of art a report may use, in the order a reader meets them, with the patterns that find it
# in a page's text. Definitions are written for a reader who was not in the room.
GLOSSARY: tuple[tuple[str, str, str], ...] = (
    ("Benchmark", r"\bbenchmarks?\b",
     "the number the partnership set out to reach (activities) or to stay at or below (outcomes) over a window."),
    ("Year to date (YTD)", r"\bYTD\b|\byear to date\b",
     "from 1 January of the review's year to the end of the review period."),
    ("Non-fatal injury shooting", r"\bnon-fatal injury shootings?\b",
     "a shooting in which someone was hit and survived."),
    ("Non-injury shooting", r"\bnon-injury shootings?\b",
     "shots fired at someone with no one hit (counted by incident, not by victim); not the same as a non-fatal "
     "injury shooting, in which someone was hit."),
    ("VHR", r"\bVHR\b",
     "very highest risk: the people the police and partners identify, from problem analysis and shooting "
     "reviews, as most likely to shoot or be shot soon."),
    ("Call-in", r"\bcall-ins?\b",
     "a meeting at which group members at high risk hear, face to face, from community members, service "
     "providers and law enforcement: the violence must stop, help is available, and further shootings will "
     "bring a response to the whole group."),
    ("Custom notification", r"\bcustom notifications?\b|\bcustoms\b",
     "the same message delivered to one person, usually at home, by a police officer and a community or "
     "outreach partner."),
    ("Direct communication", r"\bdirect communications?\b",
     "call-ins and custom notifications together: each person reached directly with the message."),
    ("Case management", r"\bcase management\b|\bcaseload\b",
     "a continuing, relationship-focused service (life coaching, support) for a person at high risk."),
    ("CRT", r"\bCRTs?\b",
     "the police department's Crime Reduction Teams: area and Ceasefire units that carry out focused "
     "enforcement."),
    ("SIU", r"\bSIU\b",
     "a specialised police investigation unit; with the Ceasefire and gang units it counts as a specialised "
     "unit in the staffing and enforcement indicators."),
    ("OML", r"\bOML\b",
     "the police department's own process for filling open positions, named by its abbreviation in the "
     "department's notes."),
    ("Group-involved", r"\bgroup-involved\b",
     "a shooting in which a member of a street group or crew took part, as victim or suspect, as the "
     "shooting review found."),
    ("Flagged", r"\bflagged\b",
     "named at a shooting review as at risk of shooting or being shot, so that partners reach the person."),
    ("Safe-city path", r"\bsafe[- ]city\b",
     "the yearly shooting counts that a steady cut from a base year would give; the page states the cut, the "
     "base year and the number of years."),
    ("OPD", r"\bOPD\b", "the Oakland Police Department."),
    ("NNSC", r"\bNNSC\b",
     "the National Network for Safe Communities, which supports cities running group violence intervention."),
    ("Murder rate", r"\bmurder rates?\b|\bper 100,000\b",
     "homicides in a year for every 100,000 residents, so that cities and years of different size compare."),
    ("UCR", r"\bUCR\b",
     "the FBI's Uniform Crime Reporting programme, through which police departments report yearly counts of "
     "crimes; its long-run homicide series counts murder and non-negligent manslaughter."),
    ("Non-negligent manslaughter", r"\bnon-negligent manslaughter\b",
     "the wilful killing of one person by another, without the planning of murder; counted with murder in the "
     "FBI's homicide series, which leaves out killings by accident or negligence and justified killings."),
    ("LEOKA", r"\bLEOKA\b",
     "the FBI's Law Enforcement Officers Killed and Assaulted programme, which also publishes each police "
     "department's yearly count of employees."),
    ("Sworn officer", r"\bsworn officers?\b",
     "a police officer with the power to arrest, as opposed to civilian staff of the department."),
    ("Measure Y", r"\bMeasure Y\b",
     "Oakland's 2004 voter-approved tax measure that paid for violence-prevention programmes and police "
     "officers from 2005."),
    ("Deck (seed deck)", r"\bDeck:|\bseed deck\b|\bthe seed's\b",
     "the presentation of Oakland's Ceasefire performance reviews by the California Partnership for Safe "
     "Communities (June 2017) that these reports are modelled on; where a page says \"Deck:\", it checks a claim "
     "the presentation made against the data."),
    ("Ceasefire (era)", r"\bCeasefire from\b",
     "on the long-run chart, the years since the city began its Ceasefire strategy (group violence "
     "intervention), the partnership these reviews are for."),
    ("Shooting review", r"\bshooting reviews?\b",
     "the police-led weekly meeting that goes through every shooting to find who is at risk and which "
     "conflicts are active."),
    ("Coordination meeting", r"\bcoordination meetings?\b",
     "the bi-weekly meeting of police, human-services and community partners that agrees who to reach and "
     "how."),
    ("Could it be chance?", r"\bcould it be chance\b|\bby chance\b|\bchance\b",
     "how likely a count at least this far from the benchmark would be if the true rate equalled the "
     "benchmark; small counts swing a lot from month to month by chance alone."),
    ("Poisson", r"\bPoisson\b",
     "the usual model for counts of rare events such as shootings: it says how far a count strays from its "
     "expected value by chance alone."),
    ("E-test", r"\bE-tests?\b",
     "a test of whether two counts of events (this window's and an earlier one's) differ by more than chance; "
     "the percentage is the chance of a difference at least that large if the underlying rate had not "
     "changed."),
    ("Binomial", r"\bbinomial\b",
     "the model for a share (so many of so many): it says how far a share can fall short of its target by "
     "chance alone."),
    ("Control limits (c-chart)", r"\bcontrol limits?\b|\bc-charts?\b",
     "a c-chart plots a count month by month with a band, the control limits (the baseline months' average "
     "plus and minus 3 standard deviations), within which counts normally vary; a month outside it is "
     "unusual enough to look into."),
    ("Run of 8", r"\brun of 8\b",
     "eight or more months in a row on the same side of the baseline average: a sign that the level has "
     "moved even when no single month is outside the control limits."),
    ("Cumulative incidence", r"\bcumulative incidence\b",
     "the share of a group to whom something (an arrest, being shot) has happened by a given number of "
     "months after first contact, counting only the time each person has been followed."),
    ("95% CI (confidence interval)", r"\b95% CI\b|\bconfidence intervals?\b",
     "the range of values the true figure could plausibly take, given how few people are counted: a range "
     "built this way holds the true value 95 times in 100. A wide range means an uncertain figure."),
    ("Suppressed counts", r"\bfewer than \d+\b|\bhidden\b",
     "counts of people below a small number are not shown, so that no one can be recognised from a "
     "report; nor is a percentage with so few people behind it."),
    ("Hidden (would reveal a small number)", r"\bwould reveal a small number\b",
     "a count that need not be small itself, hidden because with the totals shown it would let a reader work "
     "out a small count that is hidden."),
)


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The reports' stylesheet (screen, phone and print), as CSS text."""
    return STYLESHEET.read_text(encoding="utf-8")


def head(title: str) -> str:
    """The ``<head>`` contents of a reader page: charset, viewport, title and the stylesheet."""
    return (f'<meta charset="utf-8">{VIEWPORT}<title>{html.escape(title)}</title>'
            f"<style>{stylesheet()}</style>")


def page_text(page_html: str) -> str:
    """The words a reader sees on a page: tags, styles and embedded images removed, a chart's words (its
    alternative text: title and legend) kept."""
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", page_html, flags=re.S | re.I)
    text = re.sub(r'<img\b[^>]*?\balt="([^"]*)"[^>]*>', r" \1 ", text, flags=re.I)
    text = re.sub(r"<[^>]+>", " ", text)
    return html.unescape(text)


def terms_used(page_html: str) -> list[tuple[str, str]]:
    """The glossary entries whose terms appear in a page's text, in glossary order.

    >>> [term for term, _ in terms_used("<p>Two call-ins and 12 VHR people</p>")]
    ['VHR', 'Call-in']
    """
    text = page_text(page_html)
    return [(term, meaning) for term, pattern, meaning in GLOSSARY if re.search(pattern, text, flags=re.I)]


def glossary_html(page_html: str) -> str:
    """A short "Words used in this report" section for the terms of art a page uses ('' if none)."""
    entries = terms_used(page_html)
    if not entries:
        return ""
    items = "".join(f"<dt>{html.escape(term)}</dt><dd>{html.escape(meaning)}</dd>" for term, meaning in entries)
    return f'<section class="cf-glossary"><h2>Words used in this report</h2><dl>{items}</dl></section>'


def running_header_html(identity: str) -> str:
    """A line saying what a page is (city, period or meeting day, audience; see formatting.page_identity).

    Hidden on screen, where the page's heading says it; on paper it is printed at the top left of every
    page (an ``@page`` margin box; reader.css adds "page n of m" at the right), so loose pages from two
    reviews are told apart. The page's title is read from it.

    >>> print(running_header_html('Oakland — "x" <y>'))  # doctest: +NORMALIZE_WHITESPACE
    <div class="cf-running-header">Oakland — &quot;x&quot; &lt;y&gt;</div><style>@page { @top-left { content:
    "Oakland — \\22 x\\22  \\3c y\\3e "; font-size: 8pt; color: #333; } }</style>
    """
    in_css = "".join(f"\\{ord(ch):x} " if ch in '"\\<>' or ch < " " else ch for ch in identity)
    return (f'<div class="cf-running-header">{html.escape(identity)}</div>'
            f'<style>@page {{ @top-left {{ content: "{in_css}"; font-size: 8pt; color: #333; }} }}</style>')


def identity_in(notebook) -> str:
    """The identity a run notebook's output carries (:func:`running_header_html`), or '' when none does.

    >>> identity_in({"cells": [{"outputs": [{"data": {"text/html": running_header_html("Oakland — x")}}]}]})
    'Oakland — x'
    """
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/html", "")
            found = re.search(r'<div class="cf-running-header">([^<]*)</div>', "".join(text))
            if found:
                return html.unescape(found.group(1))
    return ""


def with_glossary(page_html: str) -> str:
    """The page with its glossary added at the end of the body (before ``</main>`` when there is one)."""
    glossary = glossary_html(page_html)
    if not glossary:
        return page_html
    for closing in ("</main>", "</body>"):
        at = page_html.rfind(closing)
        if at >= 0:
            return page_html[:at] + glossary + page_html[at:]
    return page_html + glossary
