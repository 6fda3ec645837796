import datetime
import itertools

import factory
from django.contrib.auth import get_user_model

from competitions.demo import org_code_check_char
from competitions.models import Campaign, Organisation, Person, Project, Stage, Team, Unit, Zone
from competitions.validators import credit_code_check_char

PASSWORD = "test-password-123"
_codes = itertools.count(1)


def valid_credit_code() -> str:
    org8 = f"TM{next(_codes):06d}"
    body = f"91330100{org8}{org_code_check_char(org8)}"
    return body + credit_code_check_char(body)


def organisation(name, kind="district", parent=None) -> Organisation:
    fields = {"name": name, "kind": kind}
    if parent is None:
        return Organisation.objects.add_root(fields)
    node = Organisation.objects.add_child(parent, fields)
    parent.refresh_from_db()
    return node


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    title = factory.Sequence(lambda n: f"竞赛活动{n}")
    start_date = datetime.date(2026, 1, 1)
    end_date = datetime.date(2026, 12, 31)
    status = Campaign.Status.ACTIVE


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"赛区{n}")
    dimensions = ["比质量", "比安全"]


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"阶段{n}")
    start_date = datetime.date(2026, 1, 1)
    end_date = datetime.date(2026, 6, 30)
    weight = "0.5"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"参赛单位{n}")
    credit_code = factory.LazyFunction(valid_credit_code)
    ownership = Unit.Ownership.STATE
    industry = "建筑业"
    size = Unit.Size.MEDIUM


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"班组{n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"职工{n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    zone = factory.SubFactory(ZoneFactory)
    campaign = factory.SelfAttribute("zone.campaign")
    unit = factory.SubFactory(UnitFactory)
    title = factory.Sequence(lambda n: f"竞赛项目{n}")
    status = Project.Status.RUNNING


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()
