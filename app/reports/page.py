"""The annual report as a printable web page: one self-contained HTML document, charts inline.

A board secretary saves it (or prints it to PDF) and circulates it: so nothing in it is fetched from
anywhere, there are no scripts, and the Content-Security-Policy says so to the browser as well.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from app.areas.contact import phone_for_people
from app.areas.models import AreaContact
from app.core.clock import uk_date
from app.reports.annual_schemas import AnnualReport
from app.reports.charts import charts

# Styles are inline (one file to save and send), and so are the charts' SVG presentation attributes.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; "
    "base-uri 'none'"
)

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _long_date(value: date | datetime) -> str:
    day = uk_date(value) if isinstance(value, datetime) else value
    return f"{day.day} {day:%B %Y}"


templates.env.filters["long_date"] = _long_date


async def annual_report_page(request: Request, report: AnnualReport, contact: AreaContact | None = None) -> Response:
    # matplotlib is CPU-bound: draw in a worker thread rather than hold up the event loop.
    drawn = {chart.key: chart for chart in await run_in_threadpool(charts, report)}
    context = {"r": report, "charts": drawn, "contact": contact, "phone_for_people": phone_for_people}
    response = templates.TemplateResponse(request, "annual_report.html", context)
    filename = f"leder-annual-report-{report.area_ods}-{report.year}.html"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"  # a coordinator's page holds figures not for publication
    return response
