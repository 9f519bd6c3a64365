"""The family pages over HTTP, as a browser uses them: the cookie session, the forms, and the denials."""

from __future__ import annotations

import re

import httpx
import pytest

from app.families.web import COOKIE
from tests.api.test_families import invite
from tests.workflow import Flow

PAGES = "/for-families"


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


@pytest.fixture
async def browser(api):
    """A client like a browser on HTTPS: it keeps cookies (the session cookie is Secure)."""
    async with httpx.AsyncClient(transport=api._transport, base_url="https://testserver") as client:
        yield client


async def sign_in(browser, code):
    return await browser.post(f"{PAGES}/sign-in", data={"code": code})


def token_of(page: httpx.Response) -> str:
    found = re.search(r'name="form_token" value="([0-9a-f]+)"', page.text)
    assert found, "the page should carry a form token"
    return found.group(1)


async def test_a_family_signs_in_with_the_code_and_sees_the_review(api, flow, browser):
    case = await flow.reach("initial_review")
    code = (await invite(api, flow, case))["code"]
    start = await browser.get(PAGES)
    assert start.status_code == 200
    assert "text/html" in start.headers["content-type"]
    assert "default-src 'none'" in start.headers["content-security-policy"]
    assert 'for="code"' in start.text

    signed_in = await sign_in(browser, code)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == f"{PAGES}/review"
    cookie = signed_in.headers["set-cookie"].lower()
    for attribute in ("httponly", "secure", "samesite=strict", f"path={PAGES}"):
        assert attribute in cookie
    page = await browser.get(f"{PAGES}/review")
    assert page.status_code == 200
    assert "The reviewer is finding out about the care given" in page.text
    assert "17 September 2025" in page.text
    assert 'aria-current="step"' in page.text
    assert "<script" not in page.text.lower()  # works without JavaScript: there is none
    for secret in ("9434765919", "Joan", str(flow.reviewer.user.id)):
        assert secret not in page.text


async def test_wrong_codes_are_refused_in_plain_words_and_a_right_one_works_every_time(api, flow, browser):
    case = await flow.notify()
    code = (await invite(api, flow, case))["code"]
    empty = await sign_in(browser, "  ")
    assert empty.status_code == 422
    assert "Enter the code from your invitation" in empty.text
    wrong = await sign_in(browser, "AAAA-BBBB-CCCC-DDDD-EEEE")
    assert wrong.status_code == 401
    assert "That code did not work" in wrong.text
    assert (await sign_in(browser, code)).status_code == 303
    async with httpx.AsyncClient(transport=api._transport, base_url="https://testserver") as other:
        again = await sign_in(other, code)
    assert again.status_code == 303  # the code is the family's key for the life of the review


async def test_a_burst_of_wrong_codes_gets_429_with_retry_after(browser, settings):
    for _ in range(settings.family_code_failures_per_client):
        await sign_in(browser, "AAAA-BBBB-CCCC-DDDD-EEEE")
    limited = await sign_in(browser, "AAAA-BBBB-CCCC-DDDD-EEEE")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many codes were tried" in limited.text


async def test_without_a_session_the_pages_ask_for_a_code(browser):
    for method, path in [("GET", "/review"), ("GET", "/summary"), ("POST", "/messages"), ("POST", "/focused-review")]:
        response = await browser.request(method, f"{PAGES}{path}", data={"form_token": "0" * 64})
        assert response.status_code == 401, path
        assert "text/html" in response.headers["content-type"]
        assert 'for="code"' in response.text
        assert "Your session has ended" not in response.text  # a first visit, not an ended session


async def test_a_bearer_token_does_not_open_the_pages(api, flow, browser):
    case = await flow.notify()
    code = (await invite(api, flow, case))["code"]
    token = (await api.post("/family/session", json={"code": code})).json()["access_token"]
    page = await browser.get(f"{PAGES}/review", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 401


async def test_staff_cannot_use_the_pages(api, flow, browser):
    browser.cookies.set("leder_family", flow.coordinator.headers["Authorization"].split()[1], path=PAGES)
    page = await browser.get(f"{PAGES}/review")
    assert page.status_code == 403
    assert "This page is not available" in page.text


async def test_forms_need_the_pages_own_token(api, flow, browser):
    case = await flow.reach("initial_review")
    await sign_in(browser, (await invite(api, flow, case))["code"])
    forged = await browser.post(f"{PAGES}/messages", data={"kind": "concern", "text": "x", "form_token": "0" * 64})
    assert forged.status_code == 403
    assert "The form could not be accepted" in forged.text
    for odd in ("é" * 64, "☃", "%FF", "0" * 65):
        malformed = await browser.post(f"{PAGES}/focused-review", data={"form_token": odd})
        assert malformed.status_code == 422, odd  # refused as a page, never a 500
    missing = await browser.post(f"{PAGES}/focused-review")
    assert missing.status_code == 422
    assert "text/html" in missing.headers["content-type"]
    assert (await api.get(f"/notifications/{case.id}/family-messages", headers=flow.coordinator.headers)).json() == []
    assert (await flow.get(case))["focused_review"]["outstanding"] == []


async def test_a_family_raises_a_concern_asks_for_a_focused_review_and_chooses_the_summary(api, flow, browser):
    case = await flow.reach("initial_review")
    await sign_in(browser, (await invite(api, flow, case))["code"])
    token = token_of(await browser.get(f"{PAGES}/review"))

    incomplete = await browser.post(f"{PAGES}/messages", data={"text": "  ", "form_token": token})
    assert incomplete.status_code == 422
    assert "Choose whether this is a concern" in incomplete.text
    assert 'href="#text"' in incomplete.text

    sent = await browser.post(
        f"{PAGES}/messages", data={"kind": "concern", "text": "Nobody told us about the DNACPR.", "form_token": token}
    )
    assert sent.status_code == 303
    after = await browser.get(sent.headers["location"])
    assert "Your concern has been sent" in after.text
    assert "Nobody told us about the DNACPR." in after.text
    staff = await api.get(f"/notifications/{case.id}/family-messages", headers=flow.coordinator.headers)
    assert [m["kind"] for m in staff.json()] == ["concern"]

    asked = await browser.post(f"{PAGES}/focused-review", data={"form_token": token})
    assert asked.status_code == 303
    assert (await flow.get(case))["focused_review"]["outstanding"] == ["family_requested"]

    chose = await browser.post(f"{PAGES}/summary-preference", data={"wants_summary": "yes", "form_token": token})
    assert chose.status_code == 303
    assert (await browser.get(f"{PAGES}/summary")).status_code == 404  # not complete yet
    invitations = await api.get(f"/notifications/{case.id}/family-invitations", headers=flow.coordinator.headers)
    assert invitations.json()[0]["wants_summary"] is True


async def test_the_released_summary_is_read_on_its_page(api, flow, browser):
    case = await flow.reach("completed")
    await sign_in(browser, (await invite(api, flow, case))["code"])
    token = token_of(await browser.get(f"{PAGES}/review"))
    await browser.post(f"{PAGES}/summary-preference", data={"wants_summary": "yes", "form_token": token})
    missing = await browser.get(f"{PAGES}/summary")
    assert missing.status_code == 404
    assert "<h1>The summary is not ready yet</h1>" in missing.text
    assert "Page not found" not in missing.text
    text = "The care was good.\nThe team learned about <b>communication</b>."
    released = await api.put(
        f"/notifications/{case.id}/family-summary", json={"text": text}, headers=flow.coordinator.headers
    )
    assert released.status_code == 200
    page = await browser.get(f"{PAGES}/summary")
    assert page.status_code == 200
    assert "<p>The care was good.</p>" in page.text
    assert "&lt;b&gt;communication&lt;/b&gt;" in page.text  # escaped, never markup


async def test_revoking_the_invitation_ends_the_page_session(api, flow, browser):
    case = await flow.notify()
    invited = await invite(api, flow, case)
    await sign_in(browser, invited["code"])
    assert (await browser.get(f"{PAGES}/review")).status_code == 200
    revoked = await api.post(
        f"/notifications/{case.id}/family-invitations/{invited['invitation']['id']}/revocation",
        headers=flow.coordinator.headers,
    )
    assert revoked.status_code == 200
    ended = await browser.get(f"{PAGES}/review")
    assert ended.status_code == 401
    assert "Your session has ended" in ended.text


async def test_forms_from_another_site_are_refused_even_signing_in(api, flow, browser):
    case = await flow.notify()
    code = (await invite(api, flow, case))["code"]
    evil = await browser.post(f"{PAGES}/sign-in", data={"code": code}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert "set-cookie" not in evil.headers
    cross = await browser.post(f"{PAGES}/sign-in", data={"code": code}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    ours = await browser.post(
        f"{PAGES}/sign-in", data={"code": code},
        headers={"Origin": "https://testserver", "Sec-Fetch-Site": "same-origin"},
    )  # fmt: skip
    assert ours.status_code == 303  # the code was not used up by the refused attempts
    out = await browser.post(f"{PAGES}/sign-out", headers={"Sec-Fetch-Site": "cross-site"})
    assert out.status_code == 403
    assert (await browser.get(f"{PAGES}/review")).status_code == 200  # still signed in


async def test_signing_out_ends_the_session_on_the_server_and_says_the_code_still_works(api, flow, browser):
    case = await flow.notify()
    code = (await invite(api, flow, case))["code"]
    signed_in = await sign_in(browser, code)
    copied_cookie = signed_in.cookies[COOKIE]
    out = await browser.post(f"{PAGES}/sign-out")
    assert out.status_code == 303
    start = await browser.get(out.headers["location"])
    assert start.status_code == 200
    assert "You can come back at any time with the same code" in start.text
    assert (await browser.get(f"{PAGES}/review")).status_code == 401
    # A copy of the cookie (another tab, a shared computer) stops working too.
    browser.cookies.set(COOKIE, copied_cookie)
    replay = await browser.get(f"{PAGES}/review")
    assert replay.status_code == 401
    assert "Your session has ended" in replay.text  # the cookie was sent, and refused
    assert (await sign_in(browser, code)).status_code == 303


async def test_unknown_pages_answer_in_html_and_the_api_still_in_problem_json(api, browser):
    page = await browser.get(f"{PAGES}/nothing-here")
    assert page.status_code == 404
    assert "Page not found" in page.text
    api_404 = await api.get("/nothing-here")
    assert api_404.headers["content-type"] == "application/problem+json"


async def test_the_stylesheet_is_served_from_here(browser):
    css = await browser.get(f"{PAGES}/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "http" not in css.text  # nothing fetched from elsewhere


async def test_every_page_names_who_to_contact_and_the_review_page_shows_how(api, flow, browser, world):
    case = await flow.reach("completed")
    code = (await invite(api, flow, case))["code"]
    start = await browser.get(PAGES)
    assert "contact the local LeDeR team who gave you your code" in start.text  # no area known yet
    await sign_in(browser, code)
    before = await browser.get(f"{PAGES}/review")
    assert "please contact the LeDeR team at Area 15F." in before.text
    contact = {"email": "leder@leeds.example.nhs.uk", "phone": "0113 496 0000", "postal_address": "LeDeR team\nLS1 4HR"}
    saved = await api.put("/areas/15F/contact", json=contact, headers={**flow.coordinator.headers, "If-Match": '"0"'})
    assert saved.status_code == 200
    for path in ("/review", "/summary"):
        page = await browser.get(f"{PAGES}{path}")
        assert 'href="tel:+441134960000">0113 496 0000</a>' in page.text, path
        assert 'href="mailto:leder@leeds.example.nhs.uk"' in page.text, path
        assert "LeDeR team<br>LS1 4HR" in page.text, path
    rows = await world.audit_rows(action="family.review_read")
    assert rows and rows[-1].object_id == str(case.id)  # the page's read is audited
