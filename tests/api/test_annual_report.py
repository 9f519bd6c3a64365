"""The area's annual report over a small population built through the API, every figure asserted exactly.

Leeds (15F), 2019. Ten deaths in scope, notified from 1 January to 31 December, and around them what must not
count: an out-of-scope death (age 2) notified in 2019, a death notified in November 2018 whose review was
completed in 2018, one notified on 2 January 2020, and one in Manchester (14L). Four reviews are completed in
June 2019, with findings chosen so that every breakdown has something in it.

| # | sex    | age | place     | ethnic | underlying cause      | notified   | also                                 |
|---|--------|-----|-----------|--------|-----------------------|------------|--------------------------------------|
| 1 | female | 50  | hospital  | A      | Aspiration pneumonia  | 2019-01-01 | completed, grade 1                   |
| 2 | female | 55  | hospital  | A      | aspiration pneumonia  | 2019-02-10 | completed, grade 2                   |
| 3 | female | 60  | home      | A      | Sepsis                | 2019-03-05 | completed, grade 4                   |
| 4 | female | 70  | home      | B      | Sepsis                | 2019-04-01 | completed, grade 5                   |
| 5 | female | 80  | care_home | H      | Epilepsy              | 2019-04-15 | family invited twice, raised concern |
| 6 | female | 90  | hospital  | Z      | Learning disability   | 2019-05-01 | flag: LD as cause of death           |
| 7 | male   | 40  | hospital  | A      | Aspiration pneumonia  | 2019-05-10 | flag: LD as DNACPR reason; invited   |
| 8 | male   | 58  | care_home | A      | Epilepsy              | 2019-05-20 | flag: DNACPR reason, dismissed       |
| 9 | male   | 62  | home      | N      | Myocardial infarction | 2019-05-31 | invited; family asked focused review |
| 10| male   | 75  | hospital  | A      | Sepsis                | 2019-12-31 |                                      |
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import escape as html_escape
from typing import Any

import pytest

from app.auth.policy import Role, Scope
from tests.api.test_families import invite, session_for
from tests.factories import DELETE, notification_body
from tests.workflow import Case, Flow

POPULATION_CSV = "ethnic_category,count\nA,150\nC,30\nD,40\nH,60\nN,540\nS,80\nZ,100\n"


def _findings(grade: int, **extra: Any) -> dict[str, Any]:
    return {
        "pen_portrait": "Loved music and Saturday trips to the market.",
        "initial_review_evidence": {
            "family_or_carer_spoken_to_on": "2019-06-01",
            "gp_records_seen_on": "2019-06-01",
            "other_professional_spoken_to_on": "2019-06-01",
        },
        "grade": grade,
        **extra,
    }


FINDINGS = [
    _findings(
        1,
        potentially_avoidable=False,
        mental_capacity_act_applied=True,
        mccd_accurate=True,
        dnacpr={"in_place": True, "appropriate": True, "correctly_completed": True},
    ),
    _findings(
        2,
        potentially_avoidable=False,
        mental_capacity_act_applied=True,
        mccd_accurate=False,
        dnacpr={"in_place": True, "appropriate": True, "correctly_completed": False},
        contributory_factors=["delays_in_diagnosis_or_treatment"],
        actions=[{"what": "Audit sepsis screening", "owner_organisation": "Trust", "due_on": "2019-12-01"}],
    ),
    _findings(
        4,
        potentially_avoidable=True,
        mental_capacity_act_applied=False,
        contributory_factors=["delays_in_diagnosis_or_treatment", "gaps_in_service_provision"],
        actions=[
            {"what": "A", "owner_organisation": "Trust", "due_on": "2019-12-01", "status": "in_progress"},
            {"what": "B", "owner_organisation": "ICB", "due_on": "2019-12-01", "status": "completed"},
        ],
    ),
    _findings(
        5,
        mccd_accurate=True,
        dnacpr={"in_place": True, "appropriate": False},
        contributory_factors=["reasonable_adjustments_not_made"],
        actions=[
            {"what": "C", "owner_organisation": "GP", "due_on": "2019-12-01", "status": "not_achieved"},
            {"what": "D", "owner_organisation": "GP", "due_on": "2019-12-01", "status": "completed"},
        ],
    ),
]


async def _notify(
    flow: Flow,
    *,
    sex: str,
    age: int,
    place: str,
    ethnic: str,
    cause: str,
    notified: str,
    area: str = "15F",
    who: Any = None,
    dnacpr: str | None = None,
) -> Case:
    notified_on = date.fromisoformat(notified)
    died = date(notified_on.year, notified_on.month, 1) if notified_on.day > 1 else notified_on
    body = notification_body(
        **{
            "area_ods": area,
            "notified_on": notified,
            "person.nhs_number": DELETE,
            "person.sex": sex,
            "person.date_of_birth": date(died.year - age, 1, 1).isoformat(),
            "person.ethnic_category": ethnic,
            "death.date_of_death": died.isoformat(),
            "death.place_of_death": place,
            "death.cause_of_death": {"part_1": [{"text": "Respiratory failure"}, {"text": cause}], "part_2": []},
            "death.dnacpr": {"in_place": True, "rationale": dnacpr or "Frailty and recurrent aspiration"},
            "death.other_processes": [],
        }
    )
    response = await flow.api.post("/notifications", json=body, headers=(who or flow.coordinator).headers)
    assert response.status_code == 201, response.text
    return Case(response.json()["id"], response.headers["etag"])


async def _complete(flow: Flow, case: Case, findings: dict[str, Any]) -> None:
    assert (await flow.allocate(case)).status_code == 200
    assert (await flow.move(case, "initial_review", flow.reviewer)).status_code == 200
    saved = await flow.save_findings(case, findings)
    assert saved.status_code == 200, saved.text
    assert (await flow.move(case, "awaiting_sign_off", flow.reviewer)).status_code == 200
    done = await flow.move(case, "completed", flow.coordinator)
    assert done.status_code == 200, done.text


def _at(clock, flow: Flow, moment: datetime) -> None:
    clock.set(moment)
    flow.refresh_tokens()


@pytest.fixture
async def leeds(api, world, clock):
    """The population in the module docstring; the clock ends on 10 January 2020."""
    clock.set(datetime(2018, 11, 20, 10, tzinfo=UTC))
    flow = await Flow.start(api, world)
    earlier = await _notify(flow, sex="female", age=45, place="home", ethnic="A", cause="Sepsis",
                            notified="2018-11-20")  # fmt: skip
    await _complete(
        flow,
        earlier,
        _findings(
            6,
            contributory_factors=["neglect_or_abuse"],
            actions=[{"what": "E", "owner_organisation": "Trust", "due_on": "2019-03-01"}],
            initial_review_evidence={
                "family_or_carer_spoken_to_on": "2018-11-20",
                "gp_records_seen_on": "2018-11-20",
                "other_professional_spoken_to_on": "2018-11-20",
            },
        ),
    )

    _at(clock, flow, datetime(2019, 6, 3, 10, tzinfo=UTC))
    people = [
        ("female", 50, "hospital", "A", "Aspiration pneumonia", "2019-01-01", None),
        ("female", 55, "hospital", "A", "aspiration pneumonia", "2019-02-10", None),
        ("female", 60, "home", "A", "Sepsis", "2019-03-05", None),
        ("female", 70, "home", "B", "Sepsis", "2019-04-01", None),
        ("female", 80, "care_home", "H", "Epilepsy", "2019-04-15", None),
        ("female", 90, "hospital", "Z", "Learning disability", "2019-05-01", None),
        ("male", 40, "hospital", "A", "Aspiration pneumonia", "2019-05-10", "Because of his learning disability"),
        ("male", 58, "care_home", "A", "Epilepsy", "2019-05-20", "Downs syndrome"),
        ("male", 62, "home", "N", "Myocardial infarction", "2019-05-31", None),
    ]
    cases = []
    for sex, age, place, ethnic, cause, notified, dnacpr in people:
        cases.append(await _notify(flow, sex=sex, age=age, place=place, ethnic=ethnic, cause=cause,
                                   notified=notified, dnacpr=dnacpr))  # fmt: skip
    out_of_scope = await _notify(flow, sex="male", age=2, place="hospital", ethnic="A", cause="Sepsis",
                                 notified="2019-02-01")  # fmt: skip
    assert (await flow.get(out_of_scope))["stage"] == "excluded"
    manchester = await world.staff(Role.coordinator, "14L")
    await _notify(flow, sex="male", age=30, place="home", ethnic="A", cause="Sepsis", notified="2019-03-01",
                  area="14L", who=manchester)  # fmt: skip
    for case, findings in zip(cases[:4], FINDINGS, strict=True):
        await _complete(flow, case, findings)

    # Family involvement
    code = (await invite(api, flow, cases[4]))["code"]
    await invite(api, flow, cases[4])  # a second relative of the same person: still one death
    family = await session_for(api, code)
    concern = {"kind": "concern", "text": "Nobody told us about the DNACPR."}
    assert (await api.post("/family/messages", json=concern, headers=family)).status_code == 201
    await invite(api, flow, cases[6])
    family = await session_for(api, (await invite(api, flow, cases[8]))["code"])
    assert (await api.post("/family/focused-review-request", headers=family)).status_code == 200

    # Flags: one of the two DNACPR flags dismissed
    view = await flow.get(cases[7])
    [flag] = [f for f in view["flags"] if f["kind"] == "learning_disability_as_dnacpr_rationale"]
    dismissed = await flow.write("POST", cases[7], f"/flags/{flag['id']}/dismissal", flow.coordinator,
                                 {"reason": "Down's syndrome is recorded with the frailty it causes"})  # fmt: skip
    assert dismissed.status_code == 200, dismissed.text

    _at(clock, flow, datetime(2020, 1, 10, 10, tzinfo=UTC))
    cases.append(await _notify(flow, sex="male", age=75, place="hospital", ethnic="A", cause="Sepsis",
                               notified="2019-12-31"))  # fmt: skip
    await _notify(flow, sex="female", age=66, place="home", ethnic="A", cause="Sepsis", notified="2020-01-02")
    admin = await world.staff(Role.admin)
    loaded = await api.put(
        "/areas/15F/population", content=POPULATION_CSV, headers={**admin.headers, "Content-Type": "text/csv"}
    )
    assert loaded.status_code == 200, loaded.text
    return flow


def _cells(breakdown: dict[str, Any]) -> dict[str, Any]:
    return {c["key"]: (c["count"], c["percent"]) for c in breakdown["cells"]} | {"total": breakdown["total"]}


async def _report(api, headers, ods="15F", year=2019) -> dict[str, Any]:
    response = await api.get(f"/reports/areas/{ods}/annual", params={"year": year}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_coordinator_sees_every_figure_as_counted(api, leeds):
    report = await _report(api, leeds.coordinator.headers)

    assert report["area_ods"] == "15F" and report["year"] == 2019 and report["disclosure_controlled"] is False
    assert (report["starts_on"], report["ends_on"]) == ("2019-01-01", "2019-12-31")
    assert report["counts"] == {
        "notifications_received": 11,
        "excluded": 1,
        "deaths_notified": 10,
        "reviews_completed": 4,
    }
    assert report["progress"] == {
        "notified": 11,
        "open": 6,
        "unallocated": 6,
        "unallocated_share": 100.0,
        "on_hold": 0,
        "in_progress": 0,
        "awaiting_sign_off": 0,
        "open_past_six_months": 5,
        "completed": 4,
        "completed_within_six_months": 4,
        "completed_within_six_months_share": 100.0,
        "completed_within_six_months_hold_adjusted": 4,
        "completed_within_six_months_hold_adjusted_share": 100.0,
        "median_days_to_completion": 101.5,  # 63, 90, 113 and 153 days
    }

    age = report["age_at_death"]
    medians = {m["sex"]: (m["deaths"], m["median_age"], m["reference_median_age"], m["years_below_reference"],
                          m["withheld"]) for m in age["medians"]}  # fmt: skip
    assert medians == {
        "all": (10, 61.0, None, None, None),
        "female": (6, 65.0, 86.0, 21.0, None),
        "male": (4, 60.0, 83.0, 23.0, None),
        "indeterminate": (0, None, None, None, "No deaths."),
        "not_known": (0, None, None, None, "No deaths."),
    }
    assert _cells(age["under_65"]) == {"under_65": (6, 60.0), "65_and_over": (4, 40.0), "total": 10}
    assert age["share_under_65"] == 60.0
    assert "ONS" in age["reference_source"]

    assert _cells(report["place_of_death"]) == {
        "hospital": (5, 50.0),
        "home": (3, 30.0),
        "care_home": (2, 20.0),
        "hospice": (0, 0.0),
        "other": (0, 0.0),
        "total": 10,
    }
    causes = report["causes_of_death"]["breakdown"]
    assert [(c["label"], c["count"]) for c in causes["cells"]] == [
        ("Aspiration pneumonia", 3),  # "aspiration pneumonia" counted with it
        ("Sepsis", 3),
        ("Epilepsy", 2),
        ("Learning disability", 1),
        ("Myocardial infarction", 1),
        ("All other causes", 0),
    ]
    assert causes["total"] == 10

    grading = report["grading"]
    assert _cells(grading["breakdown"]) == {
        "1": (1, 25.0),
        "2": (1, 25.0),
        "3": (0, 0.0),
        "4": (1, 25.0),
        "5": (1, 25.0),
        "6": (0, 0.0),  # the grade 6 review was completed in 2018
        "not_graded": (0, 0.0),
        "total": 4,
    }
    assert (grading["good_practice"], grading["good_practice_share"]) == (2, 50.0)

    themes = {t["key"]: {c["key"]: c["count"] for c in t["breakdown"]["cells"]} for t in report["themes"]}
    assert themes == {
        "potentially_avoidable": {"yes": 1, "no": 2, "not_recorded": 1},
        "mental_capacity_act_applied": {"yes": 2, "no": 1, "not_recorded": 1},
        "mccd_accurate": {"yes": 2, "no": 1, "not_recorded": 1},
        "dnacpr_appropriate": {"yes": 2, "no": 1, "not_recorded": 1},
        "dnacpr_correctly_completed": {"yes": 1, "no": 1, "not_recorded": 2},
    }
    factors = report["contributory_factors"]
    assert _cells(factors["reviews"]) == {"with_factors": (3, 75.0), "without": (1, 25.0), "total": 4}
    assert {f["key"]: (f["count"], f["percent"]) for f in factors["factors"]} == {
        "delays_in_diagnosis_or_treatment": (2, 50.0),
        "organisational_systems_and_processes": (0, 0.0),
        "gaps_in_service_provision": (1, 25.0),
        "neglect_or_abuse": (0, 0.0),  # 2018's review
        "care_coordination_and_information_sharing": (0, 0.0),
        "mental_capacity_act_not_applied": (0, 0.0),
        "transition_from_childrens_to_adults_services": (0, 0.0),
        "reasonable_adjustments_not_made": (1, 25.0),
    }
    flags = {f["kind"]: _cells(f["deaths"]) for f in report["flags"]}
    assert flags == {
        "learning_disability_as_cause_of_death": {"standing": (1, 100.0), "dismissed": (0, 0.0), "total": 1},
        "learning_disability_as_dnacpr_rationale": {"standing": (1, 50.0), "dismissed": (1, 50.0), "total": 2},
    }
    assert report["family_involvement"] == {
        "invited": 3,
        "invited_share": 30.0,
        "concerns_raised": 1,
        "concerns_raised_share": 10.0,
        "focused_reviews_requested": 1,
        "focused_reviews_requested_share": 10.0,
    }
    assert _cells(report["actions"]) == {
        "planned": (1, 20.0),
        "in_progress": (1, 20.0),
        "completed": (2, 40.0),
        "not_achieved": (1, 20.0),
        "total": 5,
    }

    ethnicity = report["ethnicity"]
    assert ethnicity["method"].startswith("Wilson score interval (95%)")
    assert ethnicity["confidence_level"] == 0.95
    assert ethnicity["population_loaded_at"] == "2020-01-10T10:00:00Z"
    assert _cells(ethnicity["deaths"]) == {
        "white": (7, 70.0),
        "mixed": (0, 0.0),
        "asian": (1, 10.0),
        "black": (1, 10.0),
        "other": (0, 0.0),
        "not_stated": (1, 10.0),
        "total": 10,
    }
    assert ethnicity["population"]["total"] == 1000
    groups = {
        g["group"]: (g["deaths"], g["deaths_share"], g["population"], g["population_share"], g["expected"],
                     g["ratio"], g["ratio_low"], g["ratio_high"], g["significantly_under_represented"],
                     g["significantly_over_represented"])
        for g in ethnicity["groups"]
    }  # fmt: skip
    # Of 9 deaths with a stated ethnicity, against 900 people with a stated ethnicity; Wilson intervals for
    # 7/9 = (0.4526, 0.9368), 1/9 = (0.0198, 0.4350), 0/9 = (0, 0.2992), divided by the population shares.
    assert groups == {
        "white": (7, 77.8, 180, 20.0, 1.8, 3.89, 2.26, 4.68, False, True),
        "mixed": (0, 0.0, 40, 4.4, 0.4, 0.0, 0.0, 6.73, False, False),
        "asian": (1, 11.1, 60, 6.7, 0.6, 1.67, 0.3, 6.52, False, False),
        "black": (1, 11.1, 540, 60.0, 5.4, 0.19, 0.03, 0.72, True, False),
        "other": (0, 0.0, 80, 8.9, 0.8, 0.0, 0.0, 3.37, False, False),
    }
    assert ethnicity["under_represented"] == ["black"]


async def test_national_and_admin_see_the_report_disclosure_controlled(api, world, leeds):
    for role in (Role.national, Role.admin):
        report = await _report(api, (await world.staff(role)).headers)
        assert report["disclosure_controlled"] is True
        assert report["counts"] == {
            # With the deaths notified, the received total would give away the 1 excluded: it is the total that
            # is hidden (here and in the dashboard's measures), so that the deaths can be shown.
            "notifications_received": "*",
            "excluded": "*",
            "deaths_notified": 10,
            "reviews_completed": "*",
        }
        assert report["progress"]["notified"] == "*"
        medians = {m["sex"]: (m["deaths"], m["median_age"], m["withheld"]) for m in report["age_at_death"]["medians"]}
        assert medians["all"] == (10, 61.0, None)  # 10 deaths: enough for a median
        assert medians["female"] == ("*", None, "Fewer than 8 deaths: withheld from published figures.")
        assert medians["male"] == ("*", None, "Fewer than 8 deaths: withheld from published figures.")
        assert _cells(report["place_of_death"]) == {
            "hospital": ("*", None),
            "home": ("*", None),
            "care_home": ("*", None),
            "hospice": (0, 0.0),
            "other": (0, 0.0),
            "total": 10,
        }
        causes = report["causes_of_death"]["breakdown"]
        assert [(c["key"], c["count"]) for c in causes["cells"]] == [("other", 10)]  # none recorded 8 times
        assert report["grading"]["good_practice"] is None
        assert report["family_involvement"]["invited"] == "*"
        assert report["ethnicity"]["under_represented"] == []
        assert all(g["ratio"] is None and g["withheld"] for g in report["ethnicity"]["groups"])
        _assert_publishable(report)


def _assert_publishable(report: dict[str, Any]) -> None:
    """No count from 1 to 7 anywhere, and nothing that names or describes a person."""
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}")
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                walk(inner, f"{path}[{i}]")
        elif isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 7:
            found.append(path)

    walk(report, "")
    assert found == []
    text = str(report).lower()
    for identifying in ("joan", "example", "943", "respiratory failure", "myocardial", "downs", "dnacpr decision"):
        assert identifying not in text


async def test_an_area_with_no_deaths(api, world, leeds):
    for headers in (
        (await world.staff(Role.coordinator, "14L")).headers,  # 14L's one death was notified in 2019
        (await world.staff(Role.national)).headers,
    ):
        report = await _report(api, headers, ods="14L", year=2018)
        assert report["counts"] == {
            "notifications_received": 0,
            "excluded": 0,
            "deaths_notified": 0,
            "reviews_completed": 0,
        }
        assert report["progress"]["notified"] == 0 and report["progress"]["median_days_to_completion"] is None
        assert all(m["median_age"] is None and m["withheld"] == "No deaths." for m in report["age_at_death"]["medians"])
        assert report["age_at_death"]["share_under_65"] is None
        assert _cells(report["place_of_death"])["total"] == 0
        assert report["grading"] == {
            "breakdown": report["grading"]["breakdown"],
            "good_practice": 0,
            "good_practice_share": None,
        }
        assert report["causes_of_death"]["breakdown"]["cells"] == [
            {"key": "other", "label": "All other causes", "count": 0, "percent": None}
        ]
        assert report["ethnicity"]["population"] is None
        assert {g["withheld"] for g in report["ethnicity"]["groups"]} == {"No reference population loaded."}
        assert report["ethnicity"]["under_represented"] == []


async def test_a_coordinator_of_another_area_gets_404_as_for_an_unknown_area(api, world, leeds):
    manchester = await world.staff(Role.coordinator, "14L")
    other = await api.get("/reports/areas/15F/annual", params={"year": 2019}, headers=manchester.headers)
    unknown = await api.get("/reports/areas/99X/annual", params={"year": 2019}, headers=manchester.headers)
    national_unknown = await api.get(
        "/reports/areas/99X/annual", params={"year": 2019}, headers=(await world.staff(Role.national)).headers
    )
    assert other.status_code == unknown.status_code == national_unknown.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"

    def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != "request_id"}

    assert without_request_id(other.json()) == without_request_id(unknown.json())
    for path in ("/reports/areas/15F/annual.html", "/reports/areas/15F/annual.csv"):
        assert (await api.get(path, params={"year": 2019}, headers=manchester.headers)).status_code == 404


async def test_reviewers_families_and_integrators_are_refused(api, world, leeds):
    integrator = await world.integrator(api, list(Scope), ["15F"])
    for headers in (leeds.reviewer.headers, integrator):
        for path in ("annual", "annual.html", "annual.csv"):
            response = await api.get(f"/reports/areas/15F/{path}", params={"year": 2019}, headers=headers)
            assert response.status_code == 403, path
            assert response.headers["content-type"] == "application/problem+json"


async def test_the_year_is_required_and_bounded(api, leeds):
    for params in ({}, {"year": 2015}, {"year": "2019-Q1"}):
        response = await api.get("/reports/areas/15F/annual", params=params, headers=leeds.coordinator.headers)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"


async def test_the_printable_page_and_the_csv(api, world, leeds):
    page = await api.get("/reports/areas/15F/annual.html", params={"year": 2019}, headers=leeds.coordinator.headers)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert "<h1>LeDeR annual report 2019</h1>" in html
    assert html.count("<svg") == 5  # ages, place, grading, ethnicity, actions
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/", "")
    assert "https://" not in html
    assert "Significantly under-represented" in html and "Black or Black British" in html

    published = await api.get("/reports/areas/15F/annual.csv", params={"year": 2019}, headers=leeds.coordinator.headers)
    assert published.status_code == 200
    assert published.headers["content-type"].startswith("text/csv")
    assert 'filename="leder-annual-report-15F-2019.csv"' in published.headers["content-disposition"]
    rows = [line.split(",") for line in published.text.splitlines()]
    assert rows[0] == ["area_ods", "year", "section", "item", "label", "count", "percent"]
    by_item = {(r[2], r[3]): r[5] for r in rows[1:]}
    # Always disclosure-controlled, even for the area's own coordinator.
    assert by_item["counts", "deaths_notified"] == "10"
    assert by_item["counts", "notifications_received"] == "*"
    assert by_item["place_of_death", "hospital"] == "*"
    assert by_item["median_age_at_death", "all"] == "61.0"
    assert by_item["median_age_at_death", "female"] == ""
    assert not [r for r in rows[1:] if r[5].isdigit() and 1 <= int(r[5]) <= 7]

    national = await api.get(
        "/reports/areas/15F/annual.html", params={"year": 2019}, headers=(await world.staff(Role.national)).headers
    )
    assert national.status_code == 200 and "Publishable version: figures disclosure-controlled" in national.text


async def test_the_coordinator_may_have_the_publishable_version_national_sees(api, world, leeds):
    national = (await world.staff(Role.national)).headers
    mine = await api.get(
        "/reports/areas/15F/annual", params={"year": 2019, "version": "publishable"}, headers=leeds.coordinator.headers
    )
    assert mine.status_code == 200, mine.text
    assert mine.json() == await _report(api, national)
    assert mine.json()["disclosure_controlled"] is True
    _assert_publishable(mine.json())
    as_counted = await _report(api, leeds.coordinator.headers)  # the default stays as counted
    assert as_counted["disclosure_controlled"] is False and as_counted["counts"]["excluded"] == 1

    page = await api.get(
        "/reports/areas/15F/annual.html",
        params={"year": 2019, "version": "publishable"},
        headers=leeds.coordinator.headers,
    )
    assert page.status_code == 200 and "Publishable version" in page.text and "not for publication" not in page.text
    own = await api.get("/reports/areas/15F/annual.html", params={"year": 2019}, headers=leeds.coordinator.headers)
    assert "As counted, not for publication" in own.text

    csv_counted = await api.get(
        "/reports/areas/15F/annual.csv",
        params={"year": 2019, "version": "as_counted"},
        headers=leeds.coordinator.headers,
    )
    assert csv_counted.status_code == 200
    assert "as-counted-not-for-publication" in csv_counted.headers["content-disposition"]
    rows = {(r[2], r[3]): r[5] for r in (line.split(",") for line in csv_counted.text.splitlines()[1:])}
    assert rows["report", "version"] == "as counted: not for publication"
    assert rows["counts", "excluded"] == "1"
    published = await api.get("/reports/areas/15F/annual.csv", params={"year": 2019}, headers=leeds.coordinator.headers)
    assert "version,Version,publishable (disclosure-controlled)" in published.text

    # Only the area's coordinator sees exact figures; an unknown version is a 422.
    for path in ("annual", "annual.html", "annual.csv"):
        refused = await api.get(
            f"/reports/areas/15F/{path}", params={"year": 2019, "version": "as_counted"}, headers=national
        )
        assert refused.status_code == 403, path
        assert refused.headers["content-type"] == "application/problem+json"
    bad = await api.get(
        "/reports/areas/15F/annual", params={"year": 2019, "version": "raw"}, headers=leeds.coordinator.headers
    )
    assert bad.status_code == 422


async def test_a_report_for_the_year_not_yet_ended_says_to_date(api, world, leeds):
    """The clock stands at 10 January 2020: 2020 has not ended, 2019 has."""
    current = await _report(api, leeds.coordinator.headers, year=2020)
    assert current["to_date"] is True and current["counted_to"] == "2020-01-10"
    assert current["generated_at"].startswith("2020-01-10T10:00")
    assert current["ends_on"] == "2020-12-31"
    page = await api.get("/reports/areas/15F/annual.html", params={"year": 2020}, headers=leeds.coordinator.headers)
    assert page.status_code == 200
    assert "1 January 2020 to date (figures to 10 January 2020" in page.text
    assert "Generated on 10 January 2020" in page.text
    assert "31 December 2020" not in page.text
    csv_text = (
        await api.get("/reports/areas/15F/annual.csv", params={"year": 2020}, headers=leeds.coordinator.headers)
    ).text
    assert "15F,2020,report,counted_to,Figures to date,2020-01-10" in csv_text
    assert "15F,2020,report,generated_at,Generated,2020-01-10T10:00:00+00:00" in csv_text

    ended = await _report(api, leeds.coordinator.headers, year=2019)
    assert ended["to_date"] is False and ended["counted_to"] == "2019-12-31"
    page = await api.get("/reports/areas/15F/annual.html", params={"year": 2019}, headers=leeds.coordinator.headers)
    assert "1 January to 31 December 2019" in page.text and "Generated on 10 January 2020" in page.text
    assert "docs/reports.md" not in page.text and "LeDeR local area coordinator" in page.text


async def test_charts_of_counts_have_whole_number_axes_and_an_empty_one_says_so(api, world, leeds):
    page = await api.get("/reports/areas/15F/annual.html", params={"year": 2019}, headers=leeds.coordinator.headers)
    for chart in ("place", "grading", "actions"):  # the charts of counts (not ratios, not ages)
        ticks = re.findall(rf'id="{chart}-xtick_\d+">.*?>([^<]*)</text>', page.text, re.DOTALL)
        assert len(ticks) >= 2, chart
        assert all(t.isdigit() for t in ticks), (chart, ticks)
    manchester = await world.staff(Role.coordinator, "14L")
    empty = await api.get("/reports/areas/14L/annual.html", params={"year": 2018}, headers=manchester.headers)
    assert empty.status_code == 200
    assert "No deaths in this period." in empty.text
    assert "No reviews completed in this period." in empty.text
    assert "<svg" not in empty.text


@pytest.mark.parametrize("name", ["Leeds $\\frac{$ North", "$x^{$", "Cost $5 and $", "\\$\\alpha"])
async def test_an_area_name_that_is_not_mathtext_is_drawn_as_text(api, world, leeds, name):
    admin = await world.staff(Role.admin)
    renamed = await api.patch("/areas/15F", json={"name": name}, headers=admin.headers)
    assert renamed.status_code == 200, renamed.text
    page = await api.get("/reports/areas/15F/annual.html", params={"year": 2019}, headers=leeds.coordinator.headers)
    assert page.status_code == 200
    assert page.text.count("<svg") == 5  # the age chart, with the name in its legend, among them
    assert html_escape(name, quote=False) in page.text
