from io import StringIO

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import call_command

from competitions import queries
from competitions.demo import DEMO_PASSWORD
from competitions.models import Campaign, Organisation, Person, Project, Stage, Unit, Zone
from competitions.validators import validate_credit_code
from scoring.models import EvaluatorAssignment

MODELS = [Organisation, Campaign, Zone, Stage, Unit, Person, Project, EvaluatorAssignment]


def _snapshot():
    return {
        "counts": {model.__name__: model.objects.count() for model in MODELS},
        "users": get_user_model().objects.count(),
        "log": LogEntry.objects.count(),
        "updated": list(Project.objects.order_by("pk").values_list("updated_at", flat=True)),
    }


def test_seed_demo_builds_the_g20_campaign(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    campaign = Campaign.objects.get(title="服务G20杭州峰会立功竞赛")
    assert campaign.organiser.name == "杭州市总工会"
    assert {o.name for o in campaign.co_organisers.all()} == {
        "浙江省总工会",
        "G20杭州峰会筹备工作领导小组办公室",
    }
    zones = list(campaign.zones.order_by("order"))
    assert [z.name for z in zones] == ["场馆建设", "环境整治", "服务保障", "活动组织", "安全保卫"]
    assert zones[0].dimensions_label == "六比" and len(zones[0].dimensions) == 6
    assert zones[1].dimensions_label == "三比三赛"
    assert zones[3].dimensions_label == "五比" and len(zones[3].dimensions) == 5
    assert [s.name for s in campaign.stages.order_by("order")] == ["筹备初期", "决战期"]
    assert Unit.objects.count() >= 30
    for unit in Unit.objects.all():
        validate_credit_code(unit.credit_code)
    assert {p.status for p in Project.objects.all()} >= {
        "draft",
        "submitted",
        "returned",
        "approved",
        "running",
        "completed",
        "rejected",
    }
    assert "jingsai-demo-2016" in out.getvalue()


def test_seed_demo_twice_changes_nothing(db):
    call_command("seed_demo", stdout=StringIO())
    first = _snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert _snapshot() == first


def test_seed_demo_users_log_in_and_see_their_scope(db, client):
    call_command("seed_demo", stdout=StringIO())
    User = get_user_model()
    for username in [
        "admin",
        "province",
        "city",
        "xihu",
        "binjiang",
        "hotel",
        "builder",
        "evaluator",
    ]:
        assert client.login(username=username, password=DEMO_PASSWORD), username
    xihu = User.objects.get(username="xihu")
    assert all(
        u.organisation.name == "西湖区总工会"
        for u in queries.units_for_user(xihu).select_related("organisation")
    )
    hotel = User.objects.get(username="hotel")
    assert list(queries.units_for_user(hotel)) == [hotel.unit]
    evaluator = User.objects.get(username="evaluator")
    assert (
        queries.projects_for_user(evaluator).count()
        == (EvaluatorAssignment.objects.filter(evaluator=evaluator).count())
        > 0
    )
