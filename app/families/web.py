"""What the family pages share: templates, the session cookie, form tokens, and HTML answers to problems.

The pages are for bereaved relatives, not API clients: plain HTML forms that work without JavaScript,
a session cookie instead of a bearer header, and errors as pages in plain words.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.templating import Jinja2Templates

from app.auth.deps import ClockDep, TokensDep, authenticate, authorize
from app.auth.policy import Action
from app.core.clock import uk_date
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.errors import Forbidden, ProblemError
from app.reviews.service import Context

PREFIX = "/for-families"
COOKIE = "leder_family"
# Nothing from elsewhere, no scripts at all, and forms post only back here.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
STYLESHEET = (Path(__file__).parent / "templates" / "family.css").read_bytes()


def long_date(value: date | datetime) -> str:
    """17 September 2025; a moment is shown as its day in England."""
    day = uk_date(value) if isinstance(value, datetime) else value
    return f"{day.day} {day:%B %Y}"


templates.env.filters["long_date"] = long_date


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    response = templates.TemplateResponse(request, template, {"prefix": PREFIX, **context}, status_code=status_code)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # Our own forms then carry an Origin (with no-referrer, browsers send "Origin: null").
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def form_token_for(request: Request) -> str:
    """Tied to the session: a page of ours can post a form; another site cannot forge one."""
    key = request.app.state.settings.signing_key.encode()
    session_token = request.cookies.get(COOKIE, "")
    return hmac.new(key, b"family-form:" + session_token.encode(), hashlib.sha256).hexdigest()


class FormRefused(Forbidden):
    """A form post we cannot trust (no valid form token, or sent from another site)."""


def check_form_token(request: Request, submitted: str) -> None:
    same_site_only(request)
    if not hmac.compare_digest(form_token_for(request).encode(), submitted.encode()):
        raise FormRefused("The form could not be accepted. Please go back, reload the page and try again.")


def same_site_only(request: Request) -> None:
    """Refuse form posts another site's page sends, including sign-in and sign-out, which have no
    session to tie a form token to yet. Browsers say where a request came from in these headers."""
    fetch_site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if fetch_site is not None:  # modern browsers: decisive
        cross_site = fetch_site not in ("same-origin", "none")
    else:  # older ones: the Origin header, where sent ("null" from an opaque origin is not ours)
        cross_site = origin is not None and urlsplit(origin).netloc != request.headers.get("host")
    if cross_site:
        raise FormRefused("The form could not be accepted. Please go back, reload the page and try again.")


def set_session_cookie(response: Response, settings: Settings, token: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE, token, max_age=max_age, path=PREFIX, httponly=True, secure=settings.family_cookie_secure,
        samesite="strict",
    )  # fmt: skip


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, secure=settings.family_cookie_secure, samesite="strict")


def family_page(action: Action) -> Callable[..., Awaitable[Context]]:
    """Like `acting(action)`, but the family's token comes from the pages' session cookie."""

    async def build(request: Request, session: SessionDep, tokens: TokensDep, clock: ClockDep) -> Context:
        request.state.action = action
        token = request.cookies.get(COOKIE)
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token) if token else None
        principal = await authenticate(request, session, tokens, credentials)
        authorize(principal, action)
        return Context(principal, clock.now(), request.app.state.settings.sla_at_risk_days)

    build.leder_action = action  # type: ignore[attr-defined]  # read by the route-policy test
    return build


_PAGE_ERRORS = {
    403: (
        "This page is not available",
        "These pages are for families following a review. If you think you should see this page, please "
        "contact the local LeDeR team.",
    ),
    404: ("Page not found", "There is nothing at this address."),
    405: ("Page not found", "There is nothing at this address."),
    409: ("This could not be done", "Please contact the local team."),
    413: ("That was too long", "Please shorten what you wrote and try again."),
    422: ("Something was not right", "Please go back and check what you entered."),
}


def render_problem(request: Request, status: int, exc: Exception) -> Response | None:
    """The problem handlers' hook: on a family page, answer with a page in plain words."""
    if request.url.path != PREFIX and not request.url.path.startswith(PREFIX + "/"):
        return None
    settings: Settings = request.app.state.settings
    signed_in = COOKIE in request.cookies
    if status == 401:
        # "Ended" only for someone who had a session; a first visit just sees the start page.
        response = render(request, "start.html", 401, error=None, ended=signed_in)
        clear_session_cookie(response, settings)
        return response
    title, fallback = _PAGE_ERRORS.get(status, ("Sorry, something went wrong", "Please try again later."))
    # Details our family services raise are written for families; others (a 403's) are for API clients.
    written_for_families = status in (404, 409) or isinstance(exc, FormRefused)
    detail = exc.detail if isinstance(exc, ProblemError) else None
    said = detail if written_for_families and detail else fallback
    return render(request, "problem.html", status, title=title, detail=said, signed_in=signed_in)
