"""The family pages in a real browser: Debian's Chromium, driven by Playwright, through the whole flow,
with axe-core checking every page against WCAG 2.2 A and AA (and axe's best practices).

The service runs in a thread as a real HTTP server on 127.0.0.1; the review is set up through the API.
Set LEDER_SCREENSHOTS=DIR to keep a full-page screenshot of each page (docs/family-pages/ holds them).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

from app.main import create_app
from tests.api.test_families import invite
from tests.workflow import Flow

CHROMIUM = os.environ.get("LEDER_CHROMIUM", "/usr/bin/chromium")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
SHOTS = os.environ.get("LEDER_SCREENSHOTS")

if not shutil.which(CHROMIUM):
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"Chromium is needed for the browser tests but {CHROMIUM} is missing")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt install chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(settings, clock) -> Iterator[str]:
    """The app served over real HTTP, on the test's database and frozen clock."""
    port = _free_port()
    config = uvicorn.Config(create_app(settings, clock), host="127.0.0.1", port=port, log_config=None, lifespan="on")
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    for _ in range(200):
        if served.started:
            break
        threading.Event().wait(0.05)
    assert served.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    served.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield chromium
        await chromium.close()


async def check(page: Page, name: str) -> None:
    """No axe violations on the page as it stands; optionally keep a screenshot."""
    results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


async def set_contact(api, flow) -> None:
    contact = {"email": "leder@leeds.example.nhs.uk", "phone": "0113 496 0000",
               "postal_address": "LeDeR team\nWhite Rose House\nLeeds LS1 4HR"}  # fmt: skip
    headers = {**flow.coordinator.headers, "If-Match": '"0"'}
    assert (await api.put("/areas/15F/contact", json=contact, headers=headers)).status_code == 200


async def test_a_family_follows_the_review_in_the_browser(api, world, server, browser):
    flow = await Flow.start(api, world)
    case = await flow.reach("initial_review")
    code = (await invite(api, flow, case))["code"]
    await set_contact(api, flow)
    page = await (await browser.new_context()).new_page()  # axe needs script; the pages have none of their own

    await page.goto(f"{server}/for-families")
    await check(page, "1-start")
    await page.get_by_label("Your invitation code").fill("AAAA-BBBB-CCCC-DDDD-EEEE")
    await page.get_by_role("button", name="Continue").click()
    assert await page.get_by_role("alert").is_visible()
    assert "That code did not work" in await page.get_by_role("alert").inner_text()
    await check(page, "2-start-wrong-code")

    await page.get_by_label("Your invitation code").fill(code.lower())  # as a person might type it
    await page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/for-families/review")
    assert "finding out about the care given" in await page.locator("main").inner_text()
    assert await page.locator("main").get_by_role("link", name="0113 496 0000").is_visible()
    await check(page, "3-review")

    await page.get_by_role("button", name="Send").click()  # nothing chosen, nothing written
    assert "Choose whether this is a concern" in await page.get_by_role("alert").inner_text()
    await check(page, "4-review-form-errors")

    await page.get_by_label("A concern about the care").check()
    await page.get_by_label("What you would like to say").fill("Nobody explained the DNACPR decision to us.")
    await page.get_by_role("button", name="Send").click()
    assert "Your concern has been sent" in await page.get_by_role("status").inner_text()
    await page.get_by_role("button", name="Ask for a focused review").click()
    assert "asked for a focused review" in await page.get_by_role("status").inner_text()
    await page.get_by_label("Yes, I would like to read it").check()
    await page.get_by_role("button", name="Save my choice").click()
    assert "you would like to read the summary" in await page.get_by_role("status").inner_text()
    await check(page, "5-review-after-choices")

    staff = await api.get(f"/notifications/{case.id}/family-messages", headers=flow.coordinator.headers)
    assert [m["text"] for m in staff.json()] == ["Nobody explained the DNACPR decision to us."]
    assert (await flow.get(case))["focused_review"]["outstanding"] == ["family_requested"]

    await page.get_by_role("button", name="Sign out").click()
    assert "come back at any time with the same code" in await page.get_by_role("status").inner_text()
    await check(page, "9-signed-out")
    await page.goto(f"{server}/for-families/review")  # signed out: back to the start
    assert await page.get_by_label("Your invitation code").is_visible()
    await page.get_by_label("Your invitation code").fill(code)  # the same code, to come back
    await page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/for-families/review")


async def test_a_family_reads_the_released_summary_in_the_browser(api, world, server, browser):
    flow = await Flow.start(api, world)
    case = await flow.reach("completed")
    code = (await invite(api, flow, case))["code"]
    await set_contact(api, flow)
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{server}/for-families")
    await page.get_by_label("Your invitation code").fill(code)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Yes, I would like to read it").check()
    await page.get_by_role("button", name="Save my choice").click()
    await page.goto(f"{server}/for-families/summary")  # before the team has written it
    assert await page.get_by_role("heading", name="The summary is not ready yet").is_visible()
    await check(page, "10-summary-not-ready")
    await page.goto(f"{server}/for-families/review")
    summary = "The review found that the care was good in most ways.\nThe hospital will change how it explains DNACPR."
    released = await api.put(
        f"/notifications/{case.id}/family-summary", json={"text": summary}, headers=flow.coordinator.headers
    )
    assert released.status_code == 200
    await page.reload()
    await check(page, "6-review-completed")
    await page.get_by_role("link", name="Read the summary of the review").click()
    assert "care was good in most ways" in await page.locator("main").inner_text()
    await check(page, "7-summary")

    await page.goto(f"{server}/for-families/nothing-here")
    await check(page, "8-not-found")


async def test_the_pages_work_with_javascript_switched_off(api, world, server, browser):
    flow = await Flow.start(api, world)
    case = await flow.reach("initial_review")
    code = (await invite(api, flow, case))["code"]
    page = await (await browser.new_context(java_script_enabled=False)).new_page()
    await page.goto(f"{server}/for-families")
    await page.get_by_label("Your invitation code").fill(code)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Something that went well").check()
    await page.get_by_label("What you would like to say").fill("The ward nurses were kind to him.")
    await page.get_by_role("button", name="Send").click()
    assert "What you said has been passed to the reviewer" in await page.get_by_role("status").inner_text()
    await page.get_by_role("button", name="Ask for a focused review").click()
    assert (await flow.get(case))["focused_review"]["outstanding"] == ["family_requested"]
    staff = await api.get(f"/notifications/{case.id}/family-messages", headers=flow.coordinator.headers)
    assert [m["kind"] for m in staff.json()] == ["went_well"]
