"""The admin shows rules and lists to staff in scope; lists change only through services."""

from awards import services


def test_admin_pages_for_campaign_staff(world, ranking, honour, client_for):
    ranking({"A": ["91"]})
    rule = honour(quota=1)
    honour_list = services.generate(rule)
    client = client_for("city")
    assert client.get("/admin/awards/honourrule/").status_code == 200
    assert client.get(f"/admin/awards/honourrule/{rule.pk}/change/").status_code == 200
    page = client.get(f"/admin/awards/honourlist/{honour_list.pk}/change/")
    assert page.status_code == 200 and "单位A" in page.content.decode()


def test_admin_refuses_users_without_role(world, honour, client_for):
    honour(quota=1)
    assert client_for("norole").get("/admin/awards/honourrule/").status_code in (302, 403)


def test_entry_permission_follows_the_pages_scope(world, ranking, honour):
    """A draft's entries are for the office running the campaign (and the unit's own
    liaison), as on the list pages and in the API: a district that merely sees the campaign
    does not read them until the list is published."""
    ranking({"A": ["91"]}, units={"A": world.unit_a})
    honour_list = services.generate(honour(quota=1))
    entry = honour_list.entries.get()
    assert world.users["city"].has_perm("awards.view_honourlistentry", entry)
    assert world.users["unit_a"].has_perm("awards.view_honourlistentry", entry)
    assert not world.users["west"].has_perm("awards.view_honourlistentry", entry)
    assert not world.users["unit_b"].has_perm("awards.view_honourlistentry", entry)
