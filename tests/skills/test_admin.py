"""Setting up skill contests in the admin: scoped to the campaign office, and a judge who has
marked a heat cannot be taken off it."""

from skills import services
from skills.models import HeatJudge


def heat_form(contest, heat, delete_first=False):
    judges = list(heat.judges.order_by("pk"))
    data = {
        "tier": heat.tier_id,
        "name": heat.name,
        "venue": "",
        "starts_at_0": "",
        "starts_at_1": "",
        "advances_to": "",
        "judges-TOTAL_FORMS": str(len(judges)),
        "judges-INITIAL_FORMS": str(len(judges)),
        "judges-MIN_NUM_FORMS": "0",
        "judges-MAX_NUM_FORMS": "1000",
    }
    for index, judge in enumerate(judges):
        data |= {
            f"judges-{index}-id": judge.pk,
            f"judges-{index}-heat": heat.pk,
            f"judges-{index}-judge": judge.judge_id,
            f"judges-{index}-component": judge.component,
        }
    if delete_first:
        data["judges-0-DELETE"] = "on"
    return data


def test_a_judge_who_has_marked_stays_on_the_heat(client_for, contest):
    heat = contest.heat_a
    services.save_marks(heat, contest.judge1, "practical", {contest.entries_a[0]: 80})
    client = client_for("city")
    url = f"/admin/skills/heat/{heat.pk}/change/"

    response = client.post(url, heat_form(contest, heat, delete_first=True))

    assert response.status_code == 200  # the form again, with the error
    assert HeatJudge.objects.filter(heat=heat, judge=contest.judge1).exists()


def test_a_judge_without_marks_can_be_removed(client_for, contest):
    heat = contest.heat_a
    response = client_for("city").post(
        f"/admin/skills/heat/{heat.pk}/change/", heat_form(contest, heat, delete_first=True)
    )
    assert response.status_code == 302
    assert not HeatJudge.objects.filter(heat=heat, judge=contest.judge1).exists()


def test_admin_is_scoped_to_the_campaign_office(client_for, contest):
    assert client_for("city").get("/admin/skills/heat/").status_code == 200
    # District staff see the city's contest (it reaches them) but cannot change it.
    west = client_for("west")
    response = west.post(
        f"/admin/skills/heat/{contest.heat_a.pk}/change/", heat_form(contest, contest.heat_a)
    )
    assert response.status_code in (302, 403)
    contest.heat_a.refresh_from_db()
    assert contest.heat_a.name == "西湖酒店选拔赛"
