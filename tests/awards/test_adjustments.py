"""Staff additions, unit nominations, instant honours and the certificates they lead to."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from awards import services
from awards.models import Certificate, HonourListEntry, HonourType, InstantHonour
from competitions.models import Campaign

from .. import factories as f
from .conftest import EXAMPLE_2

MONDAY = datetime.date(2026, 3, 2)


def confirmed_list(world, ranking, honour, **rule):
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(**rule))
    published = services.publish(honour_list, world.users["city"], MONDAY)
    return services.confirm(
        published, world.users["city"], today=published.notice_end + datetime.timedelta(days=1)
    )


def test_confirm_issues_numbered_certificates_in_rank_order(world, ranking, honour):
    confirmed = confirmed_list(world, ranking, honour, quota=2, min_score="85")
    certificates = list(Certificate.objects.filter(entry__honour_list=confirmed))
    year = world.campaign.start_date.year
    assert [(c.serial, c.recipient_name, c.honour_name) for c in certificates] == [
        (1, "单位A", "先进集体"),
        (2, "单位B", "先进集体"),
    ]
    assert certificates[0].number == f"{year}-{world.campaign.pk:04d}-00001"
    assert certificates[0].list_version == 1
    assert certificates[0].issuer_name == "杭州市总工会"
    assert certificates[0].campaign_title == "服务峰会立功竞赛"
    codes = {c.verification_code for c in certificates}
    assert len(codes) == 2 and all(len(code) == 12 for code in codes)
    # Issuing again gives nobody a second certificate.
    assert services.issue_certificates(confirmed) == []


def test_staff_add_entry_needs_reason_and_fitting_recipient(world, ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(quota=2, min_score="85"))
    staff = world.users["city"]
    with pytest.raises(ValidationError, match="reason"):
        services.add_entry(honour_list, staff, " ", unit=world.unit_a)
    with pytest.raises(PermissionDenied):
        services.add_entry(honour_list, world.users["unit_a"], "补充", unit=world.unit_a)
    outsider = f.UnitFactory(name="未参赛单位", organisation=world.west)
    with pytest.raises(ValidationError, match="no project"):
        services.add_entry(honour_list, staff, "补充", unit=outsider)
    entry = services.add_entry(
        honour_list, staff, "抢险表现突出", unit=world.unit_a, project=world.project_a
    )
    assert entry.source == HonourListEntry.Source.ADDED and entry.reason == "抢险表现突出"
    with pytest.raises(ValidationError, match="already on the list"):
        services.add_entry(honour_list, staff, "再次", unit=world.unit_a)
    assert honour_list.entries.filter(removed_at__isnull=True).count() == 3


def test_unit_nominates_person_for_its_own_entry_only(world, ranking, honour):
    projects = ranking({"A": ["92"], "B": ["90"]}, units={"A": world.unit_a, "B": world.unit_b})
    assert projects
    honour_list = services.generate(honour("五一劳动奖章", quota=2))
    entry_a = honour_list.entries.get(unit=world.unit_a)
    assert entry_a.person is None and entry_a.recipient_key.startswith("project:")
    li_na = world.unit_a.people.get(name="李娜")
    zhang = world.unit_b.people.get(name="张强")
    with pytest.raises(PermissionDenied):
        services.nominate(entry_a, world.users["unit_b"], person=li_na)
    with pytest.raises(ValidationError, match="work for the unit"):
        services.nominate(entry_a, world.users["unit_a"], person=zhang)
    entry = services.nominate(entry_a, world.users["unit_a"], person=li_na)
    assert entry.person == li_na and entry.recipient_key == f"person:{li_na.pk}"
    assert entry.nominated_by == world.users["unit_a"] and entry.nominated_at
    services.nominate(honour_list.entries.get(unit=world.unit_b), world.users["city"], person=zhang)
    services.publish(honour_list, world.users["city"], MONDAY)
    with pytest.raises(ValidationError, match="close"):
        services.nominate(entry_a, world.users["unit_a"], person=li_na)


def test_instant_honour_gets_a_certificate_at_once(world):
    world.campaign.status = Campaign.Status.ACTIVE
    world.campaign.save()
    medal = HonourType.objects.get(name="五一劳动奖章")
    li_na = world.unit_a.people.get(name="李娜")
    staff = world.users["city"]
    with pytest.raises(ValidationError, match="reason"):
        services.award_instant(world.campaign, medal, staff, "", unit=world.unit_a, person=li_na)
    with pytest.raises(ValidationError, match="person"):
        services.award_instant(world.campaign, medal, staff, "救人", unit=world.unit_a)
    with pytest.raises(PermissionDenied):
        services.award_instant(
            world.campaign, medal, world.users["east"], "救人", unit=world.unit_a, person=li_na
        )
    assert not InstantHonour.objects.exists()
    honour = services.award_instant(
        world.campaign, medal, staff, "峰会期间勇救落水群众", unit=world.unit_a, person=li_na
    )
    certificate = honour.certificate
    assert certificate.recipient_name == "李娜" and certificate.unit_name == "西湖酒店"
    assert certificate.serial == 1 and certificate.list_version is None


def test_instant_honour_refused_outside_a_running_campaign(world):
    world.campaign.status = Campaign.Status.CLOSED
    world.campaign.save()
    with pytest.raises(ValidationError, match="running"):
        services.award_instant(
            world.campaign,
            HonourType.objects.get(name="先进集体"),
            world.users["city"],
            "表现突出",
            unit=world.unit_a,
        )
    assert not Certificate.objects.exists()
