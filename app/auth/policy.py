"""Who may do what: roles, actions and scopes are data, and this is the one table that joins them.

Every route names one action; `app.auth.deps.allow(action)` enforces the row. A route without an
action fails the route-policy test, so nothing is reachable by accident.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    coordinator = "coordinator"
    reviewer = "reviewer"
    family = "family"
    integrator = "integrator"
    national = "national"
    admin = "admin"


STAFF_ROLES = frozenset({Role.coordinator, Role.reviewer, Role.national, Role.admin})
AREA_ROLES = frozenset({Role.coordinator, Role.reviewer})  # staff who belong to one area


class Scope(StrEnum):
    """What an integrator client may be granted; each grant also names the areas it covers."""

    notifications_write = "notifications:write"
    notifications_read = "notifications:read"
    events_read = "events:read"
    webhooks_manage = "webhooks:manage"
    actions_read = "actions:read"  # action.* events in the feed and on webhooks
    # Beyond the minimised view of notifications:read, each granted on its own (app/notifications/views.py,
    # app/events/views.py; docs/integrators.md "Scopes").
    notifications_dates = "notifications:dates"  # days instead of months
    notifications_identity = "notifications:identity"  # the person, their dates of birth and death, the notifier
    notifications_clinical = "notifications:clinical"  # cause of death, DNACPR, flags with their evidence
    notifications_review = "notifications:review"  # the reviewer, holds with reason and reference


class Action(StrEnum):
    notification_create = "notification.create"
    notification_read = "notification.read"
    reviewer_manage = "reviewer.manage"
    allocation_manage = "allocation.manage"
    review_transition = "review.transition"
    hold_manage = "hold.manage"
    focused_review_waive = "focused_review.waive"
    history_read = "history.read"
    sla_explain = "sla.explain"
    flag_dismiss = "flag.dismiss"
    family_invitations_manage = "family.invitations_manage"
    family_review_read = "family.review_read"
    family_sign_out = "family.sign_out"
    family_focused_review_request = "family.focused_review_request"
    family_message_send = "family.message_send"
    family_message_read = "family.message_read"
    family_summary_choose = "family.summary_choose"
    family_summary_read = "family.summary_read"
    family_summary_manage = "family.summary_manage"
    concern_manage = "concern.manage"
    findings_read = "findings.read"
    findings_write = "findings.write"
    area_read = "area.read"
    area_manage = "area.manage"
    area_contact_manage = "area.contact_manage"
    user_manage = "user.manage"
    events_read = "events.read"
    webhooks_manage = "webhooks.manage"
    audit_read = "audit.read"
    reports_read = "reports.read"
    population_manage = "population.manage"
    action_read = "action.read"
    action_manage = "action.manage"
    themes_read = "themes.read"


POLICY: dict[Action, frozenset[Role]] = {
    Action.notification_create: frozenset({Role.coordinator, Role.integrator}),
    # Reviewers may call the route but see only what is allocated to them (nothing until allocation).
    Action.notification_read: frozenset({Role.coordinator, Role.reviewer, Role.national, Role.integrator}),
    Action.reviewer_manage: frozenset({Role.coordinator}),
    Action.allocation_manage: frozenset({Role.coordinator}),
    # Which edge each role may take is the stage table's business (app.reviews.stages).
    Action.review_transition: frozenset({Role.coordinator, Role.reviewer}),
    Action.hold_manage: frozenset({Role.coordinator}),
    Action.focused_review_waive: frozenset({Role.coordinator}),
    Action.history_read: frozenset({Role.coordinator, Role.reviewer}),
    # Exact dates and hold reasons: not for national oversight, whose view stays at months.
    Action.sla_explain: frozenset({Role.coordinator, Role.reviewer}),
    Action.flag_dismiss: frozenset({Role.coordinator}),
    Action.family_invitations_manage: frozenset({Role.coordinator}),
    Action.family_review_read: frozenset({Role.family}),
    Action.family_sign_out: frozenset({Role.family}),
    Action.family_focused_review_request: frozenset({Role.family}),
    Action.family_message_send: frozenset({Role.family}),
    Action.family_message_read: frozenset({Role.family}),
    Action.family_summary_choose: frozenset({Role.family}),
    Action.family_summary_read: frozenset({Role.family}),  # only once complete, asked for and released
    Action.family_summary_manage: frozenset({Role.coordinator}),
    Action.concern_manage: frozenset({Role.coordinator, Role.reviewer}),
    Action.findings_read: frozenset({Role.coordinator, Role.reviewer}),
    Action.findings_write: frozenset({Role.reviewer}),  # the reviewer allocated (object-level check)
    Action.area_read: frozenset(STAFF_ROLES | {Role.integrator}),
    Action.area_manage: frozenset({Role.admin}),
    Action.area_contact_manage: frozenset({Role.admin, Role.coordinator}),  # coordinators: their own area
    Action.user_manage: frozenset({Role.admin}),
    Action.events_read: frozenset({Role.integrator}),  # limited to the client's areas
    Action.webhooks_manage: frozenset({Role.integrator}),  # their own endpoints only
    Action.audit_read: frozenset({Role.admin, Role.coordinator}),  # coordinators: their own area's rows
    # Coordinators see their own area as it is; national and admin see every area, disclosure-controlled.
    Action.reports_read: frozenset({Role.coordinator, Role.national, Role.admin}),
    # Each area's population with a learning disability by ethnic group: reference data for the annual report.
    Action.population_manage: frozenset({Role.admin}),
    # The plan's text can name people and providers: the area's coordinator, and reviewers for their own
    # reviews' actions. National oversight gets counts and themes only (themes_read, the dashboard).
    Action.action_read: frozenset({Role.coordinator, Role.reviewer}),
    Action.action_manage: frozenset({Role.coordinator}),
    Action.themes_read: frozenset({Role.coordinator, Role.national, Role.admin}),
}

# An integrator needs this scope for the action, on top of the role being allowed.
INTEGRATOR_SCOPE: dict[Action, Scope | None] = {
    Action.notification_create: Scope.notifications_write,
    Action.notification_read: Scope.notifications_read,
    Action.area_read: None,
    Action.events_read: Scope.events_read,
    Action.webhooks_manage: Scope.webhooks_manage,
}

# Reads that leave no audit row: reference data about areas, not about a case or a person. Every other read is
# audited whether or not its route records it (app.audit.service.audit_read), and tests/test_every_read_is_audited.py
# proves it route by route.
UNAUDITED_READS: frozenset[Action] = frozenset({Action.area_read, Action.population_manage})
