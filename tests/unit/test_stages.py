"""The stage table itself, checked against the domain model without HTTP."""

from __future__ import annotations

from app.auth.policy import Role
from app.notifications.enums import Stage
from app.reviews.stages import CLOSED_STAGES, OPEN_STAGES, TRANSITIONS, Move, next_stages

S = Stage

# domain.md, edge by edge (holds and exclusion from every open stage are added below).
WORKFLOW_EDGES = {
    (S.notified, S.allocated),
    (S.allocated, S.initial_review),
    (S.initial_review, S.awaiting_sign_off),
    (S.initial_review, S.focused_review),
    (S.focused_review, S.awaiting_sign_off),
    (S.awaiting_sign_off, S.completed),
    (S.awaiting_sign_off, S.initial_review),
    (S.awaiting_sign_off, S.focused_review),
}


def test_the_table_is_exactly_the_domain_model():
    holds = {(s, S.on_hold) for s in OPEN_STAGES - {S.on_hold}} | {(S.on_hold, s) for s in OPEN_STAGES - {S.on_hold}}
    exclusions = {(s, S.excluded) for s in OPEN_STAGES}
    assert set(TRANSITIONS) == WORKFLOW_EDGES | holds | exclusions


def test_who_takes_each_edge_written_out():
    # Allocation, holds and resuming are the coordinator's alone, even though their routes check the policy
    # table first: the stage table must not say otherwise.
    reviewer_moves = {(S.allocated, S.initial_review), (S.initial_review, S.focused_review)}
    reviewer_moves |= {(S.initial_review, S.awaiting_sign_off), (S.focused_review, S.awaiting_sign_off)}
    for edge, taken in TRANSITIONS.items():
        expected = {Role.reviewer} if edge in reviewer_moves else {Role.coordinator}
        assert taken.roles == expected, edge


def test_closed_stages_lead_nowhere():
    for stage in CLOSED_STAGES:
        assert next_stages(stage) == []


def test_reviewers_move_work_forward_and_coordinators_decide():
    assert next_stages(S.allocated, Role.reviewer) == [S.initial_review]
    assert next_stages(S.initial_review, Role.reviewer) == [S.focused_review, S.awaiting_sign_off]
    assert next_stages(S.awaiting_sign_off, Role.reviewer) == []
    assert next_stages(S.awaiting_sign_off, Role.coordinator) == [
        S.initial_review,
        S.focused_review,
        S.completed,
        S.on_hold,
        S.excluded,
    ]


def test_only_sending_back_and_excluding_need_a_reason():
    needing = {edge.move for edge in TRANSITIONS.values() if edge.needs_reason}
    assert needing == {Move.send_back, Move.exclude}


def test_moves_with_their_own_endpoint():
    own = {edge.move for edge in TRANSITIONS.values() if edge.own_endpoint}
    assert own == {Move.allocate, Move.hold, Move.resume}


def test_focused_review_reasons():
    from app.notifications.enums import EthnicCategory
    from app.reviews.focused import FocusedReviewReason as R
    from app.reviews.focused import focused_review_reasons

    assert focused_review_reasons(EthnicCategory.A, False) == []
    assert focused_review_reasons(EthnicCategory.B, False) == []  # White Irish: not a BAME group
    assert focused_review_reasons(EthnicCategory.Z, False) == []  # not stated
    assert focused_review_reasons(EthnicCategory.A, True) == [R.family_requested]
    assert focused_review_reasons(EthnicCategory.A, False, open_bias_flags=1) == [R.bias_flag]
    for code in "DEFGHJKLMNPRS":
        assert focused_review_reasons(EthnicCategory(code), False) == [R.minority_ethnic_background]


def test_every_history_kind_fits_its_column():
    # SQLite does not enforce VARCHAR lengths; PostgreSQL does. Catch a long name here, not in production.
    from app.reviews.models import KIND_MAX_LENGTH, HistoryKind

    assert all(len(kind.value) <= KIND_MAX_LENGTH for kind in HistoryKind)
