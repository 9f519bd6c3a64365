"""Areas' contact details: the area's coordinator or admin edits them, with If-Match; others are refused."""

from __future__ import annotations

from app.auth.policy import Role

CONTACT = {
    "email": "leder.team@leeds.example.nhs.uk",
    "phone": "0113 496 0000",
    "postal_address": "LeDeR team\nNHS West Yorkshire ICB\n  \nWhite Rose House\nLS1 4HR",
}


async def test_the_areas_coordinator_sets_the_contact_with_if_match(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    url = "/areas/15F/contact"
    empty = await api.get(url, headers=coordinator.headers)
    assert empty.status_code == 200
    assert empty.headers["etag"] == '"0"'
    assert empty.json()["email"] is None

    assert (await api.put(url, json=CONTACT, headers=coordinator.headers)).status_code == 428
    stale = await api.put(url, json=CONTACT, headers={**coordinator.headers, "If-Match": '"3"'})
    assert stale.status_code == 412
    saved = await api.put(url, json=CONTACT, headers={**coordinator.headers, "If-Match": '"0"'})
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] == '"1"'
    assert saved.json()["phone"] == "+441134960000"
    assert saved.json()["postal_address"] == "LeDeR team\nNHS West Yorkshire ICB\nWhite Rose House\nLS1 4HR"
    again = await api.put(url, json=CONTACT, headers={**coordinator.headers, "If-Match": '"0"'})
    assert again.status_code == 412  # someone saved since "0" was read
    changed = {**CONTACT, "phone": None}
    second = await api.put(url, json=changed, headers={**coordinator.headers, "If-Match": '"1"'})
    assert second.status_code == 200
    assert (await api.get(url, headers=coordinator.headers)).json()["phone"] is None

    admin = await world.staff(Role.admin)
    by_admin = await api.put(url, json=CONTACT, headers={**admin.headers, "If-Match": '"2"'})
    assert by_admin.status_code == 200
    rows = await world.audit_rows(object_type="area")
    assert {r.action for r in rows} == {"area.contact_manage", "area.contact_manage.write"}
    assert {r.object_id for r in rows} == {"15F"}


async def test_other_areas_and_roles_are_refused(api, world):
    await world.area("15F")
    await world.area("14L")
    await world.staff(Role.coordinator, "15F")
    manchester = await world.staff(Role.coordinator, "14L")
    reviewer = await world.staff(Role.reviewer, "15F")
    national = await world.staff(Role.national)
    url = "/areas/15F/contact"
    for who in (manchester, reviewer, national):
        assert (await api.get(url, headers=who.headers)).status_code == 403
        put = await api.put(url, json=CONTACT, headers={**who.headers, "If-Match": '"0"'})
        assert put.status_code == 403
    assert (await api.get(url)).status_code == 401
    admin = await world.staff(Role.admin)
    assert (await api.get("/areas/99X/contact", headers=admin.headers)).status_code == 404


async def test_implausible_contacts_are_refused_clearly(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    headers = {**coordinator.headers, "If-Match": '"0"'}
    for field, value in [
        ("email", "not an email"),
        ("phone", "12345"),
        ("phone", "call us"),
        ("postal_address", "LeDeR team\x00"),
        ("postal_address", "\n".join(["line"] * 9)),
    ]:
        answer = await api.put("/areas/15F/contact", json={**CONTACT, field: value}, headers=headers)
        assert answer.status_code == 422, (field, value)
        assert answer.headers["content-type"] == "application/problem+json"
        assert value not in answer.text or field == "email"
    assert (await api.put("/areas/15F/contact", json={"email": None}, headers=headers)).status_code == 422


async def test_the_annual_report_page_names_the_contact(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    page = "/reports/areas/15F/annual.html"
    before = await api.get(page, params={"year": 2024}, headers=coordinator.headers)
    assert before.status_code == 200
    assert "Contact the LeDeR team" not in before.text
    headers = {**coordinator.headers, "If-Match": '"0"'}
    contact = {**CONTACT, "postal_address": "LeDeR team\n<b>LS1 4HR</b>"}
    assert (await api.put("/areas/15F/contact", json=contact, headers=headers)).status_code == 200
    after = (await api.get(page, params={"year": 2024}, headers=coordinator.headers)).text
    assert "telephone 0113 496 0000" in after
    assert "email leder.team@leeds.example.nhs.uk" in after
    assert "post LeDeR team, &lt;b&gt;LS1 4HR&lt;/b&gt;" in after  # escaped
