"""The review's state machine: one table of allowed transitions, and who may take each.

    notified -> allocated -> initial_review -> awaiting_sign_off -> completed
                             initial_review -> focused_review -> awaiting_sign_off
    awaiting_sign_off -> initial_review | focused_review   (sent back by the coordinator, with a reason)
    any open stage <-> on_hold                             (returns to the stage it left)
    any open stage -> excluded                             (with a reason)

Every other edge is refused. Allocation, holds and resuming have endpoints of their own, because they
carry more than a reason; they go through the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.auth.policy import Role
from app.notifications.enums import Stage

OPEN_STAGES = frozenset(
    {
        Stage.notified,
        Stage.allocated,
        Stage.initial_review,
        Stage.focused_review,
        Stage.awaiting_sign_off,
        Stage.on_hold,
    }
)
CLOSED_STAGES = frozenset({Stage.completed, Stage.excluded})
# Stages in which a reviewer is carrying the review.
ACTIVE_REVIEW_STAGES = frozenset(
    {Stage.allocated, Stage.initial_review, Stage.focused_review, Stage.awaiting_sign_off, Stage.on_hold}
)


class Move(StrEnum):
    """What an edge does, in words a coordinator would use; named in history and errors."""

    allocate = "allocate"
    start_initial_review = "start_initial_review"
    open_focused_review = "open_focused_review"
    submit_for_sign_off = "submit_for_sign_off"
    sign_off = "sign_off"
    send_back = "send_back"
    exclude = "exclude"
    hold = "hold"
    resume = "resume"


@dataclass(frozen=True)
class Edge:
    move: Move
    roles: frozenset[Role]
    needs_reason: bool = False
    # Moves with their own endpoint are refused on POST /transitions.
    own_endpoint: str | None = None


_COORDINATOR = frozenset({Role.coordinator})
_REVIEWER = frozenset({Role.reviewer})

TRANSITIONS: dict[tuple[Stage, Stage], Edge] = {
    (Stage.notified, Stage.allocated): Edge(Move.allocate, _COORDINATOR, own_endpoint="PUT /allocation"),
    (Stage.allocated, Stage.initial_review): Edge(Move.start_initial_review, _REVIEWER),
    (Stage.initial_review, Stage.focused_review): Edge(Move.open_focused_review, _REVIEWER),
    (Stage.initial_review, Stage.awaiting_sign_off): Edge(Move.submit_for_sign_off, _REVIEWER),
    (Stage.focused_review, Stage.awaiting_sign_off): Edge(Move.submit_for_sign_off, _REVIEWER),
    (Stage.awaiting_sign_off, Stage.completed): Edge(Move.sign_off, _COORDINATOR),
    (Stage.awaiting_sign_off, Stage.initial_review): Edge(Move.send_back, _COORDINATOR, needs_reason=True),
    (Stage.awaiting_sign_off, Stage.focused_review): Edge(Move.send_back, _COORDINATOR, needs_reason=True),
    **{(s, Stage.excluded): Edge(Move.exclude, _COORDINATOR, needs_reason=True) for s in OPEN_STAGES},
    **{
        (s, Stage.on_hold): Edge(Move.hold, _COORDINATOR, own_endpoint="POST /holds")
        for s in OPEN_STAGES - {Stage.on_hold}
    },
    **{
        (Stage.on_hold, s): Edge(Move.resume, _COORDINATOR, own_endpoint="POST /holds/{hold_id}/end")
        for s in OPEN_STAGES - {Stage.on_hold}
    },
}


def next_stages(current: Stage, role: Role | None = None, *, by_transition: bool = False) -> list[Stage]:
    """The stages reachable from `current`, for `role` if given, in a stable order.

    by_transition: only those reached through POST /transitions (not allocation or holds).
    """
    return sorted(
        (
            to
            for (frm, to), edge in TRANSITIONS.items()
            if frm == current and (role is None or role in edge.roles) and not (by_transition and edge.own_endpoint)
        ),
        key=list(Stage).index,
    )


def edge_for(current: Stage, to: Stage) -> Edge | None:
    return TRANSITIONS.get((current, to))
