"""The annual report's charts: matplotlib drawing on the server, as SVG inlined in the page.

Nothing is fetched by the reader's browser: no scripts, no fonts, no images from elsewhere. Text stays text
(`svg.fonttype: none`), so it prints sharply and can be selected, in the browser's own sans-serif. Charts
draw the figures as shown to the caller: a suppressed count has no bar, and is marked `*`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display: render to files only (before anything imports pyplot)
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from app.reports.annual_schemas import AnnualReport, Breakdown
from app.reports.disclosure import Published

# Process-wide, set once: these are the only matplotlib settings the service uses.
matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",
        "text.parse_math": False,  # labels are data (area names, causes): `$...$` is text, never mathtext
        "svg.hashsalt": "leder-annual-report",  # the same ids for the same chart: reproducible pages
        "font.family": "sans-serif",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)
BLUE, GREY, DARK, RED = "#005eb8", "#768692", "#212b32", "#d5281b"  # NHS identity colours
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)  # RDF naming the tool: no use in a page
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r"url\(#([^)]+)\)|href=\"#([^\"]+)\"")


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str  # what the chart shows, for screen readers (the tables beside it give the figures)
    svg: str  # empty when there is nothing to draw: the page says `empty` instead
    empty: str | None = None


def charts(report: AnnualReport) -> list[Chart]:
    """Every chart of the report, in the order the page shows them."""
    drawn = [
        _ages(report),
        _breakdown("place", "Place of death", report.place_of_death, "Deaths notified", "No deaths in this period."),
        _breakdown(
            "grading",
            "Grading of care",
            report.grading.breakdown,
            "Reviews completed",
            "No reviews completed in this period.",
            short=_grade_label,
        ),
        _representation(report),
        _breakdown("actions", "Actions agreed, by status", report.actions, "Actions", "No actions in this period."),
    ]
    return [chart for chart in drawn if chart is not None]


def _grade_label(label: str) -> str:
    return label.split(":")[0] if label[:1].isdigit() else label


def _breakdown(
    key: str, title: str, breakdown: Breakdown, axis: str, empty: str, short: Callable[[str], str] = str
) -> Chart:
    labels = [short(c.label) for c in breakdown.cells]
    values: list[Published] = [c.count for c in breakdown.cells]
    if all(v == 0 for v in values):  # nothing to draw: say so, rather than an axis of fractions
        return Chart(key, title, f"{title}: {empty}", "", empty)
    figure = Figure(figsize=(6.4, 0.45 * len(labels) + 0.9))
    ax = figure.subplots()
    positions = list(range(len(labels)))[::-1]
    drawn = [v if isinstance(v, int) else 0 for v in values]
    ax.barh(positions, drawn, color=BLUE)
    ax.set_yticks(positions, labels)
    ax.set_xlabel(axis)
    top = max(drawn, default=0) or 1
    ax.set_xlim(0, top * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: whole numbers only
    for y, value in zip(positions, values, strict=True):
        ax.text((value if isinstance(value, int) else 0) + top * 0.01, y, str(value), va="center", color=DARK)
    suppressed = any(isinstance(v, str) for v in values)
    description = f"{title}: " + "; ".join(f"{label} {value}" for label, value in zip(labels, values, strict=True))
    if suppressed:
        description += " (* suppressed)"
    return Chart(key, title, description, _svg(figure, key))


def _ages(report: AnnualReport) -> Chart | None:
    shown = [m for m in report.age_at_death.medians if m.median_age is not None and m.reference_median_age]
    if not shown:
        return None
    figure = Figure(figsize=(6.4, 0.8 * len(shown) + 1.0))
    ax = figure.subplots()
    height = 0.38
    positions = list(range(len(shown)))[::-1]
    area = [m.median_age or 0 for m in shown]
    reference = [m.reference_median_age or 0 for m in shown]
    ax.barh([p + height / 2 for p in positions], area, height, color=BLUE, label=report.area_name)
    ax.barh([p - height / 2 for p in positions], reference, height, color=GREY, label="General population")
    ax.set_yticks(positions, [m.label for m in shown])
    ax.set_xlabel("Median age at death (years)")
    ax.set_xlim(0, 100)
    for p, a, r in zip(positions, area, reference, strict=True):
        ax.text(a + 1, p + height / 2, f"{a:g}", va="center", color=DARK)
        ax.text(r + 1, p - height / 2, f"{r:g}", va="center", color=DARK)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False)
    description = "Median age at death against the general population: " + "; ".join(
        f"{m.label} {m.median_age:g} against {m.reference_median_age:g}" for m in shown
    )
    return Chart("ages", "Median age at death", description, _svg(figure, "ages"))


def _representation(report: AnnualReport) -> Chart | None:
    groups = [g for g in report.ethnicity.groups if g.ratio is not None]
    if not groups:
        return None
    figure = Figure(figsize=(6.4, 0.5 * len(groups) + 1.1))
    ax = figure.subplots()
    positions = list(range(len(groups)))[::-1]
    for y, g in zip(positions, groups, strict=True):
        low, high, ratio = g.ratio_low or 0, g.ratio_high or 0, g.ratio or 0
        colour = RED if g.significantly_under_represented else BLUE
        ax.plot([low, high], [y, y], color=colour, linewidth=2)
        ax.plot([ratio], [y], marker="o", color=colour)
    ax.axvline(1, color=GREY, linestyle="--", linewidth=1)
    ax.set_yticks(positions, [g.label for g in groups])
    ax.set_xlabel("Deaths notified / expected (95% interval); 1 = in proportion to the population")
    ax.set_xlim(left=0)
    description = "Deaths notified against expected, by ethnic group: " + "; ".join(
        f"{g.label} ratio {g.ratio} ({g.ratio_low} to {g.ratio_high})"
        + (", significantly under-represented" if g.significantly_under_represented else "")
        for g in groups
    )
    return Chart("ethnicity", "Ethnic representativeness", description, _svg(figure, "ethnicity"))


def _svg(figure: Figure, prefix: str) -> str:
    """The figure as an <svg> element to inline: no XML prologue, and ids unique within the page."""
    for text in figure.findobj(Text):  # ticks, legend, titles, labels: none is ever parsed as mathtext
        text.set_parse_math(False)
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    svg = out.getvalue()
    svg = _METADATA.sub("", svg[svg.index("<svg") :])
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _REF.sub(lambda m: f"url(#{prefix}-{m.group(1)})" if m.group(1) else f'href="#{prefix}-{m.group(2)}"', svg)
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
