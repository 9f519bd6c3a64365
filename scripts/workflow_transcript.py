"""Write docs/workflow-transcript.md: one fictional notification from notified to completed, with a hold,
through the HTTP API, showing the SLA arithmetic at each step. Rerun: .venv/bin/python scripts/workflow_transcript.py
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.areas.schemas import AreaCreate  # noqa: E402
from app.areas.service import create_area  # noqa: E402
from app.auth.policy import Role  # noqa: E402
from app.auth.service import issue_user_token  # noqa: E402
from app.core.clock import FrozenClock  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.migrations import upgrade_to_head  # noqa: E402
from app.main import create_app  # noqa: E402
from app.users.schemas import UserCreate  # noqa: E402
from app.users.service import create_user  # noqa: E402

NOTIFICATION = {
    "area_ods": "15F",
    "person": {
        "nhs_number": "999 000 0018",
        "given_name": "Joan",
        "family_name": "Example",
        "date_of_birth": "1968-04-02",
        "sex": "female",
        "ethnic_category": "A",
        "learning_disability_level": "severe",
        "autism": False,
    },
    "death": {
        "date_of_death": "2024-08-29",
        "place_of_death": "hospital",
        "cause_of_death": {"part_1": [{"text": "Aspiration pneumonia", "icd10": "J69.0"}]},
        "other_processes": ["coroner_investigation"],
    },
    "notifier": {
        "name": "Sam Officer",
        "role": "Medical examiner officer",
        "organisation": "Demo Teaching Hospitals NHS Trust",
        "contact": "me.office@leder-demo.org.uk",
    },
}


FINDINGS = {
    "pen_portrait": "Joan loved music, her sister's visits and Saturday trips to the market.",
    "initial_review_evidence": {
        "family_or_carer_spoken_to_on": "2025-01-14",
        "gp_records_seen_on": "2025-01-20",
        "other_professional_spoken_to_on": "2025-02-03",
    },
    "grade": 3,
    "potentially_avoidable": False,
    "learning_points": ["Swallowing assessments were delayed at the weekend."],
}


class Transcript:
    def __init__(self, api: httpx.AsyncClient, clock: FrozenClock) -> None:
        self.api, self.clock, self.lines = api, clock, ["# One review, notified to completed, with a hold", ""]
        self.etag = ""

    async def call(
        self,
        title: str,
        at: str,
        who: tuple[str, str],
        method: str,
        path: str,
        body: Any = None,
        if_match: str | None = None,
    ) -> Any:
        """One request. Writes send the notification's ETag, or `if_match` for another resource's."""
        self.clock.set(datetime.fromisoformat(at).replace(tzinfo=UTC))
        name, token = who
        headers = {"Authorization": f"Bearer {token}"}
        if method in ("PUT", "POST") and path != "/notifications":
            headers["If-Match"] = if_match or self.etag
        response = await self.api.request(method, path, json=body, headers=headers)
        if "etag" in response.headers and if_match is None:
            self.etag = response.headers["etag"]
        shown_request = f"{method} {path}" + (f"\nIf-Match: {headers['If-Match']}" if "If-Match" in headers else "")
        if body is not None:
            shown_request += "\n\n" + json.dumps(body, indent=2)
        self.lines += [f"## {title}", "", f"{at} UTC, as the {name}:", "", "```http", shown_request, "```", ""]
        result = response.json()
        shown = _summary(result) if isinstance(result, dict) and "stage" in result else result
        etag = f"\nETag: {response.headers['etag']}" if "etag" in response.headers else ""
        self.lines += ["```http", f"HTTP/1.1 {response.status_code}{etag}", "", json.dumps(shown, indent=2), "```", ""]
        assert response.status_code < 300, response.text
        return result


def _summary(notification: dict[str, Any]) -> dict[str, Any]:
    """The parts of the notification that change along the way (the person's details do not)."""
    keep = ("id", "stage", "reviewer_id", "version", "notified_on", "hold", "sla")
    out = {k: notification[k] for k in keep if k in notification}
    if out.get("hold"):
        out["hold"] = {k: out["hold"][k] for k in ("reason", "reference", "started_on", "expected_end_on")}
    return out


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        # A throwaway key for a throwaway database that lives only while this script runs.
        settings = Settings(data_dir=Path(scratch), secret_key=secrets.token_urlsafe(48), log_level="WARNING")
        upgrade_to_head(settings, quiet=True)
        clock = FrozenClock(datetime(2024, 9, 2, 8, 0, tzinfo=UTC))
        app = create_app(settings, clock)
        tokens = app.state.tokens
        async with app.state.sessionmaker() as session:
            await create_area(session, AreaCreate(ods_code="15F", name="NHS Leeds CCG"), clock.now())
            coordinator = await create_user(
                session,
                UserCreate(role=Role.coordinator, area_ods="15F", name="C", email="c@leder-demo.org.uk"),
                clock.now(),
            )
            reviewer = await create_user(
                session,
                UserCreate(role=Role.reviewer, area_ods="15F", name="R", email="r@leder-demo.org.uk"),
                clock.now(),
            )
            await session.commit()
        clock.set(datetime(2024, 8, 30, tzinfo=UTC))
        long = timedelta(days=300)  # the walk spans months; tokens here outlive it (max TTL raised below)
        settings.token_max_ttl_seconds = int(long.total_seconds())
        c = ("coordinator", issue_user_token(tokens, coordinator, long))
        r = ("reviewer", issue_user_token(tokens, reviewer, long))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://leder") as api:
            t = Transcript(api, clock)
            n = await t.call(
                "1. The death is notified", "2024-09-02T08:00:00", c, "POST", "/notifications", NOTIFICATION
            )
            base = f"/notifications/{n['id']}"
            await t.call(
                "2. The coordinator allocates a reviewer", "2024-09-04T10:00:00", c, "PUT", f"{base}/allocation",
                {"reviewer_id": str(reviewer.id)},
            )  # fmt: skip
            await t.call(
                "3. The reviewer starts the initial review", "2024-09-09T09:30:00", r, "POST", f"{base}/transitions",
                {"to": "initial_review"},
            )  # fmt: skip
            held = await t.call(
                "4. The coroner opens an inquest: the review goes on hold", "2024-10-01T14:00:00", c, "POST",
                f"{base}/holds",
                {"reason": "coroner_investigation", "reference": "Inquest 2024/0917", "expected_end_on": "2024-12-31"},
            )  # fmt: skip
            await t.call("5. The clock while on hold", "2024-11-15T09:00:00", c, "GET", f"{base}/sla")
            await t.call(
                "6. The inquest concludes: the hold ends", "2024-12-02T11:00:00", c, "POST",
                f"{base}/holds/{held['hold']['id']}/end",
            )  # fmt: skip
            await t.call(
                "7. The reviewer records the findings", "2025-02-24T15:00:00", r, "PUT", f"{base}/findings",
                FINDINGS, if_match='"0"',
            )  # fmt: skip
            await t.call(
                "8. The reviewer submits for sign-off", "2025-02-24T16:00:00", r, "POST", f"{base}/transitions",
                {"to": "awaiting_sign_off"},
            )  # fmt: skip
            await t.call(
                "9. The coordinator signs off", "2025-03-10T10:00:00", c, "POST", f"{base}/transitions",
                {"to": "completed"},
            )  # fmt: skip
            await t.call("10. The arithmetic, finally", "2025-03-10T10:05:00", c, "GET", f"{base}/sla")
            await t.call("11. The timeline", "2025-03-10T10:06:00", c, "GET", f"{base}/history")
        await app.state.engine.dispose()
    target = ROOT / "docs" / "workflow-transcript.md"
    target.write_text("\n".join(t.lines) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    asyncio.run(main())
