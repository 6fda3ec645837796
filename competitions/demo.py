"""The G20 demo campaign (服务G20杭州峰会立功竞赛), built idempotently.

Every record is looked up by its natural key and only created when missing, so running
``seed_demo`` again changes nothing.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import (
    Campaign,
    CampaignRegistration,
    Milestone,
    Organisation,
    Person,
    ProgressReport,
    Project,
    ProjectTransition,
    Stage,
    Team,
    Unit,
    Zone,
)
from .validators import CREDIT_CODE_CHARSET, credit_code_check_char, id_number_check_char

DEMO_PASSWORD = "jingsai-demo-2016"

ORGANISATIONS = [
    # (name, kind, parent name)
    ("中华全国总工会", "national", None),
    ("浙江省总工会", "province", "中华全国总工会"),
    ("杭州市总工会", "city", "浙江省总工会"),
    ("上城区总工会", "district", "杭州市总工会"),
    ("西湖区总工会", "district", "杭州市总工会"),
    ("滨江区总工会", "district", "杭州市总工会"),
    ("萧山区总工会", "district", "杭州市总工会"),
    ("杭州市建设工会", "industry", "杭州市总工会"),
    ("杭州市财贸工会", "industry", "杭州市总工会"),
    ("杭州市教科文卫工会", "industry", "杭州市总工会"),
    ("G20杭州峰会筹备工作领导小组办公室", "other", None),
]

REGION_CODES = {
    "浙江省总工会": "330000",
    "杭州市总工会": "330100",
    "上城区总工会": "330102",
    "西湖区总工会": "330106",
    "滨江区总工会": "330108",
    "萧山区总工会": "330109",
    "杭州市建设工会": "330100",
    "杭州市财贸工会": "330100",
    "杭州市教科文卫工会": "330100",
}

ZONES = [
    # (name, slogan, dimensions label, dimensions)
    (
        "场馆建设",
        "最高标准、最快速度、最实作风、最佳效果",
        "六比",
        ["比质量", "比安全", "比进度", "比效益", "比创新", "比廉洁"],
    ),
    (
        "环境整治",
        "美化城市环境、服务峰会召开",
        "三比三赛",
        [
            "比环境保护、赛节能减排",
            "比工程管理、赛和谐创建",
            "比团结协作、赛精神风貌",
        ],
    ),
    ("服务保障", "创一流、树形象、优服务", "", ["创一流", "树形象", "优服务"]),
    ("活动组织", "精心组织、精彩呈现", "五比", ["比业务", "比协作", "比创新", "比奉献", "比成效"]),
    ("安全保卫", "保平安、促和谐", "", ["保平安", "促和谐"]),
]

STAGES = [
    ("筹备初期", 1, datetime.date(2015, 9, 1), datetime.date(2016, 5, 31), "0.4000"),
    ("决战期", 2, datetime.date(2016, 6, 1), datetime.date(2016, 9, 10), "0.6000"),
]


@dataclass(frozen=True)
class DemoUnit:
    name: str
    zone: str
    organisation: str
    ownership: str
    industry: str
    size: str
    projects: tuple[tuple[str, str], ...]  # (title, status)


UNITS = [
    DemoUnit(
        "杭州国际博览中心运营有限公司",
        "场馆建设",
        "萧山区总工会",
        "state",
        "会展业",
        "large",
        (("博览中心主会场改造提升工程", "running"), ("博览中心屋顶花园建设", "completed")),
    ),
    DemoUnit(
        "浙江钱塘建设集团有限公司",
        "场馆建设",
        "杭州市建设工会",
        "state",
        "建筑业",
        "large",
        (("主会场周边道路综合改造", "running"), ("峰会新闻中心钢结构安装", "submitted")),
    ),
    DemoUnit(
        "杭州西湖国宾馆",
        "场馆建设",
        "西湖区总工会",
        "state",
        "住宿业",
        "medium",
        (("国宾馆接待楼装修改造", "approved"),),
    ),
    DemoUnit(
        "杭州奥体场馆建设工程有限公司",
        "场馆建设",
        "滨江区总工会",
        "state",
        "建筑业",
        "large",
        (("奥体中心文艺演出场馆提升", "running"),),
    ),
    DemoUnit(
        "杭州之江装饰工程有限公司",
        "场馆建设",
        "杭州市建设工会",
        "private",
        "建筑装饰业",
        "medium",
        (("会议场馆室内精装修", "returned"),),
    ),
    DemoUnit(
        "杭州江南建筑设计研究院有限公司",
        "场馆建设",
        "杭州市建设工会",
        "private",
        "工程设计",
        "medium",
        (("场馆改造设计优化攻关", "draft"),),
    ),
    DemoUnit(
        "杭州市市容环境卫生服务中心",
        "环境整治",
        "上城区总工会",
        "institution",
        "环境卫生",
        "large",
        (("主城区道路保洁提质行动", "running"),),
    ),
    DemoUnit(
        "杭州园林绿化股份有限公司",
        "环境整治",
        "西湖区总工会",
        "private",
        "园林绿化",
        "medium",
        (("西湖沿线景观提升工程", "running"), ("峰会花卉布置保障", "submitted")),
    ),
    DemoUnit(
        "杭州市排水有限公司",
        "环境整治",
        "杭州市建设工会",
        "state",
        "水务",
        "large",
        (("城区截污纳管攻坚", "completed"),),
    ),
    DemoUnit(
        "杭州市交通工程养护有限公司",
        "环境整治",
        "杭州市建设工会",
        "state",
        "交通运输",
        "medium",
        (("峰会线路路面整治", "running"),),
    ),
    DemoUnit(
        "杭州环境监测技术有限公司",
        "环境整治",
        "滨江区总工会",
        "private",
        "环境监测",
        "small",
        (("大气质量实时监测保障", "rejected"),),
    ),
    DemoUnit(
        "杭州运河综合保护开发建设集团有限公司",
        "环境整治",
        "上城区总工会",
        "state",
        "水利",
        "large",
        (("运河沿岸环境整治", "approved"),),
    ),
    DemoUnit(
        "杭州西子湖大酒店有限公司",
        "服务保障",
        "西湖区总工会",
        "private",
        "住宿业",
        "medium",
        (("峰会接待酒店服务提升", "running"), ("客房服务技能比武", "draft")),
    ),
    DemoUnit(
        "杭州公共交通集团有限公司",
        "服务保障",
        "杭州市财贸工会",
        "state",
        "交通运输",
        "large",
        (("峰会公交运输保障", "running"),),
    ),
    DemoUnit(
        "杭州市第一人民医院",
        "服务保障",
        "杭州市教科文卫工会",
        "institution",
        "卫生",
        "large",
        (("峰会医疗保障定点服务", "running"),),
    ),
    DemoUnit(
        "杭州西湖风景名胜区景区服务有限公司",
        "服务保障",
        "西湖区总工会",
        "state",
        "旅游业",
        "medium",
        (("景区文明服务窗口创建", "submitted"),),
    ),
    DemoUnit(
        "杭州湖滨商业步行街管理有限公司",
        "服务保障",
        "上城区总工会",
        "private",
        "商业",
        "small",
        (("湖滨商圈优质服务竞赛", "withdrawn"),),
    ),
    DemoUnit(
        "杭州市疾病预防控制中心",
        "服务保障",
        "杭州市教科文卫工会",
        "institution",
        "卫生",
        "medium",
        (("峰会公共卫生防疫保障", "completed"),),
    ),
    DemoUnit(
        "杭州文化广播电视集团",
        "活动组织",
        "杭州市教科文卫工会",
        "state",
        "文化传媒",
        "large",
        (("峰会新闻直播技术保障", "running"),),
    ),
    DemoUnit(
        "杭州会展服务有限公司",
        "活动组织",
        "萧山区总工会",
        "private",
        "会展业",
        "small",
        (("会务接待流程标准化", "approved"),),
    ),
    DemoUnit(
        "杭州演艺集团有限公司",
        "活动组织",
        "杭州市教科文卫工会",
        "state",
        "文艺演出",
        "medium",
        (("文艺晚会演出保障", "running"),),
    ),
    DemoUnit(
        "杭州国际会议接待服务中心",
        "活动组织",
        "上城区总工会",
        "institution",
        "会务服务",
        "medium",
        (("会议同传与礼宾服务", "submitted"),),
    ),
    DemoUnit(
        "杭州日报报业集团",
        "活动组织",
        "杭州市教科文卫工会",
        "state",
        "新闻出版",
        "large",
        (("峰会宣传报道攻坚", "completed"),),
    ),
    DemoUnit(
        "杭州博雅翻译服务有限公司",
        "活动组织",
        "滨江区总工会",
        "private",
        "商务服务",
        "micro",
        (("多语种翻译服务保障", "draft"),),
    ),
    DemoUnit(
        "杭州市公安局西湖区分局",
        "安全保卫",
        "西湖区总工会",
        "government",
        "公共安全",
        "large",
        (("西湖核心区安保执勤", "running"),),
    ),
    DemoUnit(
        "杭州市消防救援支队上城大队",
        "安全保卫",
        "上城区总工会",
        "government",
        "消防",
        "medium",
        (("会场消防安全排查", "running"),),
    ),
    DemoUnit(
        "杭州保安服务有限公司",
        "安全保卫",
        "杭州市财贸工会",
        "state",
        "安保服务",
        "large",
        (("峰会场馆安检服务", "approved"),),
    ),
    DemoUnit(
        "杭州市特种设备检测研究院",
        "安全保卫",
        "滨江区总工会",
        "institution",
        "检验检测",
        "medium",
        (("电梯与锅炉安全大检查", "running"),),
    ),
    DemoUnit(
        "杭州燃气集团有限公司",
        "安全保卫",
        "杭州市建设工会",
        "state",
        "燃气",
        "large",
        (("燃气管网隐患大排查", "running"), ("应急抢修技能比武", "returned")),
    ),
    DemoUnit(
        "国网杭州供电公司",
        "安全保卫",
        "滨江区总工会",
        "state",
        "电力",
        "large",
        (("峰会保电攻坚", "running"),),
    ),
]

USERS = [
    # (username, display name, role, organisation, unit, is_superuser)
    ("admin", "系统管理员", "", None, None, True),
    ("province", "省总工会 · 王敏", "organiser", "浙江省总工会", None, False),
    ("city", "市总工会 · 陈立", "organiser", "杭州市总工会", None, False),
    ("xihu", "西湖区总工会 · 周婷", "organiser", "西湖区总工会", None, False),
    ("binjiang", "滨江区总工会 · 吴刚", "organiser", "滨江区总工会", None, False),
    ("hotel", "西子湖大酒店 · 李娜", "unit", None, "杭州西子湖大酒店有限公司", False),
    ("builder", "钱塘建设 · 张强", "unit", None, "浙江钱塘建设集团有限公司", False),
    ("evaluator", "评委 · 赵教授", "evaluator", "萧山区总工会", None, False),
    # External experts (no union organisation): they have scored the first zone already.
    ("expert1", "评委 · 钱高工", "evaluator", None, None, False),
    ("expert2", "评委 · 孙总工", "evaluator", None, None, False),
    ("expert3", "评委 · 李监理", "evaluator", None, None, False),
    ("expert4", "评委 · 周教授", "evaluator", None, None, False),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文斌",
    "晓东",
    "海燕",
]
TRADES = [
    "钢筋工",
    "电工",
    "焊工",
    "架子工",
    "木工",
    "服务员",
    "厨师",
    "驾驶员",
    "保安员",
    "检验员",
]


def org_code_check_char(first8: str) -> str:
    """Check character of a 9-character organisation code (GB 11714)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(char, 36) * weight for char, weight in zip(first8, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def demo_credit_code(index: int, region: str, ownership: str) -> str:
    """A valid, deterministic unified social credit code for demo unit ``index``."""
    head = {"institution": "12", "government": "11"}.get(ownership, "91")
    org8 = f"MA2{index:05d}"
    body = f"{head}{region}{org8}{org_code_check_char(org8)}"
    assert all(char in CREDIT_CODE_CHARSET for char in body)
    return body + credit_code_check_char(body)


def _organisations() -> dict[str, Organisation]:
    by_name: dict[str, Organisation] = {}
    for name, kind, parent_name in ORGANISATIONS:
        existing = Organisation.objects.filter(name=name).first()
        if existing is None:
            fields = {"name": name, "kind": kind, "region_code": REGION_CODES.get(name, "")}
            if parent_name is None:
                existing = Organisation.objects.add_root(fields)
            else:
                existing = Organisation.objects.add_child(by_name[parent_name], fields)
                by_name[parent_name].refresh_from_db()
        by_name[name] = existing
    return by_name


def _campaign(orgs) -> Campaign:
    campaign, created = Campaign.objects.get_or_create(
        organiser=orgs["杭州市总工会"],
        title="服务G20杭州峰会立功竞赛",
        defaults={
            "kind": Campaign.Kind.LABOUR,
            "theme": "当好东道主、服务G20、建功新杭州",
            "description": (
                "以服务G20杭州峰会立功竞赛为总载体,深入开展大比武、大练兵、大竞赛、大培训、"
                "大献计,分场馆建设、环境整治、服务保障、活动组织、安全保卫5大赛区全面开展立功竞赛。"
            ),
            "start_date": datetime.date(2015, 9, 1),
            "end_date": datetime.date(2016, 9, 30),
            "status": Campaign.Status.ACTIVE,
            "leadership_group": "市总工会、省总工会、峰会办联合成立G20立功竞赛领导小组",
            "office": "G20立功竞赛领导小组办公室(设在杭州市总工会)",
            "evaluation_method": (
                "简单易行、注重过程、突出实效。项目化、申报制:成熟一个申报一个、申报一个审核一个、"
                "审核一个开展一个。按“四个最”要求考评。"
            ),
        },
    )
    if created:
        campaign.co_organisers.add(orgs["浙江省总工会"], orgs["G20杭州峰会筹备工作领导小组办公室"])
        campaign.documents.create(
            title="关于开展服务G20杭州峰会立功竞赛的通知",
            kind="notice",
            published_on=datetime.date(2015, 9, 1),
        )
        campaign.documents.create(
            title="关于推荐评选服务G20杭州峰会立功竞赛先进集体、先进个人的通知",
            kind="notice",
            published_on=datetime.date(2016, 8, 1),
        )
    return campaign


def _person_name(index: int) -> str:
    return SURNAMES[index % len(SURNAMES)] + GIVEN[(index * 7) % len(GIVEN)]


def demo_phone(index: int) -> str:
    """A made-up mobile number for demo person ``index`` (139 0000 nnnn)."""
    return f"1390000{index:04d}"


def demo_id_number(index: int) -> str:
    """A made-up identity card number with a valid check character: region 330106 (西湖区),
    born 1970 to 1989, sequence 9xx."""
    first17 = f"330106{1970 + index % 20}{index % 12 + 1:02d}{index % 28 + 1:02d}9{index % 100:02d}"
    return first17 + id_number_check_char(first17)


@transaction.atomic
def build_demo() -> dict[str, int]:
    """Create the G20 demo campaign, its units, projects and one user per role.

    Returns the number of records created by kind (all zero on a second run).
    """
    created = dict.fromkeys(["units", "projects", "people", "users"], 0)
    orgs = _organisations()
    campaign = _campaign(orgs)
    zones = {}
    for order, (name, slogan, label, dimensions) in enumerate(ZONES, start=1):
        zones[name], _ = Zone.objects.get_or_create(
            campaign=campaign,
            name=name,
            defaults={
                "slogan": slogan,
                "order": order,
                "dimensions_label": label,
                "dimensions": dimensions,
            },
        )
    for name, order, start, end, weight in STAGES:
        Stage.objects.get_or_create(
            campaign=campaign,
            name=name,
            defaults={"order": order, "start_date": start, "end_date": end, "weight": weight},
        )

    units = {}
    person_index = 0
    for index, spec in enumerate(UNITS, start=1):
        org = orgs[spec.organisation]
        region = org.region_code or "330100"
        unit, was_created = Unit.objects.get_or_create(
            credit_code=demo_credit_code(index, region, spec.ownership),
            defaults={
                "name": spec.name,
                "ownership": spec.ownership,
                "industry": spec.industry,
                "size": spec.size,
                "organisation": org,
                "address": f"浙江省杭州市{spec.organisation.removesuffix('总工会')}",
            },
        )
        created["units"] += was_created
        units[spec.name] = unit
        leader = None
        for team_no, team_name in enumerate(("一号班组", "二号班组")):
            team, _ = Team.objects.get_or_create(unit=unit, name=team_name)
            for member in range(4):
                person_index += 1
                is_leader = team_no == 0 and member == 0
                person, was_created = Person.objects.get_or_create(
                    unit=unit,
                    name=_person_name(person_index),
                    defaults={
                        "team": team,
                        "trade": TRADES[person_index % len(TRADES)],
                        "job_title": "项目负责人" if is_leader else "",
                        # Leaders are honour candidates: registering an honour needs these.
                        "phone": demo_phone(person_index) if is_leader else "",
                        "id_number": demo_id_number(person_index) if is_leader else "",
                        "is_leader": is_leader,
                        "is_front_line": not is_leader,
                        "is_industrial_worker": spec.ownership in ("state", "private", "joint"),
                        "is_migrant_worker": person_index % 5 == 0,
                    },
                )
                created["people"] += was_created
                leader = leader or person
        CampaignRegistration.objects.get_or_create(
            campaign=campaign, unit=unit, defaults={"status": CampaignRegistration.Status.APPROVED}
        )
        for title, status in spec.projects:
            project, was_created = Project.objects.get_or_create(
                campaign=campaign,
                unit=unit,
                title=title,
                defaults={
                    "zone": zones[spec.zone],
                    "status": status,
                    "leader": leader,
                    "target_tasks": f"{title}按期高质量完成,确保峰会保障万无一失。",
                    "content": f"围绕{spec.zone}赛区要求,组织{spec.name}职工开展{title}立功竞赛。",
                    "standards": "最高标准、最快速度、最实作风、最佳效果。",
                    "requirements": "零事故、零投诉、按节点完成。",
                    "plan": "一对一竞赛方案:明确节点目标,每月填报进度,阶段考评。",
                },
            )
            created["projects"] += was_created
            if was_created:
                _project_history(project)

    User = get_user_model()
    for username, display, role, org_name, unit_name, superuser in USERS:
        user, was_created = User.objects.get_or_create(
            username=username,
            defaults={
                "display_name": display,
                "role": role,
                "organisation": orgs.get(org_name),
                "unit": units.get(unit_name),
                "is_superuser": superuser,
                "is_staff": superuser or role == "organiser",
                "email": f"{username}@demo.jingsai.local",
            },
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        created["users"] += was_created

    demo_users = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in USERS])}
    _demo_scoring(campaign, demo_users)
    from skills.demo import build_skills_demo

    build_skills_demo(orgs["杭州市总工会"], demo_users)
    from awards.demo import build_awards_demo

    build_awards_demo(campaign, demo_users)
    return created


# The review steps that lead to each demo status, as (action, from, to, comment).
HISTORY = {
    "submitted": [("submit", "draft", "submitted", "")],
    "returned": [
        ("submit", "draft", "submitted", ""),
        ("return", "submitted", "returned", "请补充月度节点计划和安全保障措施。"),
    ],
    "rejected": [
        ("submit", "draft", "submitted", ""),
        ("reject", "submitted", "rejected", "项目内容与本赛区竞赛主题不符。"),
    ],
    "withdrawn": [("submit", "draft", "submitted", ""), ("withdraw", "submitted", "withdrawn", "")],
    "approved": [("submit", "draft", "submitted", ""), ("approve", "submitted", "approved", "")],
}
DEMO_DECLARED = datetime.datetime(2015, 12, 1, 9, 0, tzinfo=datetime.UTC)
DEMO_SUBMITTED = datetime.datetime(2015, 12, 15, 9, 30, tzinfo=datetime.UTC)
DEMO_DECIDED = datetime.datetime(2015, 12, 28, 15, 0, tzinfo=datetime.UTC)
HISTORY["running"] = [*HISTORY["approved"], ("start", "approved", "running", "")]
HISTORY["completed"] = [*HISTORY["running"], ("complete", "running", "completed", "")]


def _project_history(project):
    """Milestones and the review steps behind a demo project's status."""
    Milestone.objects.bulk_create(
        Milestone(project=project, period=datetime.date(2016, month, 1), planned_percent=pct)
        for month, pct in ((1, 10), (2, 20), (3, 35), (4, 50), (5, 65), (6, 80), (7, 90), (8, 100))
    )
    steps = HISTORY.get(project.status, [])
    ProjectTransition.objects.bulk_create(
        ProjectTransition(
            project=project, action=action, from_status=old, to_status=new, comment=comment
        )
        for action, old, new, comment in steps
    )
    # The review happened in 2015, not when the demo was loaded.
    project.transitions.filter(action="submit").update(created_at=DEMO_SUBMITTED)
    project.transitions.exclude(action="submit").update(created_at=DEMO_DECIDED)
    actions = {action for action, *_rest in steps}
    if "submit" in actions:
        project.submitted_at = DEMO_SUBMITTED
    if actions & {"return", "approve", "reject"}:
        project.decided_at = DEMO_DECIDED
    project.save(update_fields=["submitted_at", "decided_at"])
    # Declared before it was submitted, as in 2015; not "today".
    Project.objects.filter(pk=project.pk).update(created_at=DEMO_DECLARED, updated_at=DEMO_DECIDED)
    if project.status in ("running", "completed"):
        _demo_reports(project)


DEMO_RUNNING_SINCE = datetime.date(2016, 1, 1)
DEMO_LAST_REPORTED = datetime.date(2016, 8, 31)


def _demo_reports(project):
    """Monthly reports from January to August 2016: most on time, some late, a returned one
    and, for some projects, the last months missing — as a staff grid would really look."""
    from .reporting import campaign_periods, planned_percent

    Project.objects.filter(pk=project.pk).update(running_since=DEMO_RUNNING_SINCE)
    milestones = list(project.milestones.all())
    seed = project.pk
    reports = []
    periods = [
        period
        for period in campaign_periods(project.campaign, DEMO_LAST_REPORTED)
        if period[1] >= DEMO_RUNNING_SINCE
    ]
    for index, (start, end, due) in enumerate(periods):
        planned = planned_percent(milestones, end)
        missing = project.status == "running" and seed % 3 == 0 and index >= len(periods) - 2
        report = ProgressReport(
            project=project,
            period_start=start,
            period_end=end,
            due_date=due,
            planned_percent=planned,
        )
        if not missing:
            late = (seed + index) % 7 == 0
            moment = datetime.datetime.combine(
                due + datetime.timedelta(days=3 if late else -2),
                datetime.time(10, 0),
                tzinfo=datetime.UTC,
            )
            report.actual_percent = max(0, min(100, planned - (seed + index) % 6))
            report.workers = 40 + (seed * 7 + index * 3) % 160
            report.hidden_dangers_found = (seed + index) % 5
            report.hidden_dangers_fixed = max(
                0, report.hidden_dangers_found - ((seed + index) % 11 == 0)
            )
            report.safety_incidents = 1 if (seed + index) % 23 == 0 else 0
            report.quality_issues = (seed + 2 * index) % 3
            report.proposals = 2 + (seed + index) % 9
            report.proposals_benefit = (report.proposals * 1250 + seed * 10) * 1
            report.innovations = (seed + index) % 3
            report.people_trained = 10 + (seed * 3 + index) % 40
            report.narrative = f"{start:%Y年%m月}按节点推进,开展劳动竞赛和安全隐患排查。"
            report.submitted_at = report.first_submitted_at = moment
            report.late = late
            returned = (seed + index) % 13 == 0 and index == len(periods) - 1
            report.status = "returned" if returned else "accepted"
            report.review_comment = "请补充隐患整改情况。" if returned else ""
            report.reviewed_at = moment + datetime.timedelta(days=2)
        reports.append(report)
    ProgressReport.objects.bulk_create(reports)


# The 六比 weights of SCORING.md's first worked example, per stage order.
DEMO_WEIGHTS = {
    1: {"progress": "0.30", "quality": "0.20", "safety": "0.20"},
    2: {"progress": "0.15", "quality": "0.20", "safety": "0.35"},
}
DEMO_GRADE_BANDS = [["95", "优秀"], ["90", "良好"], ["80", "达标"], ["0", "不达标"]]


def _demo_scoring(campaign, users):
    """Scoring of the 场馆建设 zone: the 六比 criteria with the weights of SCORING.md, grade
    bands, four external experts who have submitted their scores in both stages, and the demo
    evaluator with the entries they may score (not those of 萧山, their own district) still
    to do. Idempotent: nothing is added where the zone has criteria already."""
    from scoring.models import ScoringRules
    from scoring.results import ENTRY_STATUSES, recompute
    from scoring.services import assign_evaluator, copy_criteria_set, save_scores, set_stage_weights

    zone = campaign.zones.get(name="场馆建设")
    ScoringRules.objects.get_or_create(
        campaign=campaign, defaults={"grade_bands": DEMO_GRADE_BANDS, "tie_break_codes": ["safety"]}
    )
    if zone.criteria.exists():
        return
    admin = users["admin"]
    criteria = {c.code: c for c in copy_criteria_set(zone, "liubi", admin)}
    stages = list(campaign.stages.order_by("order"))
    for stage in stages:
        weights = dict.fromkeys(criteria, "0.10") | DEMO_WEIGHTS[stage.order]
        set_stage_weights(zone, stage, {criteria[c]: w for c, w in weights.items()}, admin)
    entries = list(
        zone.projects.filter(status__in=ENTRY_STATUSES)
        .select_related("unit__organisation")
        .order_by("pk")
    )
    experts = [users[f"expert{n}"] for n in range(1, 5)]
    for stage in stages:
        for number, project in enumerate(entries):
            for offset, expert in enumerate(experts):
                assignment = assign_evaluator(evaluator=expert, project=project, stage=stage)
                values = {
                    criterion: Decimal(
                        78 + (number * 7 + index * 3 + offset * 5 + stage.order * 2) % 20
                    )
                    + Decimal("0.5") * (offset % 2)
                    for index, criterion in enumerate(criteria.values())
                }
                save_scores(assignment, values, expert, submit=True)
    evaluator = users["evaluator"]
    for project in entries:
        if not project.unit.organisation.path.startswith(evaluator.organisation.path):
            assign_evaluator(evaluator=evaluator, project=project, stage=stages[0])
    recompute(zones=type(zone).objects.filter(pk=zone.pk))
