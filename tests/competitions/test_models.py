import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from competitions.models import Organisation, Stage

from .. import factories as f


def test_organisation_subtree_is_one_prefix_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = set(
            Organisation.objects.filter(path__startswith=world.city.path).values_list(
                "name", flat=True
            )
        )
    assert names == {"杭州市总工会", "西湖区总工会", "滨江区总工会"}


def test_stage_weight_outside_0_1_is_refused_by_database(world):
    with pytest.raises(IntegrityError):
        Stage.objects.create(
            campaign=world.campaign,
            name="超权重",
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 2, 1),
            weight="1.5",
        )


def test_campaign_end_before_start_is_refused_by_database(world):
    with pytest.raises(IntegrityError):
        f.CampaignFactory(
            organiser=world.city,
            start_date=datetime.date(2026, 5, 1),
            end_date=datetime.date(2026, 4, 1),
        )


def test_unit_duplicate_credit_code_is_refused(world):
    with pytest.raises(IntegrityError):
        f.UnitFactory(organisation=world.west, credit_code=world.unit_a.credit_code)


def test_unit_bad_credit_code_fails_full_clean(world):
    unit = f.UnitFactory.build(organisation=world.west, credit_code="91440300708461136X")
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "credit_code" in error.value.message_dict


def test_project_zone_of_other_campaign_fails_clean(world):
    other_zone = f.ZoneFactory(campaign=f.CampaignFactory(organiser=world.city))
    project = f.ProjectFactory.build(
        campaign=world.campaign, zone=other_zone, unit=world.unit_a, title="错配"
    )
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert "zone" in error.value.message_dict


def test_person_team_of_other_unit_fails_clean(world):
    team_b = f.TeamFactory(unit=world.unit_b)
    person = f.PersonFactory.build(unit=world.unit_a, team=team_b, name="错组")
    with pytest.raises(ValidationError) as error:
        person.full_clean()
    assert "team" in error.value.message_dict


def test_user_organiser_without_organisation_is_refused_by_database(db):
    with pytest.raises(IntegrityError):
        f.UserFactory(role="organiser")


def test_user_liaison_without_unit_is_refused_by_database(db):
    with pytest.raises(IntegrityError):
        f.UserFactory(role="unit")


def test_project_changes_are_audited_with_actor(world, client_for):
    from auditlog.context import set_actor
    from auditlog.models import LogEntry

    user = world.users["west"]
    with set_actor(user):
        world.project_a.title = "酒店服务再提升"
        world.project_a.save()
    entry = LogEntry.objects.get_for_object(world.project_a).first()
    assert entry.actor == user
    assert entry.changes_dict["title"] == ["酒店服务提升", "酒店服务再提升"]
