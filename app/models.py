"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from app.actions.models import PlanAction, PlanActionTheme, PlanActionUpdate, ReviewTheme
from app.areas.models import Area
from app.audit.models import AuditEvent
from app.auth.models import IntegratorClient
from app.core.rate_limits import RateLimitEvent
from app.events.models import OutboxEvent
from app.families.models import FamilyInvitation, FamilyMessage, FamilySummary
from app.findings.models import FindingsRecord, FindingsVersion
from app.flags.models import BiasFlag
from app.idempotency.models import IdempotencyRecord
from app.notifications.models import Notification
from app.reports.models import AreaPopulation
from app.reviewers.models import ReviewerProfile
from app.reviews.models import HistoryEntry, Hold, StageSpan
from app.users.models import StaffUser
from app.webhooks.models import FeedPosition, WebhookDelivery, WebhookEndpoint
from app.worker.models import SlaAlert, WorkerLease

__all__ = [
    "Area",
    "AreaPopulation",
    "AuditEvent",
    "BiasFlag",
    "FamilyInvitation",
    "FamilyMessage",
    "FamilySummary",
    "FeedPosition",
    "FindingsRecord",
    "FindingsVersion",
    "HistoryEntry",
    "Hold",
    "IdempotencyRecord",
    "IntegratorClient",
    "Notification",
    "OutboxEvent",
    "PlanAction",
    "PlanActionTheme",
    "PlanActionUpdate",
    "RateLimitEvent",
    "ReviewTheme",
    "ReviewerProfile",
    "SlaAlert",
    "StaffUser",
    "StageSpan",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkerLease",
]
