"""The printable annual report in a real browser (Debian's Chromium through Playwright): it renders with no
errors, fetches nothing, passes axe-core's WCAG 2.2 A/AA checks, and prints.

Set LEDER_SCREENSHOTS=DIR to keep a full-page screenshot (docs/reports/annual-report.png is one).
"""

from __future__ import annotations

from tests.api import test_annual_report as annual
from tests.browser import test_family_pages_in_chromium as pages

# The same real server, browser and small population as the other tests use.
server = pages.server
browser = pages.browser
leeds = annual.leeds


async def test_the_annual_report_renders_prints_and_passes_axe(leeds, server, browser):
    headers = leeds.coordinator.headers  # the bearer token, as a browser behind the trust's sign-in would send
    context = await browser.new_context(extra_http_headers=headers, viewport={"width": 1000, "height": 900})
    page = await context.new_page()
    problems: list[str] = []
    requested: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requested.append(r.url))

    response = await page.goto(f"{server}/reports/areas/15F/annual.html?year=2019")
    assert response is not None and response.status == 200
    assert await page.title() == "LeDeR annual report 2019: Area 15F"
    assert await page.get_by_role("heading", level=1).inner_text() == "LeDeR annual report 2019"
    assert await page.locator("figure svg").count() == 5
    for svg in await page.locator("figure svg").all():
        box = await svg.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 80  # drawn, and at a readable size
    callout = await page.locator(".callout").inner_text()
    assert "Black or Black British" in callout

    await pages.check(page, "annual-report")  # axe, and the screenshot when asked for
    assert problems == []
    assert requested == [f"{server}/reports/areas/15F/annual.html?year=2019"]  # nothing else fetched

    await page.emulate_media(media="print")
    pdf = await page.pdf(format="A4")  # what "print to PDF" gives a board secretary
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    await context.close()
