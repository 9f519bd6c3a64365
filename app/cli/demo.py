"""A small demo data set: three areas, their staff, an integrator and a dozen fictional deaths.

Every person here is invented. NHS numbers are from the 999 range, which the NHS never issues.
"""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.areas.models import Area
from app.areas.schemas import AreaCreate
from app.areas.service import create_area
from app.auth.policy import Role, Scope
from app.auth.service import Principal, create_client, issue_user_token
from app.auth.tokens import TokenService
from app.core.clock import SystemClock, uk_date
from app.core.config import Settings
from app.families.schemas import InvitationCreate
from app.families.service import invite
from app.notifications.schemas import NotificationCreate
from app.notifications.service import create_notification
from app.reviews.service import Context
from app.users.schemas import UserCreate
from app.users.service import create_user

AREAS = [
    ("15F", "NHS Leeds CCG", "North East and Yorkshire"),
    ("14L", "NHS Manchester CCG", "North West"),
    ("36L", "NHS South West London CCG", "London"),
]
GIVEN = {
    "female": ["Aisha", "Grace", "Joan", "Mary", "Priya", "Zara"],
    "male": ["Daniel", "Imran", "Kwame", "Liam", "Tom", "Wei"],
}
FAMILY = ["Adeyemi", "Brown", "Clarke", "Hussain", "Jones", "Khan", "Murphy", "Patel", "Smith", "Taylor"]
CAUSES = [
    [("Aspiration pneumonia", "J69.0"), ("Dysphagia", "R13")],
    [("Sepsis", "A41.9"), ("Urinary tract infection", "N39.0")],
    [("Bronchopneumonia", "J18.0"), ("Epilepsy", "G40.9")],
    [("Myocardial infarction", "I21.9")],
    [("Bowel obstruction", "K56.6"), ("Constipation", "K59.0")],
]


def demo_nhs_number(rng: random.Random) -> str:
    while True:
        body = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        check = 11 - sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
        if check != 10:
            return body + str(0 if check == 11 else check)


async def load_demo(session: AsyncSession, settings: Settings, *, if_empty: bool) -> list[str]:
    has_data = (await session.exec(select(Area.ods_code).limit(1))).first() is not None
    if has_data and if_empty:
        return ["demo: the database already has data; nothing loaded"]
    now = SystemClock().now()
    today = uk_date(now)
    rng = random.Random(2019)  # noqa: S311  (made-up demo data, not security)
    lines = ["Demo data loaded. Tokens last 8 hours; use them as 'Authorization: Bearer <token>'.", ""]
    tokens = TokenService(settings, SystemClock())

    for ods, name, region in AREAS:
        if await session.get(Area, ods) is None:
            await create_area(session, AreaCreate(ods_code=ods, name=name, region=region), now)

    staff = [
        (Role.coordinator, "15F", "Demo Coordinator (Leeds)"),
        (Role.reviewer, "15F", "Demo Reviewer (Leeds)"),
        (Role.coordinator, "14L", "Demo Coordinator (Manchester)"),
        (Role.national, None, "Demo National Oversight"),
        (Role.admin, None, "Demo Administrator"),
    ]
    coordinators: dict[str, Principal] = {}
    suffix = secrets.token_hex(3)  # demo users' emails must not clash when the demo is loaded twice
    for role, area, name in staff:
        email = f"{role.value}.{area or 'england'}.{suffix}@leder-demo.org.uk".lower()
        user = await create_user(session, UserCreate(role=role, area_ods=area, name=name, email=email), now)
        token = issue_user_token(tokens, user, timedelta(hours=8))
        lines += [f"{name}: user {user.id}", f"  token: {token}"]
        if role is Role.coordinator and area:
            coordinators[area] = Principal(subject=f"user:{user.id}", role=role, area=area, user_id=user.id)

    client, secret = await create_client(
        session,
        "Demo medical examiner office",
        [Scope.notifications_write, Scope.notifications_read],
        ["15F"],
        now,
    )
    lines += ["", f"Integrator: client_id={client.client_id} client_secret={secret}", ""]

    for index in range(12):
        area = "15F" if index < 8 else "14L"
        died = today - timedelta(days=rng.randrange(5, 200))
        born = date(died.year - rng.randrange(19, 80), rng.randrange(1, 13), rng.randrange(1, 29))
        causes = rng.choice(CAUSES)
        sex = rng.choice(["female", "male"])
        body = NotificationCreate.model_validate(
            {
                "area_ods": area,
                "notified_on": (died + timedelta(days=rng.randrange(1, 5))).isoformat(),
                "person": {
                    "nhs_number": demo_nhs_number(rng),
                    "given_name": rng.choice(GIVEN[sex]),
                    "family_name": rng.choice(FAMILY),
                    "date_of_birth": born.isoformat(),
                    "sex": sex,
                    "ethnic_category": rng.choice("AAAAABCHJKMNRSZ"),
                    "learning_disability_level": rng.choice(["mild", "moderate", "severe", "profound_and_multiple"]),
                    "autism": rng.random() < 0.3,
                    "lived_alone": rng.random() < 0.2,
                },
                "death": {
                    "date_of_death": died.isoformat(),
                    "place_of_death": rng.choice(["hospital", "hospital", "home", "care_home", "hospice"]),
                    "cause_of_death": {"part_1": [{"text": t, "icd10": c} for t, c in causes]},
                    "dnacpr": {"in_place": rng.random() < 0.4},
                },
                "notifier": {
                    "name": "Demo Notifier",
                    "role": "Medical examiner officer",
                    "organisation": "Demo Teaching Hospitals NHS Trust",
                    "contact": "mortality.team@leder-demo.org.uk",
                },
            }
        )
        body.notified_on = min(body.notified_on or today, today)
        created = await create_notification(session, coordinators[area], body, now)
        if index == 0:
            first = created.notification
    lines.append("12 fictional notifications recorded in 15F and 14L.")

    ctx = Context(coordinators["15F"], now, settings.sla_at_risk_days)
    invitation = InvitationCreate.model_validate(
        {"name": "Demo Relative", "relationship": "sister", "contact_preference": "email",
         "contact": "relative@leder-demo.org.uk"}
    )  # fmt: skip
    _, code = await invite(session, ctx, first, invitation)
    lines += ["", f"A family invitation code for the family pages at /for-families (use it each time): {code}"]
    return lines
