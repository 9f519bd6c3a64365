"""The annual report's charts: names drawn as text, and whole-number axes (empty charts: test_annual_report.py)."""

from __future__ import annotations

import re

from app.auth.policy import Role
from tests.api.test_annual_report import leeds  # noqa: F401  (the fixture)


async def _page(api, headers, ods="15F", year=2019) -> str:
    page = await api.get(f"/reports/areas/{ods}/annual.html", params={"year": year}, headers=headers)
    assert page.status_code == 200, page.text
    return page.text


def _chart(html: str, key: str) -> str:
    return next(svg for svg in html.split("<svg")[1:] if f'id="{key}-' in svg)


async def test_an_area_name_that_is_not_mathtext_draws_as_written(api, world, leeds):  # noqa: F811
    admin = await world.staff(Role.admin)
    renamed = await api.patch("/areas/15F", json={"name": "Leeds $\\frac{$ & co"}, headers=admin.headers)
    assert renamed.status_code == 200, renamed.text
    html = await _page(api, leeds.coordinator.headers)
    assert "Leeds $\\frac{$ &amp; co" in _chart(html, "ages")  # the legend, as text


async def test_count_axes_have_whole_numbers_only(api, world, leeds):  # noqa: F811
    # 14L's one death in 2019: a scale of 0 to 1, which would be drawn in fifths
    place = _chart(await _page(api, (await world.staff(Role.coordinator, "14L")).headers, ods="14L"), "place")
    ticks = re.findall(r"<text[^>]*>\s*([0-9.]+)\s*</text>", place)
    assert ticks, place[:500]
    assert all("." not in tick for tick in ticks), ticks
