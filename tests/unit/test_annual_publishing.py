"""The annual report as published: counted figures in, disclosure-controlled report out (no database)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from app.reports.annual import THEMES, AnnualFigures, FlagCounts, Median
from app.reports.periods import year
from app.reports.publishing import build_report, references_from
from app.reports.schemas import Progress

REFERENCES = references_from(83, 86, "ONS 2018")
PROGRESS = Progress(
    notified=205,
    open=45,
    unallocated=10,
    unallocated_share=22.2,
    on_hold=10,
    in_progress=20,
    awaiting_sign_off=5,
    open_past_six_months=10,
    completed=150,
    completed_within_six_months=100,
    completed_within_six_months_share=66.7,
    completed_within_six_months_hold_adjusted=120,
    completed_within_six_months_hold_adjusted_share=80.0,
    median_days_to_completion=150.0,
)


def figures(**changes: Any) -> AnnualFigures:
    """An area's year: 203 notifications, 3 of them excluded; 150 reviews completed."""
    counted = AnnualFigures(
        notifications_received=203,
        excluded=3,
        deaths_by_sex=Counter({"female": 96, "male": 101, "not_known": 3}),
        deaths_by_place=Counter({"hospital": 120, "home": 50, "care_home": 24, "hospice": 4, "other": 2}),
        deaths_by_ethnic_category=Counter({"A": 150, "B": 10, "H": 12, "J": 8, "M": 6, "N": 4, "Z": 10}),
        deaths_under_65=104,
        median_age={
            "all": Median(61.5, 200),
            "female": Median(60.0, 96),
            "male": Median(62.0, 101),
            "not_known": Median(70.0, 3),
        },
        underlying_causes=[("aspiration pneumonia", 40), ("sepsis", 22), ("epilepsy", 9)],
        flags={
            "learning_disability_as_cause_of_death": FlagCounts(3, 0),
            "learning_disability_as_dnacpr_rationale": FlagCounts(10, 2),
        },
        families_invited=50,
        families_raised_concerns=6,
        focused_reviews_requested_by_families=9,
        reviews_completed=150,
        grades=Counter({1: 20, 2: 50, 3: 40, 4: 30, 5: 8, 6: 2}),
        themes={key: Counter({True: 100, False: 45, None: 5}) for key in THEMES},
        reviews_with_contributory_factors=80,
        contributory_factors=Counter(
            {"delays_in_diagnosis_or_treatment": 40, "gaps_in_service_provision": 30, "neglect_or_abuse": 3}
        ),
        actions_by_status=Counter({"planned": 60, "in_progress": 30, "completed": 40, "not_achieved": 5}),
        population={"A": 3000, "H": 600, "M": 400, "Z": 200},
    )
    for name, value in changes.items():
        setattr(counted, name, value)
    return counted


def publish(counted: AnnualFigures, controlled: bool = True):
    return build_report(
        counted,
        area_ods="15F",
        area_name="Leeds",
        period=year(2019),
        progress=PROGRESS,
        references=REFERENCES,
        controlled=controlled,
        generated_at=datetime(2020, 1, 10, 10, tzinfo=UTC),
    )


def cells(breakdown) -> dict[str, Any]:
    return {c.key: c.count for c in breakdown.cells} | {"total": breakdown.total}


def test_published_figures_are_rounded_suppressed_and_protected():
    report = publish(figures())
    assert report.disclosure_controlled is True
    # 3 excluded beside 200 in scope: the total received is hidden rather than the deaths notified, here and
    # in the dashboard's measures, which publish the same total.
    assert report.counts.model_dump() == {
        "notifications_received": "*",
        "excluded": "*",
        "deaths_notified": 200,
        "reviews_completed": 150,
    }
    assert report.progress.notified == "*"
    assert report.progress.completed == 150

    # 3 of not known sex: suppressed, and the smallest other cell with it (female), against a total of 200.
    medians = {m.sex: (m.deaths, m.median_age, m.reference_median_age, m.years_below_reference, m.withheld)
               for m in report.age_at_death.medians}  # fmt: skip
    assert medians == {
        "all": (200, 61.5, None, None, None),
        "female": ("*", 60.0, 86, 26.0, None),  # 96 deaths: enough for a median, though the count is hidden
        "male": (100, 62.0, 83, 21.0, None),
        "indeterminate": (0, None, None, None, "No deaths."),
        "not_known": ("*", None, None, None, "Fewer than 8 deaths: withheld from published figures."),
    }
    assert cells(report.age_at_death.under_65) == {"under_65": 105, "65_and_over": 95, "total": 200}
    assert report.age_at_death.share_under_65 == 52.5  # from the rounded figures: 105 of 200
    assert cells(report.place_of_death) == {
        "hospital": 120,
        "home": 50,
        "care_home": 25,
        "hospice": "*",
        "other": "*",
        "total": 200,
    }
    assert [c.percent for c in report.place_of_death.cells] == [60.0, 25.0, 12.5, None, None]
    causes = report.causes_of_death.breakdown
    assert [(c.label, c.count) for c in causes.cells] == [
        ("Aspiration pneumonia", 40),
        ("Sepsis", 20),
        ("Epilepsy", 10),
        ("All other causes", 130),
    ]
    assert "at least 8 times" in report.causes_of_death.note

    # Grade 6 (2) suppressed, and grade 5 (8) with it.
    assert cells(report.grading.breakdown) == {
        "1": 20,
        "2": 50,
        "3": 40,
        "4": 30,
        "5": "*",
        "6": "*",
        "not_graded": 0,
        "total": 150,
    }
    assert (report.grading.good_practice, report.grading.good_practice_share) == (70, 46.7)
    assert {cells(t.breakdown)["yes"] for t in report.themes} == {100}
    assert cells(report.contributory_factors.reviews) == {"with_factors": 80, "without": 70, "total": 150}
    assert {c.key: (c.count, c.percent) for c in report.contributory_factors.factors if c.count != 0} == {
        "delays_in_diagnosis_or_treatment": (40, 26.7),
        "gaps_in_service_provision": (30, 20.0),
        "neglect_or_abuse": ("*", None),
    }
    flags = {f.kind: cells(f.deaths) for f in report.flags}
    assert flags == {
        "learning_disability_as_cause_of_death": {"standing": "*", "dismissed": 0, "total": "*"},
        "learning_disability_as_dnacpr_rationale": {"standing": "*", "dismissed": "*", "total": 10},
    }
    assert report.family_involvement.model_dump() == {
        "invited": 50,
        "invited_share": 25.0,
        "concerns_raised": "*",
        "concerns_raised_share": None,
        "focused_reviews_requested": 10,
        "focused_reviews_requested_share": 5.0,
    }
    assert cells(report.actions) == {"planned": 60, "in_progress": "*", "completed": 40, "not_achieved": "*",
                                     "total": 135}  # fmt: skip


def test_ethnic_representation_is_computed_from_the_published_figures():
    ethnicity = publish(figures()).ethnicity
    assert cells(ethnicity.deaths) == {
        "white": 160,
        "mixed": 0,
        "asian": 20,
        "black": 10,
        "other": 0,
        "not_stated": 10,
        "total": 200,
    }
    assert ethnicity.population is not None and ethnicity.population.total == 4200
    groups = {g.group.value: (g.deaths, g.expected, g.ratio, g.ratio_low, g.ratio_high,
                              g.significantly_under_represented, g.significantly_over_represented, g.withheld)
              for g in ethnicity.groups}  # fmt: skip
    # 190 deaths with a stated ethnicity against 4,000 people: white 75%, Asian 15%, Black 10%.
    assert groups == {
        "white": (160, 142.5, 1.12, 1.04, 1.18, False, True, None),
        "mixed": (0, None, None, None, None, None, None, "No reference population in this group."),
        "asian": (20, 28.5, 0.7, 0.46, 1.05, False, False, None),
        "black": (10, 19.0, 0.53, 0.29, 0.94, True, False, None),
        "other": (0, None, None, None, None, None, None, "No reference population in this group."),
    }
    assert [g.value for g in ethnicity.under_represented] == ["black"]
    assert "published (rounded) figures" in ethnicity.note


def test_a_suppressed_group_gives_no_ratio_that_would_reveal_it():
    counted = figures(deaths_by_ethnic_category=Counter({"A": 180, "H": 10, "M": 3, "Z": 7}))
    groups = {g.group.value: g for g in publish(counted).ethnicity.groups}
    assert groups["black"].deaths == "*"
    assert groups["black"].ratio is None and groups["black"].expected is None
    assert groups["black"].withheld == "Computed from figures that are suppressed."


def test_a_total_hidden_in_one_breakdown_is_hidden_in_every_other():
    # Places 8, 1, 1, 1, 1 of 12: four suppressed cells and the 8 with them leave no room (each of the four must
    # be 1), so that breakdown hides its total; every other breakdown of the same deaths must hide it too.
    counted = figures(
        notifications_received=12,
        excluded=0,
        deaths_by_sex=Counter({"female": 6, "male": 6}),
        deaths_by_place=Counter({"hospital": 8, "home": 1, "care_home": 1, "hospice": 1, "other": 1}),
        deaths_by_ethnic_category=Counter({"A": 12}),
        deaths_under_65=6,
        median_age={"all": Median(60.0, 12), "female": Median(58.0, 6), "male": Median(62.0, 6)},
        underlying_causes=[],
        families_invited=0,
        families_raised_concerns=0,
        focused_reviews_requested_by_families=0,
    )
    report = publish(counted)
    assert report.place_of_death.total == "*"
    assert report.counts.deaths_notified == "*"
    assert report.age_at_death.under_65.total == "*"
    assert report.age_at_death.medians[0].deaths == "*"
    assert report.causes_of_death.breakdown.total == "*"
    assert report.ethnicity.deaths.total == "*"
    assert report.ethnicity.groups[0].ratio is None


def test_the_areas_coordinator_sees_every_figure_as_counted():
    report = publish(figures(), controlled=False)
    assert report.disclosure_controlled is False
    assert report.counts.model_dump() == {
        "notifications_received": 203,
        "excluded": 3,
        "deaths_notified": 200,
        "reviews_completed": 150,
    }
    assert report.progress == PROGRESS
    assert cells(report.place_of_death)["hospice"] == 4
    assert report.age_at_death.medians[4].median_age == 70.0  # 3 people: the coordinator may see it
    black = next(g for g in report.ethnicity.groups if g.group.value == "black")
    assert (black.deaths, black.expected, black.ratio) == (10, 19.0, 0.53)
    assert report.starts_on == date(2019, 1, 1)
