"""The action plan's rules without HTTP: themes a review raised, what an update needs, what is overdue."""

from __future__ import annotations

from datetime import date

import pytest

from app.actions.rules import ALL_THEMES, is_overdue, themes_of, update_problems
from app.findings.schemas import ActionStatus, Findings

DUE = date(2025, 6, 30)


def problems(current: ActionStatus = ActionStatus.planned, **change) -> set[str]:
    change.setdefault("to_status", None)
    change.setdefault("due_on", None)
    change.setdefault("due_on_reason", None)
    change.setdefault("note", "Progress")
    return {p.field for p in update_problems(current, DUE, **change)}


def test_completed_needs_a_note_saying_what_was_done():
    assert problems(to_status=ActionStatus.completed, note="  ") == {"note"}
    assert problems(to_status=ActionStatus.completed, note="Pathway live") == set()


def test_not_achieved_needs_a_reason():
    found = update_problems(ActionStatus.in_progress, DUE, to_status=ActionStatus.not_achieved, due_on=None,
                            due_on_reason=None, note="")  # fmt: skip
    assert [(p.field, "why" in p.message) for p in found] == [("note", True)]


def test_moving_the_due_date_needs_a_reason_and_a_reason_needs_a_move():
    assert problems(due_on=date(2025, 9, 30)) == {"due_on_reason"}
    assert problems(due_on=date(2025, 9, 30), due_on_reason="Board in September") == set()
    assert problems(due_on=DUE) == set()  # the same date is no move
    assert problems(due_on_reason="Because") == {"due_on_reason"}


@pytest.mark.parametrize("finished", [ActionStatus.completed, ActionStatus.not_achieved])
def test_a_finished_action_is_not_reopened(finished):
    assert problems(finished, to_status=ActionStatus.in_progress) == {"status"}


def test_a_note_alone_is_a_progress_update():
    assert problems(ActionStatus.in_progress) == set()


@pytest.mark.parametrize(
    ("status", "due_on", "overdue"),
    [
        ("planned", date(2025, 7, 1), True),
        ("in_progress", date(2025, 7, 1), True),
        ("planned", date(2025, 7, 2), False),  # due today: not yet late
        ("completed", date(2025, 1, 1), False),
        ("not_achieved", date(2025, 1, 1), False),
    ],
)
def test_overdue_is_past_due_and_unfinished(status, due_on, overdue):
    assert is_overdue(status, due_on, date(2025, 7, 2)) is overdue


def test_themes_of_a_review():
    findings = Findings.model_validate({
        "grade": 4,
        "contributory_factors": ["gaps_in_service_provision"],
        "dnacpr": {"in_place": True, "appropriate": False},
        "mental_capacity_act_applied": False,
    })  # fmt: skip
    themes = themes_of(findings, ["learning_disability_as_cause_of_death", "not_a_kind"])
    assert themes == [
        "bias_flag.learning_disability_as_cause_of_death",
        "contributory_factor.gaps_in_service_provision",
        "dnacpr",
        "grade_4_to_6",
        "mental_capacity_act",
    ]
    assert set(themes) <= set(ALL_THEMES)


def test_a_good_review_raises_no_theme():
    findings = Findings.model_validate({"grade": 2, "dnacpr": {"in_place": True, "appropriate": True}})
    assert themes_of(findings, []) == []


def test_webhooks_carry_action_events_only_for_clients_with_actions_read():
    from datetime import UTC, datetime

    from app.events.models import OutboxEvent
    from app.webhooks.fanout import _wants
    from app.webhooks.models import WebhookEndpoint

    at = datetime(2025, 3, 17, tzinfo=UTC)
    endpoint = WebhookEndpoint(
        client_id="c", url="https://x.example", event_types=[], areas=[], secret="s", created_at=at
    )
    action = OutboxEvent(type="action.overdue", occurred_at=at, area_ods="15F", payload={})
    stage = OutboxEvent(type="notification.stage_changed", occurred_at=at, area_ods="15F", payload={})
    areas = frozenset({"15F"})
    assert _wants(endpoint, areas, action, hears_actions=True)
    assert not _wants(endpoint, areas, action, hears_actions=False)
    assert _wants(endpoint, areas, stage, hears_actions=False)
