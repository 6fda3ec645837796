"""Every page built so far against every role: allowed (200), refused (404 or 403) or sent
to log in (302). Detail pages of records outside a user's scope answer 404, so guessing ids
reveals nothing."""

import pytest
from django.urls import reverse

ROLES = [
    "anonymous",
    "superuser",
    "province",
    "city",
    "west",
    "east",
    "unit_a",
    "unit_b",
    "evaluator",
    "idle_evaluator",
    "norole",
]

# Which records each role may open. "all" means every record of the test world.
CAN_SEE = {
    "superuser": {"campaign", "zone", "unit_a", "unit_b", "project_a", "project_b"},
    "province": {"campaign", "zone", "unit_a", "unit_b", "project_a", "project_b"},
    "city": {"campaign", "zone", "unit_a", "unit_b", "project_a", "project_b"},
    "west": {"campaign", "zone", "unit_a", "project_a"},
    "east": {"campaign", "zone", "unit_b", "project_b"},
    "unit_a": {"campaign", "zone", "unit_a", "project_a"},
    "unit_b": {"campaign", "zone", "unit_b", "project_b"},
    "evaluator": {"campaign", "zone", "unit_a", "project_a"},
    "idle_evaluator": set(),
    "norole": set(),
}

LIST_PAGES = ["home", "campaign-list", "zone-list", "unit-list", "project-list", "password_change"]
DETAIL_PAGES = {
    "campaign": "campaign-detail",
    "zone": "zone-detail",
    "unit_a": "unit-detail",
    "unit_b": "unit-detail",
    "project_a": "project-detail",
    "project_b": "project-detail",
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", LIST_PAGES)
def test_list_pages(world, client_for, role, page):
    response = client_for(role).get(reverse(page))
    if role == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("record", DETAIL_PAGES)
def test_detail_pages(world, client_for, role, record):
    url = reverse(DETAIL_PAGES[record], args=[getattr(world, record).pk])
    response = client_for(role).get(url)
    if role == "anonymous":
        assert response.status_code == 302
    elif record in CAN_SEE[role]:
        assert response.status_code == 200
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES[1:])
def test_list_pages_show_only_scope(world, client_for, role):
    client = client_for(role)
    units = client.get(reverse("unit-list")).content.decode()
    projects = client.get(reverse("project-list")).content.decode()
    for record, text, page in [
        ("unit_a", "西湖酒店", units),
        ("unit_b", "滨江电力", units),
        ("project_a", "酒店服务提升", projects),
        ("project_b", "峰会保电", projects),
    ]:
        assert (text in page) is (record in CAN_SEE[role]), (role, record)


ADMIN_STATUS = {
    # role: (admin index, project list, change project_a, change project_b, organisation add)
    "anonymous": (302, 302, 302, 302, 302),
    "superuser": (200, 200, 200, 200, 200),
    "province": (200, 200, 200, 200, 403),
    "city": (200, 200, 200, 200, 403),
    "west": (200, 200, 200, 302, 403),
    "east": (200, 200, 302, 200, 403),
    "unit_a": (302, 302, 302, 302, 302),
    "evaluator": (302, 302, 302, 302, 302),
    "norole": (302, 302, 302, 302, 302),
}


@pytest.mark.parametrize("role", ADMIN_STATUS)
def test_admin_pages(world, client_for, role):
    client = client_for(role)
    urls = [
        reverse("admin:index"),
        reverse("admin:competitions_project_changelist"),
        reverse("admin:competitions_project_change", args=[world.project_a.pk]),
        reverse("admin:competitions_project_change", args=[world.project_b.pk]),
        reverse("admin:competitions_organisation_add"),
    ]
    assert tuple(client.get(url).status_code for url in urls) == ADMIN_STATUS[role]


def test_admin_project_list_is_scoped(world, client_for):
    page = client_for("west").get(reverse("admin:competitions_project_changelist"))
    content = page.content.decode()
    assert "酒店服务提升" in content
    assert "峰会保电" not in content


def test_admin_unit_form_offers_only_own_subtree(world, client_for):
    page = client_for("west").get(reverse("admin:competitions_unit_add"))
    content = page.content.decode()
    assert "西湖区总工会" in content
    assert "滨江区总工会" not in content


def test_admin_staff_cannot_move_unit_outside_subtree(world, client_for):
    unit = world.unit_a
    data = {
        "name": unit.name,
        "credit_code": unit.credit_code,
        "ownership": unit.ownership,
        "industry": unit.industry,
        "size": unit.size,
        "organisation": world.east.pk,
        "address": "",
        "teams-TOTAL_FORMS": "0",
        "teams-INITIAL_FORMS": "0",
    }
    response = client_for("west").post(
        reverse("admin:competitions_unit_change", args=[unit.pk]), data
    )
    assert response.status_code == 200  # the form comes back with an error
    unit.refresh_from_db()
    assert unit.organisation == world.west


def test_history_shown_to_staff_only(world, client_for):
    from auditlog.context import set_actor

    with set_actor(world.users["west"]):
        world.project_a.title = "酒店服务再提升"
        world.project_a.save()
    url = reverse("project-detail", args=[world.project_a.pk])
    staff_page = client_for("west").get(url).content.decode()
    unit_page = client_for("unit_a").get(url).content.decode()
    assert "酒店服务提升 → 酒店服务再提升" in staff_page
    assert "酒店服务提升 → 酒店服务再提升" not in unit_page


# Pages of the declaration workflow: GET status per role. 302 for anonymous (login), 403 for a
# role that may not use the page; the unit without an approved registration is sent to
# register first (302).
WORKFLOW_PAGES = {
    "review-queue": {"superuser": 200, "province": 200, "city": 200, "west": 200, "east": 200},
    "registration-list": {
        "superuser": 200,
        "province": 200,
        "city": 200,
        "west": 200,
        "east": 200,
        "unit_a": 200,
        "unit_b": 200,
    },
    "declaration-create": {"unit_a": 302, "unit_b": 302},
    "unit-import": {"superuser": 200, "province": 200, "city": 200, "west": 200, "east": 200},
    "notification-list": dict.fromkeys(ROLES[1:], 200),
    "report-list": dict.fromkeys(ROLES[1:], 200),
    "report-grid": {"superuser": 200, "province": 200, "city": 200, "west": 200, "east": 200},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", WORKFLOW_PAGES)
def test_workflow_pages(world, client_for, role, page):
    response = client_for(role).get(reverse(page))
    if role == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == WORKFLOW_PAGES[page].get(role, 403)


@pytest.mark.parametrize("role", ROLES)
def test_signup_page_is_public_for_anonymous_only(world, client_for, role):
    response = client_for(role).get(reverse("signup"))
    assert response.status_code == (200 if role == "anonymous" else 302)


@pytest.mark.parametrize("role", ROLES)
def test_report_pages_follow_scope(world, client_for, role):
    import datetime

    from competitions.models import ProgressReport

    report = ProgressReport.objects.create(
        project=world.project_a,
        period_start=datetime.date(2026, 3, 1),
        period_end=datetime.date(2026, 3, 31),
        due_date=datetime.date(2026, 4, 5),
    )
    response = client_for(role).get(reverse("report-detail", args=[report.pk]))
    if role == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if "project_a" in CAN_SEE[role] else 404)


@pytest.mark.parametrize(
    "model",
    ["campaignregistration", "progressreport", "projecttransition", "milestone"],
)
@pytest.mark.parametrize(("role", "status"), [("west", 200), ("unit_a", 302), ("superuser", 200)])
def test_admin_lists_of_workflow_models(world, client_for, model, role, status):
    response = client_for(role).get(reverse(f"admin:competitions_{model}_changelist"))
    assert response.status_code == status
