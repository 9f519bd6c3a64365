"""The family pages: enter the code, follow the review, raise a concern, ask for a focused review,
choose to receive the summary and read it. Server-rendered forms; no JavaScript needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from app.audit import service as audit
from app.auth.deps import ClockDep, TokensDep
from app.auth.policy import Action
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.families import service
from app.families.schemas import MessageCreate
from app.families.web import (
    COOKIE,
    PREFIX,
    STYLESHEET,
    check_form_token,
    clear_session_cookie,
    family_page,
    form_token_for,
    render,
    same_site_only,
    set_session_cookie,
)
from app.families.words import DONE_WORDS, STEP_OF_STAGE, STEPS
from app.notifications.enums import Stage
from app.reviews.service import Context

router = APIRouter(prefix=PREFIX, include_in_schema=False)

# Where an error summary's link takes the reader: the field itself, or a group's first choice.
ERROR_ANCHORS = {"kind": "kind-concern", "text": "text", "wants_summary": "wants-yes"}

Reader = Annotated[Context, Depends(family_page(Action.family_review_read))]
Sender = Annotated[Context, Depends(family_page(Action.family_message_send))]
Requester = Annotated[Context, Depends(family_page(Action.family_focused_review_request))]
Chooser = Annotated[Context, Depends(family_page(Action.family_summary_choose))]
SummaryReader = Annotated[Context, Depends(family_page(Action.family_summary_read))]
FormToken = Annotated[str, Form(pattern=r"^[0-9a-f]{64}$")]


def _see_review(done: str) -> RedirectResponse:
    # Post, then redirect: reloading the page does not send the form twice.
    return RedirectResponse(f"{PREFIX}/review?done={done}", status_code=303)


@router.get("")
async def start_page(request: Request, signed_out: bool = False) -> Response:
    return render(request, "start.html", error=None, signed_out=signed_out)


@router.post("/sign-in")
async def sign_in(
    request: Request, session: SessionDep, tokens: TokensDep, clock: ClockDep, code: Annotated[str, Form()] = ""
) -> Response:
    same_site_only(request)
    code = code.strip()
    if not code:
        return render(request, "start.html", 422, error="Enter the code from your invitation.")
    settings = request.app.state.settings
    client = request.client.host if request.client else "unknown"
    result = await service.start_session(session, tokens, settings, code[:64], client, clock.now())
    if result.retry_after is not None:
        minutes = -(-result.retry_after // 60)  # rounded up
        wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
        error = f"Too many codes were tried. Please wait {wait} and try again."
        response = render(request, "start.html", 429, error=error)
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    if result.token is None:
        error = "That code did not work. Check it, or ask the local team for a new one."
        return render(request, "start.html", 401, error=error)
    response = RedirectResponse(f"{PREFIX}/review", status_code=303)
    set_session_cookie(response, settings, result.token, result.expires_in)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: SessionDep, tokens: TokensDep, clock: ClockDep) -> Response:
    same_site_only(request)
    # The session ends on the server too, at once: a copy of the cookie no longer works.
    await service.sign_out_token(session, tokens, request.cookies.get(COOKIE), clock.now())
    response = RedirectResponse(f"{PREFIX}?signed_out=true", status_code=303)
    clear_session_cookie(response, request.app.state.settings)
    return response


async def _review_page(
    request: Request, ctx: Context, session: SessionDep, status_code: int = 200, **form: object
) -> Response:
    review = await service.review_for(session, ctx.principal, ctx)
    messages = await service.own_messages(session, ctx.principal)
    await audit.record(
        session, principal=ctx.principal, action=Action.family_review_read.value, outcome="allowed", at=ctx.now,
        object_type="notification", object_ids=[str(ctx.principal.notification_id)],
    )  # fmt: skip
    return render(
        request, "review.html", status_code,
        review=review, messages=messages, steps=STEPS, step=STEP_OF_STAGE.get(Stage(review.stage)),
        open=review.stage not in (Stage.completed, Stage.excluded),
        form_token=form_token_for(request), anchors=ERROR_ANCHORS, team=review.team, team_contact=review.team_contact,
        contact_above=True,
        acknowledge_days=request.app.state.settings.concern_acknowledgement_working_days,
        **form,
    )  # fmt: skip


@router.get("/review")
async def review_page(request: Request, ctx: Reader, session: SessionDep, done: str | None = None) -> Response:
    # "No" is shown chosen only just after choosing it; before any choice neither answer is marked.
    return await _review_page(request, ctx, session, done=DONE_WORDS.get(done or ""), chose_no=done == "summary_no")


@router.post("/messages")
async def send_message(
    request: Request,
    ctx: Sender,
    session: SessionDep,
    form_token: FormToken,
    kind: Annotated[str, Form(max_length=20)] = "",
    text: Annotated[str, Form(max_length=10000)] = "",
) -> Response:
    check_form_token(request, form_token)
    try:
        message = MessageCreate.model_validate({"kind": kind, "text": text})
    except ValidationError as exc:
        fields = {str(e["loc"][0]) for e in exc.errors()}
        errors = {}
        if "kind" in fields:
            errors["kind"] = "Choose whether this is a concern or something that went well."
        if "text" in fields:
            errors["text"] = "Write what you would like to tell us, in up to 5,000 characters."
        return await _review_page(request, ctx, session, 422, errors=errors, kind=kind, text=text)
    days = request.app.state.settings.concern_acknowledgement_working_days
    await service.send_message(session, ctx.principal, ctx, message, days)
    return _see_review(message.kind.value)


@router.post("/focused-review")
async def ask_for_focused_review(
    request: Request, ctx: Requester, session: SessionDep, form_token: FormToken
) -> Response:
    check_form_token(request, form_token)
    await service.request_focused_review(session, ctx.principal, ctx)
    return _see_review("focused")


@router.post("/summary-preference")
async def choose_summary(
    request: Request, ctx: Chooser, session: SessionDep, form_token: FormToken,
    wants_summary: Annotated[str, Form(max_length=5)] = "",
) -> Response:  # fmt: skip
    check_form_token(request, form_token)
    if wants_summary not in ("yes", "no"):
        errors = {"wants_summary": "Choose yes or no."}
        return await _review_page(request, ctx, session, 422, errors=errors)
    await service.choose_summary(session, ctx.principal, ctx, wants_summary == "yes")
    return _see_review(f"summary_{wants_summary}")


@router.get("/summary")
async def summary_page(request: Request, ctx: SummaryReader, session: SessionDep) -> Response:
    team, team_contact = await service.family_team(session, ctx.principal)
    try:
        summary = await service.summary_for_family(session, ctx)
    except NotFound:
        # Not "page not found": the page is real, the summary just is not there to read yet.
        return render(request, "not-ready.html", 404, team=team, team_contact=team_contact)
    return render(request, "summary.html", summary=summary, team=team, team_contact=team_contact)


@router.get("/style.css")
async def stylesheet() -> Response:
    return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})
