"""Staff pages that set up scoring: criteria, weights, rules and evaluator assignments."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competitions.models import Organisation
from scoring.models import (
    Criterion,
    CriterionWeight,
    EvaluatorAssignment,
    ScoringRules,
    StageLock,
)
from scoring.services import check_grade_bands, copy_criteria_set, save_scores

from .. import factories as f


def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def liubi(world):
    copy_criteria_set(world.zone, "liubi", world.users["city"])
    return {c.code: c for c in Criterion.objects.filter(zone=world.zone)}


def pages(world):
    zone, stage = world.zone.pk, world.stage.pk
    return [
        reverse("scoring:setup"),
        reverse("scoring:criteria", args=[zone]),
        reverse("scoring:weights", args=[zone]),
        reverse("scoring:rules", args=[world.campaign.pk]),
        reverse("scoring:assignments", args=[zone, stage]),
    ]


# Permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["city", "province", "superuser"])
def test_setup_pages_open_to_the_campaigns_office(world, client_for, liubi, who):
    client = client_for(who)
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
    criterion = next(iter(liubi.values()))
    url = reverse("scoring:criterion-edit", args=[world.zone.pk, criterion.pk])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("who", ["west", "east", "unit_a", "unit_b", "evaluator", "norole"])
def test_setup_pages_refused_to_others(world, client_for, liubi, who):
    client = client_for(who)
    for url in pages(world)[1:]:
        assert client.get(url).status_code == 403, url
    criterion = next(iter(liubi.values()))
    url = reverse("scoring:criterion-edit", args=[world.zone.pk, criterion.pk])
    assert client.get(url).status_code == 403


def test_setup_pages_not_found_outside_the_users_scope(world, liubi):
    other = Organisation.objects.add_root({"name": "江苏省总工会", "kind": "province"})
    client = Client()
    client.force_login(f.UserFactory(role="organiser", organisation=other))
    for url in pages(world)[1:]:
        assert client.get(url).status_code == 404, url
    assert world.zone.name not in client.get(reverse("scoring:setup")).content.decode()


def test_setup_index_lists_only_zones_of_campaigns_one_runs(world, client_for):
    assert world.zone.name in client_for("city").get(reverse("scoring:setup")).content.decode()
    # West staff see the city's campaign but do not run it.
    west_page = client_for("west").get(reverse("scoring:setup")).content.decode()
    assert world.zone.name not in west_page
    assert client_for("anonymous").get(reverse("scoring:setup")).status_code == 302


@pytest.mark.parametrize("who", ["west", "unit_a", "evaluator"])
def test_setup_changes_refused_to_others(world, client_for, liubi, who):
    client = client_for(who)
    zone, stage = world.zone.pk, world.stage.pk
    quality = liubi["quality"]
    assignment = EvaluatorAssignment.objects.get()
    posts = [
        (reverse("scoring:criteria", args=[zone]), {"new-code": "x", "new-name": "X"}),
        (reverse("scoring:criteria-copy", args=[zone]), {"key": "wubi"}),
        (reverse("scoring:criterion-edit", args=[zone, quality.pk]), {"name": "改"}),
        (reverse("scoring:criterion-delete", args=[zone, quality.pk]), {}),
        (reverse("scoring:weights", args=[zone]), {"stage": stage}),
        (reverse("scoring:rules", args=[world.campaign.pk]), {"trim_threshold": 3}),
        (
            reverse("scoring:assignments-add", args=[zone, stage]),
            {"evaluator": world.users["idle_evaluator"].pk, "projects": world.project_b.pk},
        ),
        (
            reverse("scoring:assignments-auto", args=[zone, stage]),
            {"evaluators": world.users["idle_evaluator"].pk, "per_entry": 1},
        ),
        (reverse("scoring:assignment-remove", args=[assignment.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code in (403, 404), url
    assert Criterion.objects.filter(zone=world.zone).count() == 6
    assert Criterion.objects.get(pk=quality.pk).name == "比质量"
    assert not ScoringRules.objects.exists()
    assert list(EvaluatorAssignment.objects.all()) == [assignment]


# Criteria --------------------------------------------------------------------------------


def test_staff_add_a_criterion(world, client_for):
    client = english(client_for("city"))
    url = reverse("scoring:criteria", args=[world.zone.pk])
    response = client.post(
        url,
        {
            "new-code": "safety",
            "new-name": "安全记录",
            "new-kind": "measurement",
            "new-measure": "safety_record",
            "new-max_score": "50",
            "new-penalty_per_incident": "10",
            "new-order": "1",
        },
    )
    assert response.status_code == 302
    criterion = Criterion.objects.get(zone=world.zone, code="safety")
    assert (criterion.kind, criterion.measure, criterion.max_score) == (
        "measurement",
        "safety_record",
        Decimal("50"),
    )
    page = client.get(url).content.decode()
    assert "安全记录" in page and "Safety record" in page


def test_criterion_form_refuses_a_taken_code_and_a_measurement_without_measure(
    world, client_for, liubi
):
    client = english(client_for("city"))
    url = reverse("scoring:criteria", args=[world.zone.pk])
    base = {"new-name": "新指标", "new-max_score": "100", "new-order": "0"}
    taken = client.post(url, {**base, "new-code": "quality", "new-kind": "judgement"})
    assert "already has a criterion with this code" in taken.content.decode()
    no_measure = client.post(url, {**base, "new-code": "ratio", "new-kind": "measurement"})
    assert "needs a measure" in no_measure.content.decode()
    assert Criterion.objects.filter(zone=world.zone).count() == 6


def test_staff_edit_a_criterion_and_a_veto_item_loses_its_weights(world, client_for, liubi):
    client = client_for("city")
    integrity = liubi["integrity"]
    url = reverse("scoring:criterion-edit", args=[world.zone.pk, integrity.pk])
    response = client.post(
        url,
        {
            "code": "integrity",
            "name": "廉洁一票否决",
            "kind": "veto",
            "max_score": "100",
            "penalty_per_incident": "0",
            "order": "5",
        },
    )
    assert response.status_code == 302
    integrity.refresh_from_db()
    assert (integrity.name, integrity.kind) == ("廉洁一票否决", "veto")
    assert not CriterionWeight.objects.filter(criterion=integrity).exists()


def test_criteria_cannot_change_once_a_stage_is_locked(world, client_for, liubi):
    client = english(client_for("city"))
    StageLock.objects.create(zone=world.zone, stage=world.stage, locked_by=world.users["city"])
    quality = liubi["quality"]
    edit = client.post(
        reverse("scoring:criterion-edit", args=[world.zone.pk, quality.pk]),
        {
            "code": "quality",
            "name": "改名",
            "kind": "judgement",
            "max_score": "100",
            "penalty_per_incident": "0",
            "order": "0",
        },
    )
    assert "is locked" in edit.content.decode()
    added = client.post(
        reverse("scoring:criteria", args=[world.zone.pk]),
        {
            "new-code": "extra",
            "new-name": "加分",
            "new-kind": "judgement",
            "new-max_score": "10",
            "new-order": "9",
        },
    )
    assert "is locked" in added.content.decode()
    deleted = client.post(
        reverse("scoring:criterion-delete", args=[world.zone.pk, quality.pk]), follow=True
    )
    assert "is locked" in deleted.content.decode()
    copied = client.post(
        reverse("scoring:criteria-copy", args=[world.zone.pk]), {"key": "wubi"}, follow=True
    )
    assert "is locked" in copied.content.decode()
    assert sorted(Criterion.objects.filter(zone=world.zone).values_list("code", "name")) == sorted(
        (c.code, c.name) for c in liubi.values()
    )


def test_a_scored_criterion_is_neither_deleted_nor_changes_kind(world, client_for, liubi):
    client = english(client_for("city"))
    assignment = EvaluatorAssignment.objects.get()
    save_scores(assignment, {liubi["quality"]: "80"}, world.users["evaluator"])
    deleted = client.post(
        reverse("scoring:criterion-delete", args=[world.zone.pk, liubi["quality"].pk]),
        follow=True,
    )
    assert "already has scores or vetoes" in deleted.content.decode()
    changed = client.post(
        reverse("scoring:criterion-edit", args=[world.zone.pk, liubi["quality"].pk]),
        {"code": "quality", "name": "比质量", "kind": "veto", "max_score": "100", "order": "0"},
    )
    assert "its kind cannot change" in changed.content.decode()
    assert Criterion.objects.get(pk=liubi["quality"].pk).kind == "judgement"
    client.post(reverse("scoring:criterion-delete", args=[world.zone.pk, liubi["safety"].pk]))
    assert not Criterion.objects.filter(pk=liubi["safety"].pk).exists()


def test_staff_copy_a_common_set(world, client_for):
    client = client_for("city")
    client.post(reverse("scoring:criteria-copy", args=[world.zone.pk]), {"key": "sanbisansai"})
    assert Criterion.objects.filter(zone=world.zone).count() == 3
    assert sum(w.weight for w in CriterionWeight.objects.filter(stage=world.stage)) == 1


# Weights ---------------------------------------------------------------------------------


def weights_post(world, liubi, values):
    data = {"stage": world.stage.pk}
    for code, value in values.items():
        data[f"stage{world.stage.pk}-c{liubi[code].pk}"] = value
    return data


def test_weights_not_adding_up_to_one_are_refused_and_nothing_saved(world, client_for, liubi):
    client = english(client_for("city"))
    before = sorted(CriterionWeight.objects.values_list("criterion_id", "weight"))
    values = dict.fromkeys(liubi, "0.2")  # 1.2
    response = client.post(
        reverse("scoring:weights", args=[world.zone.pk]), weights_post(world, liubi, values)
    )
    assert response.status_code == 200
    assert "must add up to 1" in response.content.decode()
    assert sorted(CriterionWeight.objects.values_list("criterion_id", "weight")) == before


def test_weights_out_of_range_are_refused(world, client_for, liubi):
    client = english(client_for("city"))
    values = {**dict.fromkeys(liubi, "0"), "quality": "1.5", "safety": "-0.5"}
    response = client.post(
        reverse("scoring:weights", args=[world.zone.pk]), weights_post(world, liubi, values)
    )
    assert response.status_code == 200
    assert CriterionWeight.objects.get(criterion=liubi["quality"]).weight != Decimal("1.5")


def test_weights_adding_up_to_one_are_saved(world, client_for, liubi):
    client = client_for("city")
    values = {
        "progress": "0.3",
        "quality": "0.2",
        "safety": "0.2",
        "efficiency": "0.1",
        "innovation": "0.1",
        "integrity": "0.1",
    }
    response = client.post(
        reverse("scoring:weights", args=[world.zone.pk]), weights_post(world, liubi, values)
    )
    assert response.status_code == 302
    saved = dict(
        CriterionWeight.objects.filter(stage=world.stage).values_list("criterion__code", "weight")
    )
    assert saved == {code: Decimal(value) for code, value in values.items()}


def test_weights_of_a_locked_stage_are_kept(world, client_for, liubi):
    client = english(client_for("city"))
    StageLock.objects.create(zone=world.zone, stage=world.stage, locked_by=world.users["city"])
    before = sorted(CriterionWeight.objects.values_list("criterion_id", "weight"))
    values = {**dict.fromkeys(liubi, "0"), "quality": "1"}
    response = client.post(
        reverse("scoring:weights", args=[world.zone.pk]), weights_post(world, liubi, values)
    )
    assert "locked" in response.content.decode()
    assert sorted(CriterionWeight.objects.values_list("criterion_id", "weight")) == before


# Scoring rules ---------------------------------------------------------------------------


def rules_post(**overrides):
    data = {
        "trim_threshold": "5",
        "spread_threshold_percent": "20",
        "failing_grade": "不达标",
        "tie_break_0": "",
        "tie_break_1": "",
        "bands-TOTAL_FORMS": "4",
        "bands-INITIAL_FORMS": "0",
        "bands-MIN_NUM_FORMS": "0",
        "bands-MAX_NUM_FORMS": "1000",
    }
    bands = overrides.pop("bands", [])
    for position, (lowest, name) in enumerate(bands):
        data[f"bands-{position}-lowest"] = lowest
        data[f"bands-{position}-name"] = name
    data.update(overrides)
    return data


def test_staff_save_the_scoring_rules(world, client_for, liubi):
    client = client_for("city")
    url = reverse("scoring:rules", args=[world.campaign.pk])
    response = client.post(
        url,
        rules_post(
            trim_threshold="7",
            tie_break_0="safety",
            tie_break_1="quality",
            bands=[("95", "优秀"), ("90.5", "良好"), ("80", "达标"), ("0", "不达标")],
        ),
    )
    assert response.status_code == 302
    rules = ScoringRules.objects.get(campaign=world.campaign)
    assert rules.trim_threshold == 7
    assert rules.tie_break_codes == ["safety", "quality"]
    assert rules.grade_bands == [["95", "优秀"], ["90.5", "良好"], ["80", "达标"], ["0", "不达标"]]
    page = client.get(url).content.decode()
    assert 'value="90.5"' in page and "良好" in page


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([("90", "良好"), ("95", "优秀")], "below the one before"),
        ([("90", "良好"), ("90", "达标")], "below the one before"),
        ([("101", "超优")], "from 0 to 100"),
        ([("-1", "负")], "from 0 to 100"),
        ([("abc", "优秀")], "from 0 to 100"),
        ([("80", "")], "needs a name"),
    ],
)
def test_bad_grade_bands_are_refused_and_nothing_saved(world, client_for, liubi, bands, message):
    client = english(client_for("city"))
    response = client.post(
        reverse("scoring:rules", args=[world.campaign.pk]), rules_post(bands=bands)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ScoringRules.objects.exists()


def test_tie_break_criteria_are_listed_once(world, client_for, liubi):
    client = english(client_for("city"))
    response = client.post(
        reverse("scoring:rules", args=[world.campaign.pk]),
        rules_post(tie_break_0="safety", tie_break_1="safety"),
    )
    assert "once" in response.content.decode()
    assert not ScoringRules.objects.exists()


def test_trim_threshold_cannot_change_once_a_stage_is_locked(world, client_for, liubi):
    client = english(client_for("city"))
    StageLock.objects.create(zone=world.zone, stage=world.stage, locked_by=world.users["city"])
    url = reverse("scoring:rules", args=[world.campaign.pk])
    response = client.post(url, rules_post(trim_threshold="3"))
    assert "trimming rule can no longer change" in response.content.decode()
    assert not ScoringRules.objects.exists()
    assert client.post(url, rules_post(bands=[("60", "合格")])).status_code == 302


def test_check_grade_bands_normalises_and_lists_every_problem():
    assert check_grade_bands([("95.0", " 优秀 "), ("0", "不达标")]) == [
        ["95", "优秀"],
        ["0", "不达标"],
    ]
    assert check_grade_bands([]) == []
    with pytest.raises(ValidationError) as caught:
        check_grade_bands([("90", ""), ("NaN", "x"), ("95", "优秀"), ("80.123", "y")])
    assert len(caught.value.messages) == 4


# Assignments -----------------------------------------------------------------------------


def test_assignment_page_lists_entries_with_their_evaluators(world, client_for):
    client = client_for("city")
    f.ProjectFactory(zone=world.zone, unit=world.unit_b, title="草稿项目", status="draft")
    page = client.get(reverse("scoring:assignments", args=[world.zone.pk, world.stage.pk]))
    html = page.content.decode()
    assert world.project_a.title in html and world.project_b.title in html
    assert "草稿项目" not in html  # not an entry
    assert [(p.pk, len(p.stage_assignments)) for p in page.context["entries"]] == sorted(
        [(world.project_a.pk, 1), (world.project_b.pk, 0)],
        key=lambda row: row[0] != world.project_b.pk,  # by unit name: 滨江 before 西湖
    )


def test_manual_assignment_reports_each_refused_pair(world, client_for):
    client = english(client_for("city"))
    west_evaluator = f.UserFactory(role="evaluator", organisation=world.west)
    response = client.post(
        reverse("scoring:assignments-add", args=[world.zone.pk, world.stage.pk]),
        {"evaluator": west_evaluator.pk, "projects": [world.project_a.pk, world.project_b.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "assigned to 1 entries" in html
    assert world.project_a.title in html and "own union organisation" in html
    assert list(
        EvaluatorAssignment.objects.filter(evaluator=west_evaluator).values_list(
            "project_id", flat=True
        )
    ) == [world.project_b.pk]


def test_manual_assignment_refused_on_a_locked_stage(world, client_for):
    client = english(client_for("city"))
    StageLock.objects.create(zone=world.zone, stage=world.stage, locked_by=world.users["city"])
    response = client.post(
        reverse("scoring:assignments-add", args=[world.zone.pk, world.stage.pk]),
        {"evaluator": world.users["idle_evaluator"].pk, "projects": [world.project_b.pk]},
        follow=True,
    )
    assert "is locked" in response.content.decode()
    assert EvaluatorAssignment.objects.count() == 1


def test_remove_an_assignment_unless_scores_are_submitted_or_the_stage_locked(
    world, client_for, liubi
):
    client = english(client_for("city"))
    assignment = EvaluatorAssignment.objects.get()
    url = reverse("scoring:assignment-remove", args=[assignment.pk])
    save_scores(
        assignment, dict.fromkeys(liubi.values(), "80"), world.users["evaluator"], submit=True
    )
    refused = client.post(url, follow=True)
    assert "has submitted scores" in refused.content.decode()
    assert EvaluatorAssignment.objects.filter(pk=assignment.pk).exists()

    other = EvaluatorAssignment.objects.create(
        evaluator=world.users["idle_evaluator"], project=world.project_b, stage=world.stage
    )
    StageLock.objects.create(zone=world.zone, stage=world.stage, locked_by=world.users["city"])
    url = reverse("scoring:assignment-remove", args=[other.pk])
    assert "is locked" in client.post(url, follow=True).content.decode()
    StageLock.objects.all().delete()
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "scoring:assignments", args=[world.zone.pk, world.stage.pk]
    )
    assert not EvaluatorAssignment.objects.filter(pk=other.pk).exists()


def test_automatic_assignment_from_the_page_reports_shortfalls(world, client_for):
    client = english(client_for("city"))
    west_evaluator = f.UserFactory(role="evaluator", organisation=world.west)
    response = client.post(
        reverse("scoring:assignments-auto", args=[world.zone.pk, world.stage.pk]),
        {"evaluators": [west_evaluator.pk], "per_entry": 1},
        follow=True,
    )
    html = response.content.decode()
    assert "1 assignments made; 0 of 2 entries are left short" in html
    assert EvaluatorAssignment.objects.filter(
        evaluator=west_evaluator, project=world.project_b
    ).exists()
    response = client.post(
        reverse("scoring:assignments-auto", args=[world.zone.pk, world.stage.pk]),
        {"evaluators": [west_evaluator.pk], "per_entry": 2},
        follow=True,
    )
    html = response.content.decode()
    assert "0 assignments made; 2 of 2 entries are left short" in html
    assert "1 have a conflict of interest" in html


def test_assignment_page_queries_do_not_grow_with_the_entries(world, client_for):
    client = client_for("city")
    zone = f.ZoneFactory(campaign=world.campaign)
    evaluator = f.UserFactory(role="evaluator")
    url = reverse("scoring:assignments", args=[zone.pk, world.stage.pk])

    def add_entry():
        project = f.ProjectFactory(zone=zone, unit=f.UnitFactory(organisation=world.east))
        EvaluatorAssignment.objects.create(evaluator=evaluator, project=project, stage=world.stage)

    add_entry()
    client.get(url)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(19):
        add_entry()
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(url)
    assert len(response.context["entries"]) == 20
    assert len(one) == len(twenty), [q["sql"] for q in twenty.captured_queries]
