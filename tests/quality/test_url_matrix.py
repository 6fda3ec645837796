"""The permission matrix over every URL of the project (issue 8).

Every URL pattern is listed in ``ROUTES`` (pages and API) or in one of the groups below it
(public, accounts, admin); ``test_every_url_pattern_is_classified`` fails when a pattern
exists that the matrix does not classify, so a new page without a permission entry breaks the
suite.

For each route the matrix says who may read it (GET) and who may change through it, in tokens
relative to the record's side (``matrix_world.py``: side W belongs to the district west, unit A
and the assigned evaluator; side E to east and unit B, and no role of the matrix evaluates it):

    city     the city union's staff (above both districts: they run both sides' campaigns)
    office   the staff of the side's district (west on W, east on E)
    unit     the side's unit liaison (unit_a on W, unit_b on E)
    eval     the assigned evaluator / judge (the world's evaluator on W, nobody on E)
    staff    city and office;  all  city, office, unit and eval
    anyone   every signed-in role;  public  anyone, signed in or not

For each route, side (W, E) and role (anonymous, city, west, east, unit_a, unit_b, evaluator,
idle_evaluator) the test sends the GET and each write with a plausible body and checks:

- allowed: the answer is not a refusal (<400 for GET; for writes not 401/403/404 nor a
  server error), and where the body is valid (``changes``) the database changed;
- refused: anonymous users are sent to log in (302, pages) or get 401 (API); signed-in users
  get 403 or 404 (other answers by design are listed in ``REFUSED_WITH``: a page's refusal
  message, a form or serializer refusing a choice outside the user's scope); a refused write
  leaves the database unchanged (a fingerprint of every row of every table);
- id guessing: for a role outside the record's visibility (``see``) the answer is exactly the
  answer for an id that does not exist (404 for detail views, 403 where the role is refused
  before any lookup), so ids reveal nothing; for routes with two ids, the parent of one side
  with the child of the other is refused for everybody;
- no leak: no response to a role of one side contains a name of the other side (every name
  of side W carries ``QW-``, of side E ``QE-``; Excel and ZIP files are unpacked, the text of
  PDFs extracted), public pages
  excepted; the same for every list page and endpoint asked with the other side's ids in its
  filters (``?project=``, ``?zone=``, ``?unit=`` ...), which also answer exactly as for an id
  that does not exist.
"""

import datetime
import hashlib
import io
import json
import logging
import os
import zipfile
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django_filters import ModelChoiceFilter, NumberFilter
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from .matrix_world import MARKERS, MISSING_ID, SIDE_NAMES, scoped_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "city", "west", "east", "unit_a", "unit_b", "evaluator", "idle_evaluator"]
SIGNED_IN = ROLES[1:]
SIDE_ROLES = {"W": {"west", "unit_a", "evaluator"}, "E": {"east", "unit_b"}}

# --- The table --------------------------------------------------------------------------------

GROUPS = {
    "staff": ("city", "office"),
    "all": ("city", "office", "unit", "eval"),
    "anyone": tuple(SIGNED_IN),
    "public": tuple(ROLES),
    "nobody": (),
}
RELATIVE = {
    "office": {"W": "west", "E": "east", None: ("west", "east")},
    "unit": {"W": "unit_a", "E": "unit_b", None: ("unit_a", "unit_b")},
    "eval": {"W": "evaluator", "E": None, None: ("evaluator",)},
}


def roles_of(spec: str | None, side: str | None) -> set[str]:
    """The roles a token spec ("staff unit", "anyone", "city west", "evaluator@E" ...) names
    on a side (``role@W``: that role on side W only)."""
    roles = set()
    for token in (spec or "").split():
        token, _at, only = token.partition("@")
        if only and only != side:
            continue
        for name in GROUPS.get(token, (token,)):
            if name in RELATIVE:
                found = RELATIVE[name][side]
                roles.update([found] if isinstance(found, str) else found or ())
            else:
                assert name in ROLES, name
                roles.add(name)
    return roles


# Who sees each kind of record (through any page or endpoint), by design.
VISIBLE = {
    "campaign": "all",
    "skill_campaign": "staff unit",
    "zone": "all",
    "stage": "all",
    "document": "all",
    # The world's evaluator belongs to the east union: they see it (and the unions above).
    "organisation": "staff unit evaluator@E",
    "unit": "all",
    "project": "all",
    "project2": "all",
    "draft": "staff unit",
    "submitted": "staff unit",
    "approved": "staff unit",
    "attachment": "all",
    "report": "all",
    "report_sub": "all",
    "report_attachment": "all",
    # Registrations are looked up among the units the user sees (an evaluator sees the unit
    # of an entry they score); only staff of the unit's union decide them.
    "registration": "all",
    "criterion": "all",
    "spare": "all",
    "criterion_weight": "all",
    "assignment": "staff eval",
    "score": "staff eval",
    "veto": "staff",
    "result": "staff",
    "event": "all",
    "heat": "all",
    "entry": "staff",
    "contestant": "staff unit",
    "rule": "all",
    "honour_list": "all",
    "pub_list": "all",
    "list_entry": "staff unit",
    "over_entry": "staff unit",
    "objection": "staff",
    "certificate": "staff unit",
    "summary": "staff",
    "team": "staff unit",
    "tier": "all",
    "evaluator": "staff eval",
    "person": "staff unit",
    "person3": "staff unit",
    "notification": "nobody",  # its user's own (not staff: the admin shows it to nobody here)
    "liaison": "nobody",
}


@dataclass
class Write:
    method: str
    allowed: str  # token spec
    body: object = None  # callable(side) -> dict
    changes: bool = False  # the allowed write with this body changes the database
    mixed: object = None  # callable(side, other) -> (args, body): one side's ids mixed


@dataclass
class Route:
    name: str
    args: object = ()  # record kinds of the path, or callable(side) -> list
    get: str | None = None  # who may GET (None: not a GET route)
    writes: list = field(default_factory=list)
    see: str | None = None  # who sees the (last) record (default: VISIBLE of the last arg)
    query: tuple = ()  # list filters tried with the other side's ids
    api: bool = False
    public: bool = False  # no login needed: anonymous is a role like the others
    leak: bool = True  # check responses for the other side's names (not on public pages)
    sided: bool | None = None  # runs per side (default: when it has args or a write body)
    records: bool = False  # a GET that records itself (exports of personal data)
    # More statuses of a refusal than 403/404: a page's refusal message (302), a form or a
    # serializer refusing a choice outside the user's scope (200 with errors, 400), a bulk
    # action's per-item refusals (200).
    refused_ok: tuple = ()

    def path_args(self, side):
        if callable(self.args):
            return self.args(side)
        return [getattr(side, kind).pk for kind in self.args]

    @property
    def per_side(self) -> bool:
        if self.sided is not None:
            return self.sided
        return bool(self.args) or any(w.body is not None for w in self.writes)

    @property
    def visible(self) -> str:
        if self.see is not None:
            return self.see
        if self.args and not callable(self.args):
            return VISIBLE[self.args[-1]]
        return " ".join(filter(None, [self.get, *(w.allowed for w in self.writes)]))

    @property
    def parent_visible(self) -> str:
        """Who sees the first record of a path with two (looked up first)."""
        if self.args and not callable(self.args) and len(self.args) > 1:
            return VISIBLE[self.args[0]]
        return self.visible

    @property
    def nested(self) -> bool:
        return bool(self.args) and not callable(self.args) and len(self.args) > 1


def page(name, args=(), get=None, post=None, body=None, changes=False, mixed=None, **kw):
    writes = [Write("post", post, body, changes, mixed)] if post else []
    return Route(name, args, get, writes, **kw)


def api(name, args=(), get=None, writes=(), **kw):
    return Route(name, args, get, list(writes), api=True, **kw)


def post(allowed, body=None, changes=False, mixed=None):
    return Write("post", allowed, body, changes, mixed)


def patch(allowed, body=None, changes=False):
    return Write("patch", allowed, body, changes)


def put(allowed, body=None, changes=False):
    return Write("put", allowed, body, changes)


def delete(allowed, changes=False):
    return Write("delete", allowed, None, changes)


def _honour(name):
    from awards.models import HonourType

    return HonourType.objects.get(name=name).pk


def _user(username):
    from accounts.models import User

    return User.objects.get(username=username).pk


TODAY = datetime.date(2026, 11, 22)
PLAN = {
    "target_tasks": "目标",
    "content": "内容",
    "standards": "标准",
    "requirements": "要求",
    "plan": "方案",
}
NO_FORMS = {
    "milestones-TOTAL_FORMS": "0",
    "milestones-INITIAL_FORMS": "0",
    "attachments-TOTAL_FORMS": "0",
    "attachments-INITIAL_FORMS": "0",
}
PROJECT_FILTERS = ("campaign", "zone", "unit")

PAGES = [
    # competitions
    page("home", get="anyone"),
    page("campaign-list", get="anyone"),
    page("campaign-detail", ["campaign"], get="all"),
    page("zone-list", get="anyone", query=("campaign",)),
    page("zone-detail", ["zone"], get="all"),
    page("unit-list", get="anyone", query=("organisation",)),
    page("unit-detail", ["unit"], get="all"),
    page("unit-import", get="staff", post="staff"),
    page("unit-import-template", get="staff"),
    page("project-list", get="anyone", query=PROJECT_FILTERS),
    page("project-detail", ["project"], get="all"),
    page(
        "declaration-create",
        get="unit_a unit_b",
        post="unit",
        body=lambda s: {"zone": s.zone.pk, "title": "新申报", **PLAN, **NO_FORMS},
        changes=True,
        see="staff unit",
        sided=True,
    ),
    page(
        "declaration-edit",
        ["draft"],
        get="unit",
        post="unit",
        body=lambda s: {"zone": s.zone.pk, "title": "草稿改", **PLAN, **NO_FORMS},
        changes=True,
    ),
    page(
        "project-transition",
        ["draft"],
        post="unit",
        body=lambda s: {"action": "withdraw"},
        changes=True,
    ),
    page("review-queue", get="staff", query=PROJECT_FILTERS),
    page(
        "review-decide",
        post="staff",
        body=lambda s: {"projects": [s.submitted.pk], "action": "approve"},
        changes=True,
        see="staff unit",
    ),
    page("registration-list", get="staff unit"),
    page(
        "registration-request",
        ["skill_campaign"],
        post="unit",
        body=lambda s: {},
        changes=True,
    ),
    page(
        "registration-decide",
        ["registration"],
        post="staff",
        body=lambda s: {"decision": "approve"},
        changes=True,
    ),
    page(
        "registration-invite",
        post="staff",
        body=lambda s: {"campaign": s.skill_campaign.pk, "unit": s.unit.pk},
        changes=True,
        see="staff unit",
    ),
    page("report-list", get="anyone"),
    page("report-detail", ["report"], get="all"),
    page(
        "report-edit",
        ["report"],
        get="unit",
        post="unit",
        body=lambda s: {
            "actual_percent": "40",
            "workers": "12",
            **{f: "0" for f in ("hidden_dangers_found", "hidden_dangers_fixed")},
            **{f: "0" for f in ("safety_incidents", "quality_issues", "proposals")},
            **{f: "0" for f in ("proposals_benefit", "innovations", "people_trained")},
            "narrative": "月报改",
            "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0",
        },
        changes=True,
    ),
    page(
        "report-review",
        ["report_sub"],
        post="staff",
        body=lambda s: {"decision": "accept"},
        changes=True,
    ),
    page("report-grid", get="staff", query=("campaign", "zone", "organisation")),
    page("report-grid-export", get="staff", query=("campaign", "zone", "organisation")),
    page("report-figures-export", get="staff", query=("campaign", "zone", "organisation")),
    page("report-attachment-download", ["report_attachment"], get="all"),
    page("attachment-download", ["attachment"], get="all"),
    page("document-download", ["document"], get="all"),
    # scoring
    page("scoring:setup", get="staff"),
    page(
        "scoring:criteria",
        ["zone"],
        get="staff",
        post="staff",
        body=lambda s: {
            "new-code": "extra",
            "new-name": "附加否决项",
            "new-kind": "veto",
            "new-max_score": "100",
            "new-order": "5",
        },
        changes=True,
    ),
    page(
        "scoring:criteria-copy",
        ["zone"],
        post="staff",
        body=lambda s: {"key": "liubi"},
        changes=True,
    ),
    page(
        "scoring:criterion-edit",
        ["zone", "spare"],
        get="staff",
        post="staff",
        body=lambda s: {
            "code": "spare",
            "name": "改名",
            "kind": "veto",
            "max_score": "100",
            "order": "9",
        },
        changes=True,
    ),
    page(
        "scoring:criterion-delete", ["zone", "spare"], post="staff", body=lambda s: {}, changes=True
    ),
    page(
        "scoring:weights",
        ["zone"],
        get="staff",
        post="staff",
        body=lambda s: {"stage": s.stage.pk, f"stage{s.stage.pk}-c{s.criterion.pk}": "1"},
    ),
    page(
        "scoring:rules",
        ["campaign"],
        get="staff",
        post="staff",
        body=lambda s: {
            "trim_threshold": "7",
            "spread_threshold_percent": "15",
            "failing_grade": "",
            "bands-TOTAL_FORMS": "0",
            "bands-INITIAL_FORMS": "0",
        },
        changes=True,
    ),
    page("scoring:assignments", ["zone", "stage"], get="staff"),
    page(
        "scoring:assignments-add",
        ["zone", "stage"],
        post="staff",
        body=lambda s: {"evaluator": _user("idle"), "projects": [s.project.pk]},
        changes=True,
        mixed=lambda s, o: (
            [s.zone.pk, s.stage.pk],
            {"evaluator": _user("idle"), "projects": [o.project.pk]},
        ),
    ),
    page(
        "scoring:assignments-auto",
        ["zone", "stage"],
        post="staff",
        body=lambda s: {"evaluators": [_user("idle")], "per_entry": "2"},
        changes=True,
    ),
    page(
        "scoring:assignment-remove", ["assignment"], post="staff", body=lambda s: {}, changes=True
    ),
    page("scoring:queue", get="evaluator idle_evaluator"),
    page(
        "scoring:score",
        ["assignment"],
        get="eval",
        post="eval",
        body=lambda s: {f"score_{s.criterion.pk}": "77", "action": "save"},
        changes=True,
    ),
    page(
        "scoring:raise-veto",
        ["assignment"],
        post="eval",
        body=lambda s: {"veto-criterion": s.spare.pk, "veto-reason": "否决"},
        changes=True,
    ),
    page("scoring:vetoes", get="staff"),
    page("scoring:veto-confirm", ["veto"], post="staff", body=lambda s: {}, changes=True),
    page(
        "scoring:veto-reject",
        ["veto"],
        post="staff",
        body=lambda s: {"reason": "不成立"},
        changes=True,
    ),
    page("scoring:ranking", ["zone"], get="all"),
    page("scoring:ranking-export", ["zone"], get="all"),
    page("scoring:recompute", ["zone"], post="staff", body=lambda s: {}, changes=True),
    page("scoring:lock", ["zone", "stage"], post="staff", body=lambda s: {}),
    page("scoring:unlock", ["zone", "stage"], post="staff", body=lambda s: {"reason": "复核"}),
    page("scoring:explanation", ["project"], get="all"),
    # skills
    page("skills:index", get="anyone"),
    page("skills:event", ["event"], get="all"),
    page(
        "skills:register",
        ["event"],
        post="unit",
        body=lambda s: {"name": "新选手"},
        changes=True,
    ),
    page("skills:heat", ["heat"], get="all"),
    page(
        "skills:heat-enter",
        ["heat"],
        post="staff",
        body=lambda s: {"contestant": [s.contestant2.pk]},
        changes=True,
        mixed=lambda s, o: ([s.heat.pk], {"contestant": [o.contestant2.pk]}),
    ),
    page("skills:heat-remove", ["heat", "entry"], post="staff", body=lambda s: {}, changes=True),
    page("skills:heat-draw", ["heat"], post="staff", body=lambda s: {}),
    page(
        "skills:heat-times",
        ["heat"],
        post="staff",
        body=lambda s: {f"time-{s.entry.pk}": "42:30"},
        changes=True,
    ),
    page("skills:heat-lock", ["heat"], post="staff", body=lambda s: {}),
    page("skills:heat-unlock", ["heat"], post="staff", body=lambda s: {"reason": "复核"}),
    page("skills:judging", get="anyone"),
    page(
        "skills:mark",
        lambda s: [s.heat.pk, "practical"],
        get="eval",
        post="eval",
        body=lambda s: {f"mark-{s.entry.pk}": "88"},
        changes=True,
        see="all",
    ),
    page(
        "skills:contestant-import",
        ["event"],
        get="staff unit",
        post="staff unit",
        body=lambda s: {},
    ),
    page("skills:contestant-template", ["event"], get="staff unit"),
    page("skills:event-export", ["event"], get="all"),
    page("skills:theory-import", ["heat"], get="staff", post="staff", body=lambda s: {}),
    page("skills:theory-template", ["heat"], get="staff"),
    page("skills:heat-export", ["heat"], get="staff"),
    # The board is public (campaigns not in preparation); an entry's explanation is public
    # once its heat is locked, before that only for the staff who run the event.
    page("skills:board", ["event"], get="public", public=True, leak=False),
    page("skills:explain", ["entry"], get="staff", public=True, see="staff"),
    # awards
    page("awards:notices", get="public", public=True, leak=False),
    page(
        "awards:notice",
        ["pub_list"],
        get="public",
        post="public",
        body=lambda s: {
            "entry": s.pub_entry.pk,
            "name": "张三",
            "contact": "13900000000",
            "content": "异议",
        },
        changes=True,
        mixed=lambda s, o: (
            [s.pub_list.pk],
            {"entry": o.pub_entry.pk, "name": "张三", "contact": "13900000000", "content": "异议"},
        ),
        public=True,
        leak=False,
    ),
    page(
        "awards:objections",
        ["pub_list"],
        get="staff",
        post="staff",
        body=lambda s: {
            "objection": s.objection.pk,
            f"o{s.objection.pk}-decision": "dismissed",
            f"o{s.objection.pk}-investigation": "查无实据",
        },
        changes=True,
        mixed=lambda s, o: (
            [s.pub_list.pk],
            {
                "objection": o.objection.pk,
                f"o{o.objection.pk}-decision": "dismissed",
                f"o{o.objection.pk}-investigation": "查无实据",
            },
        ),
    ),
    page("awards:index", get="staff unit"),
    page(
        "awards:rules",
        ["campaign"],
        get="staff",
        post="staff",
        body=lambda s: {"honour_type": _honour("工人先锋号"), "zone": s.zone.pk, "quota": "1"},
        changes=True,
    ),
    page(
        "awards:instant",
        ["campaign"],
        get="staff",
        post="staff",
        body=lambda s: {
            "honour_type": _honour("先进集体"),
            "unit": s.unit.pk,
            "project": s.project.pk,
            "reason": "即时",
        },
        changes=True,
    ),
    page(
        "awards:rule-edit",
        ["rule"],
        get="staff",
        post="staff",
        body=lambda s: {"honour_type": _honour("五一劳动奖章"), "zone": s.zone.pk, "quota": "3"},
        changes=True,
    ),
    page("awards:rule-delete", ["rule"], post="staff", body=lambda s: {}, changes=True),
    page("awards:list", ["rule"], get="staff"),
    page("awards:list-status", ["rule"], get="staff"),
    page("awards:list-generate", ["rule"], post="staff", body=lambda s: {}, changes=True),
    page(
        "awards:entry-add",
        ["rule"],
        post="staff",
        body=lambda s: {"unit": s.unit.pk, "person": s.person2.pk, "reason": "增补"},
        changes=True,
        mixed=lambda s, o: (
            [s.rule.pk],
            {"unit": o.unit.pk, "person": o.person2.pk, "reason": "x"},
        ),
    ),
    page("awards:list-publish", ["rule"], post="staff", body=lambda s: {"start": str(TODAY)}),
    page("awards:list-confirm", ["rule"], post="staff", body=lambda s: {}),
    page(
        "awards:entry-remove",
        ["rule", "list_entry"],
        post="staff",
        body=lambda s: {"reason": "撤下"},
        changes=True,
    ),
    page(
        "awards:entry-keep",
        ["rule", "over_entry"],
        post="staff",
        body=lambda s: {"reason": "保留"},
        changes=True,
    ),
    page(
        "awards:entry-nominate",
        ["rule", "list_entry"],
        post="staff",
        body=lambda s: {"person": s.person.pk},
        changes=True,
    ),
    page("awards:nominations", get="unit"),
    page(
        "awards:nominate",
        ["list_entry"],
        post="unit",
        body=lambda s: {"person": s.person.pk},
        changes=True,
        mixed=lambda s, o: ([s.list_entry.pk], {"person": o.person.pk}),
    ),
    page("awards:certificates", get="anyone", query=("campaign",)),
    page("awards:certificate-pdf", ["certificate"], get="staff unit"),
    page("awards:list-certificates", ["pub_list"], get="staff"),
    page("awards:list-certificates-zip", ["pub_list"], get="staff"),
    page("awards:list-certificates-pdf", ["pub_list"], get="staff"),
    page("awards:summaries", get="anyone"),
    page("awards:summary-campaign", ["campaign"], get="staff"),
    page(
        "awards:summary-build",
        ["campaign"],
        post="staff",
        body=lambda s: {"period": "month", "day": "2026-10-15"},
        changes=True,
    ),
    page("awards:summary-overview", ["campaign"], get="staff"),
    page("awards:summary", ["summary"], get="staff"),
    page("awards:summary-status", ["summary"], get="staff"),
    page("awards:summary-xlsx", ["summary"], get="staff"),
    page("awards:summary-pdf", ["summary"], get="staff"),
    # personal data (PIPL): a person's page for whoever sees the person; export and erasure
    # for the staff of the person's union; user accounts for superusers only. An export is
    # recorded (a GET that writes).
    page("person-detail", ["person"], get="staff unit"),
    page(
        "person-export",
        lambda s: [s.person.pk, "json"],
        get="staff",
        see="staff unit",
        records=True,
    ),
    page(
        "person-erase",
        ["person3"],
        get="staff",
        post="staff",
        body=lambda s: {"reason": "本人申请", "confirm": "on"},
        changes=True,
    ),
    page("account-privacy", ["liaison"], get="nobody", see="nobody"),
    page("account-export", lambda s: [s.liaison.pk, "json"], get="nobody", see="nobody"),
    page(
        "account-erase",
        ["liaison"],
        get="nobody",
        post="nobody",
        body=lambda s: {"reason": "x", "confirm": "on"},
        see="nobody",
    ),
    page("profile", get="anyone"),
    page("profile-export", get="anyone", records=True),
    # accounts: every user reads and marks their own notifications only
    # (``test_notifications_are_each_users_own``).
    page("notification-list", get="anyone"),
    page("notifications-read", post="anyone", sided=False),
]

APIS = [
    api("api:api-root", get="anyone"),
    api("api:organisation-list", get="anyone"),
    # An organisation is seen by its subtree's staff and the people under it; the evaluator
    # belongs to the east union and sees it and the unions above it.
    api("api:organisation-detail", ["organisation"], get="staff unit evaluator@E"),
    api("api:campaign-list", get="anyone"),
    api("api:campaign-detail", ["campaign"], get="all"),
    api("api:zone-list", get="anyone", query=("campaign",)),
    api("api:zone-detail", ["zone"], get="all"),
    api("api:zone-scoring-ranking", ["zone"], get="all"),
    api("api:zone-scoring-locks", ["zone"], get="all"),
    api("api:zone-scoring-lock", ["zone", "stage"], writes=[post("staff", lambda s: {})]),
    api(
        "api:zone-scoring-unlock",
        ["zone", "stage"],
        writes=[post("staff", lambda s: {"reason": "复核"})],
    ),
    api(
        "api:zone-scoring-weights",
        ["zone", "stage"],
        writes=[post("staff", lambda s: {"weights": {"quality": "1"}})],
    ),
    api("api:stage-list", get="anyone", query=("campaign",)),
    api("api:stage-detail", ["stage"], get="all"),
    api("api:unit-list", get="anyone", query=("organisation",)),
    api("api:unit-detail", ["unit"], get="all"),
    api(
        "api:project-list",
        get="anyone",
        query=PROJECT_FILTERS,
        writes=[
            post(
                "unit",
                lambda s: {"zone": s.zone.pk, "title": "接口申报", **PLAN},
                changes=True,
                mixed=lambda s, o: (
                    [],
                    {"zone": s.zone.pk, "title": "接口申报", "leader": o.person.pk, **PLAN},
                ),
            )
        ],
        see="staff unit",
    ),
    api(
        "api:project-decide",
        writes=[
            post(
                "staff",
                lambda s: {"projects": [s.submitted.pk], "action": "approve"},
                changes=True,
            )
        ],
        see="staff unit",
    ),
    api(
        "api:project-detail",
        ["draft"],
        get="staff unit",
        writes=[
            patch("unit", lambda s: {"title": "接口改"}, changes=True),
            put("unit", lambda s: {"zone": s.zone.pk, "title": "接口改", **PLAN}, changes=True),
        ],
    ),
    api("api:project-transitions", ["project"], get="all"),
    *(
        api(f"api:project-{action}", ["submitted"], writes=[post("staff", comment, True)])
        for action in ("approve", "reject", "return")
        for comment in [lambda s: {"comment": "意见"}]
    ),
    api("api:project-start", ["approved"], writes=[post("staff", lambda s: {}, True)]),
    api("api:project-complete", ["project"], writes=[post("staff", lambda s: {}, True)]),
    api("api:project-submit", ["draft"], writes=[post("unit", lambda s: {}, True)]),
    api("api:project-withdraw", ["draft"], writes=[post("unit", lambda s: {}, True)]),
    api("api:report-list", get="anyone", query=("project",)),
    api(
        "api:report-detail",
        ["report"],
        get="all",
        writes=[
            patch("unit", lambda s: {"actual_percent": "45"}, changes=True),
            put("unit", lambda s: {"actual_percent": "45", "narrative": "改"}, changes=True),
        ],
    ),
    api("api:report-submit", ["report"], writes=[post("unit", lambda s: {}, True)]),
    api("api:report-accept", ["report_sub"], writes=[post("staff", lambda s: {}, True)]),
    api(
        "api:report-return",
        ["report_sub"],
        writes=[post("staff", lambda s: {"comment": "补"}, True)],
    ),
    api(
        "api:criterion-list",
        get="anyone",
        query=("zone",),
        writes=[
            post(
                "staff",
                lambda s: {"zone": s.zone.pk, "code": "extra", "name": "附加", "kind": "veto"},
                changes=True,
            )
        ],
        see="all",
    ),
    api(
        "api:criterion-detail",
        ["spare"],
        get="all",
        writes=[
            patch("staff", lambda s: {"name": "改"}, True),
            put("staff", lambda s: {"code": "spare", "name": "改", "kind": "veto"}, True),
            delete("staff", True),
        ],
    ),
    api("api:criterion-weight-list", get="anyone", query=("zone", "stage", "criterion")),
    api("api:criterion-weight-detail", ["criterion_weight"], get="all"),
    api(
        "api:assignment-list",
        get="anyone",
        query=("project", "stage", "zone", "evaluator"),
        writes=[
            post(
                "staff",
                lambda s: {
                    "evaluator": _user("idle"),
                    "project": s.project.pk,
                    "stage": s.stage.pk,
                },
                changes=True,
                mixed=lambda s, o: (
                    [],
                    {"evaluator": _user("idle"), "project": o.project.pk, "stage": s.stage.pk},
                ),
            )
        ],
        see="all",
    ),
    api("api:assignment-detail", ["assignment"], get="staff eval", writes=[delete("staff", True)]),
    api(
        "api:assignment-scores",
        ["assignment"],
        writes=[post("eval", lambda s: {"scores": {"quality": "77"}}, True)],
    ),
    api("api:score-list", get="anyone", query=("assignment", "project", "stage", "criterion")),
    api("api:score-detail", ["score"], get="staff eval"),
    api("api:result-list", get="anyone", query=("zone", "project", "campaign")),
    api("api:result-detail", ["result"], get="staff"),
    api("api:skill-event-list", get="anyone", query=("campaign=skill_campaign",)),
    api("api:skill-event-detail", ["event"], get="all"),
    api("api:heat-list", get="anyone", query=("event", "tier")),
    api("api:heat-detail", ["heat"], get="all"),
    api("api:heat-entries", ["heat"], get="all"),
    api("api:heat-progress", ["heat"], get="all"),
    api("api:heat-lock", ["heat"], writes=[post("staff", lambda s: {})]),
    api("api:heat-unlock", ["heat"], writes=[post("staff", lambda s: {"reason": "复核"})]),
    api(
        "api:heat-marks",
        ["heat"],
        get="eval",
        writes=[
            post(
                "eval",
                lambda s: {
                    "component": "practical",
                    "marks": [{"station_number": "01", "value": "88"}],
                },
                changes=True,
            )
        ],
    ),
    api(
        "api:contestant-list",
        get="anyone",
        query=("event",),
        writes=[
            post(
                "staff unit",
                lambda s: {"event": s.event.pk, "person": s.person3.pk},
                True,
                mixed=lambda s, o: ([], {"event": s.event.pk, "person": o.person3.pk}),
            )
        ],
        see="staff unit",
    ),
    api("api:contestant-detail", ["contestant"], get="staff unit"),
    api("api:honour-list-list", get="anyone", query=("campaign", "zone", "rule")),
    api("api:honour-list-detail", ["honour_list"], get="all"),
    api(
        "api:honour-list-generate-rule",
        writes=[post("staff", lambda s: {"rule": s.rule.pk}, True)],
        see="all",
    ),
    api("api:honour-list-generate", ["honour_list"], writes=[post("staff", lambda s: {}, True)]),
    api("api:honour-list-job", ["honour_list"], get="staff"),
    api(
        "api:honour-list-add-entry",
        ["honour_list"],
        writes=[
            post(
                "staff",
                lambda s: {"unit": s.unit.pk, "person": s.person2.pk, "reason": "增补"},
                True,
                mixed=lambda s, o: (
                    [s.honour_list.pk],
                    {"unit": o.unit.pk, "person": o.person2.pk, "reason": "增补"},
                ),
            )
        ],
    ),
    api(
        "api:honour-list-publish",
        ["honour_list"],
        writes=[post("staff", lambda s: {"start": str(TODAY)})],
    ),
    api("api:honour-list-confirm", ["honour_list"], writes=[post("staff", lambda s: {})]),
    api(
        "api:honour-list-nominate",
        ["honour_list"],
        writes=[
            post(
                "staff unit",
                lambda s: {"entry": s.list_entry.pk, "person": s.person.pk},
                True,
                mixed=lambda s, o: ([s.honour_list.pk], {"entry": o.list_entry.pk}),
            )
        ],
    ),
    api(
        "api:honour-list-entry-keep",
        ["honour_list", "over_entry"],
        writes=[post("staff", lambda s: {"reason": "保留"}, True)],
        see="all",
    ),
    api(
        "api:honour-list-entry-remove",
        ["honour_list", "list_entry"],
        writes=[post("staff", lambda s: {"reason": "撤下"}, True)],
        see="all",
    ),
    # Objections: the list's staff read them; anyone lodges one during the public notice.
    api(
        "api:honour-list-objections",
        ["pub_list"],
        get="staff",
        writes=[
            post(
                "public",
                lambda s: {
                    "entry": s.pub_entry.pk,
                    "name": "张三",
                    "contact": "13900000000",
                    "content": "异议",
                },
                True,
                mixed=lambda s, o: (
                    [s.pub_list.pk],
                    {
                        "entry": o.pub_entry.pk,
                        "name": "张三",
                        "contact": "139000000",
                        "content": "x",
                    },
                ),
            )
        ],
    ),
    api(
        "api:honour-list-objection-decide",
        ["pub_list", "objection"],
        writes=[post("staff", lambda s: {"upheld": False, "investigation": "查无实据"}, True)],
        see="all",
    ),
    api(
        "api:instant-honour-list",
        get="anyone",
        query=("campaign",),
        writes=[
            post(
                "staff",
                lambda s: {
                    "campaign": s.campaign.pk,
                    "honour_type": _honour("先进集体"),
                    "unit": s.unit.pk,
                    "reason": "即时",
                },
                True,
                mixed=lambda s, o: (
                    [],
                    {
                        "campaign": s.campaign.pk,
                        "honour_type": _honour("先进集体"),
                        "unit": o.unit.pk,
                        "reason": "即时",
                    },
                ),
            )
        ],
        see="all",
    ),
    api("api:certificate-list", get="anyone", query=("campaign", "honour_list")),
    api("api:certificate-detail", ["certificate"], get="staff unit"),
    api("api:certificate-pdf", ["certificate"], get="staff unit"),
    api("api:summary-list", get="anyone", query=("campaign",)),
    api("api:summary-detail", ["summary"], get="staff"),
    api(
        "api:summary-build",
        writes=[
            post(
                "staff",
                lambda s: {"campaign": s.campaign.pk, "period": "month", "day": "2026-10-15"},
                True,
            )
        ],
        see="staff",
    ),
]

ROUTES = {route.name: route for route in PAGES + APIS}

# Refusals answered otherwise than 403/404, by design (nothing changes either way):
REFUSED_WITH = {
    # The page's refusal message: the service refused the user (302 back to the page).
    "project-transition": (302,),
    "report-review": (302,),
    "registration-decide": (302,),
    # Bulk and invitation forms: ids outside the user's area are left alone, with a message.
    "review-decide": (302,),
    "registration-invite": (302,),
    # The form offers the zones of the unit's registered campaigns only: shown again (200).
    "declaration-create": (200,),
    # The serializer takes ids of the user's scope only: 400, as for an id that does not exist.
    "api:project-list": (400,),
    "api:criterion-list": (400,),
    "api:assignment-list": (400,),
    "api:contestant-list": (400,),
    "api:honour-list-generate-rule": (400,),
    "api:instant-honour-list": (400,),
    "api:summary-build": (400,),
    # {"decided": [], "refused": [{"id": ..., "reason": "Not found in your scope."}]}
    "api:project-decide": (200,),
}
for _name, _statuses in REFUSED_WITH.items():
    ROUTES[_name].refused_ok = _statuses

# Mixing the sides' records, accepted by design: (roles who may, roles answered otherwise than
# for an unknown id).
MIXED_BY_DESIGN = {
    # The city union runs both districts' contests and registers any worker of its area; a
    # liaison or district office naming another unit's worker is told why (403, a clear
    # message), where an unknown id is a 400.
    "api:contestant-list": ("city", "office unit"),
}

# Public by design, no record of a scope behind them: checked for answering anonymous users.
PUBLIC = {
    "healthz": 200,
    "signup": 200,
    "login": 200,
    "password_reset": 200,
    "password_reset_done": 200,
    "password_reset_complete": 200,
    "set_language": None,  # POST only
    "api-token": None,  # POST only: username and password
    "api-schema": 200,
    "api-docs": 200,
    "awards:verify": 200,
    "api:certificate-verify": 400,  # without ?code=
}
# The signed-in user's own account: no record of anybody else is addressed.
ACCOUNT = {"logout": 405, "password_change": 200, "password_change_done": 200}
# Addressed by a secret token rather than an id (tested in tests/accounts and tests/awards).
TOKENS = {"password_reset_confirm", "awards:verify-code"}
# Served only when DEBUG is on, for development (production serves no uploads directly).
DEBUG_ONLY = {"^media/(?P<path>.*)$"}


# --- Walking the URL configuration ------------------------------------------------------------


def url_patterns():
    """(name or route, namespace) of every URL pattern, the admin's and format suffixes
    included."""

    def walk(patterns, prefix="", namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if pattern.name:
                    name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                else:
                    name = route
                yield name, route

    return list(walk(get_resolver().url_patterns))


def classify(name: str, route: str = "") -> str | None:
    if name.startswith("admin:") or route.startswith("admin/"):
        return "admin"
    if name in ROUTES:
        return "api" if ROUTES[name].api else "page"
    if name in PUBLIC:
        return "public"
    if name in ACCOUNT:
        return "account"
    if name in TOKENS:
        return "token"
    if name in DEBUG_ONLY:
        return "debug"
    return None


def test_every_url_pattern_is_classified():
    patterns = url_patterns()
    unclassified = sorted({name for name, route in patterns if classify(name, route) is None})
    assert not unclassified, (
        "URL patterns without an entry in the permission matrix "
        f"(tests/quality/test_url_matrix.py): {unclassified}"
    )
    names = {name for name, _route in patterns}
    stale = sorted((set(ROUTES) | set(PUBLIC) | set(ACCOUNT) | TOKENS) - names)
    assert not stale, f"matrix entries for URL names that no longer exist: {stale}"
    counts = {}
    for name, route in patterns:
        kind = classify(name, route)
        counts[kind] = counts.get(kind, 0) + 1
    print(f"\nURL patterns: {len(patterns)} classified of {len(patterns)}: {counts}")


# --- Requests and what they change ------------------------------------------------------------

SKIPPED_TABLES = {"django_session", "django_migrations", "django_content_type", "auth_permission"}


def fingerprint() -> str:
    """A digest of every row of every table but the sessions': any write changes it."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in SKIPPED_TABLES:
                continue
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608 (table names)
            digest.update(table.encode())
            digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()


def body_text(response) -> str:
    """The response's text for the leak check: Excel files and ZIP archives unpacked, the
    text of PDFs extracted."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return _text(content)


def _text(content: bytes) -> str:
    if content[:4] == b"%PDF":
        try:
            return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
        except PyPdfError:  # not a whole PDF (the world's uploads are stand-ins)
            return content.decode("utf-8", "replace")
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "".join(
                _text(archive.read(name))
                for name in archive.namelist()
                if name.endswith((".xml", ".pdf"))
            )
    return content.decode("utf-8", "replace")


def secrets_for(role: str) -> tuple[str, ...]:
    """Names a role must never be shown: the other side's (both sides' for roles of neither)."""
    if role == "city":
        return ()
    hidden = [side for side in ("W", "E") if role not in SIDE_ROLES[side]]
    return tuple(name for side in hidden for name in (MARKERS[side], *SIDE_NAMES[side]))


class Missing:
    """A side whose records all have an id that does not exist."""

    def __getattr__(self, kind):
        return type("Record", (), {"pk": MISSING_ID})()


class SideView:
    """The records of one side as attributes (``s.project``), for args and bodies."""

    def __init__(self, side):
        self.side = side

    def __getattr__(self, kind):
        return self.side.records[kind]


@dataclass
class Outcome:
    status: int
    location: str
    changed: bool
    text: str


def request(client, route, method, args, body, before=None) -> Outcome:
    """One request; a write runs in a savepoint rolled back after the fingerprint is taken
    and compared with ``before`` (the database's fingerprint before the write)."""
    url = reverse(route.name, args=args)
    if method == "get":
        response = client.get(url)
        changed = False
    else:
        before = before or fingerprint()
        with transaction.atomic():
            if route.api:
                response = getattr(client, method)(
                    url, json.dumps(body or {}), content_type="application/json"
                )
            else:
                response = getattr(client, method)(url, body or {})
            changed = fingerprint() != before
            transaction.set_rollback(True)
    return Outcome(response.status_code, response.get("Location", ""), changed, body_text(response))


def to_login(outcome: Outcome) -> bool:
    return outcome.status == 302 and outcome.location.startswith(reverse("login"))


# --- The checks -------------------------------------------------------------------------------


@dataclass
class Tally:
    failures: list = field(default_factory=list)
    checks: int = 0

    def check(self, condition, where, problem):
        self.checks += 1
        if not condition:
            self.failures.append(f"{where} {problem}")


def check_allowed(tally, write, outcome, where):
    tally.check(outcome.status < 500, where, f"server error {outcome.status}")
    tally.check(not to_login(outcome), where, "allowed but sent to log in")
    if write is None:
        tally.check(outcome.status < 400, where, f"allowed GET answered {outcome.status}")
        return
    tally.check(outcome.status not in (401, 403, 404), where, f"allowed write: {outcome.status}")
    if write.changes:
        tally.check(outcome.changed, where, f"allowed write changed nothing ({outcome.status})")


def check_refused(tally, route, role, method, outcome, unknown, where):
    """Login for anonymous; 403/404 (a page's write: its refusal message) with nothing
    changed; and, for a role that does not see the record, the answer to an unknown id."""
    tally.check(not outcome.changed, where, "refused, but the database changed")
    if role == "anonymous" and not route.public:
        if route.api:
            tally.check(outcome.status == 401, where, f"anonymous API: {outcome.status}, not 401")
        else:
            tally.check(to_login(outcome), where, f"anonymous: {outcome.status}, not to log in")
        return
    tally.check(outcome.status < 500, where, f"server error {outcome.status}")
    expected = (403, 404)
    tally.check(
        outcome.status in expected + route.refused_ok, where, f"refused with {outcome.status}"
    )
    if unknown is not None:
        tally.check(
            outcome.status == unknown.status,
            where,
            f"answers {outcome.status} but {unknown.status} for an id that does not exist",
        )


def check_leak(tally, route, role, outcome, where):
    if route.leak:
        leaked = [name for name in secrets_for(role) if name in outcome.text]
        tally.check(not leaked, where, f"shows {leaked}")


def run_route(world, route) -> Tally:
    """Every role on both sides (once for routes without a side), GET and each write."""
    tally = Tally()
    unknown_cache = {}

    def unknown(client_role, method, write, view, which):
        """The answer for ids that do not exist: all of them, or the path's last only."""
        key = (client_role, method, which)
        if key not in unknown_cache:
            if which == "all":
                args = route.path_args(Missing()) if route.args else []
                body = write.body(Missing()) if write is not None and write.body else None
            else:
                args = [*route.path_args(view)[:-1], MISSING_ID]
                body = write.body(view) if write is not None and write.body else None
            unknown_cache[key] = request(
                world.clients[client_role], route, method, args, body, world.baseline
            )
        return unknown_cache[key]

    for side in ["W", "E"] if route.per_side else [None]:
        view = SideView(world.sides[side]) if side else None
        args = route.path_args(view) if route.args else []
        operations = [("get", None)] if route.get else []
        operations += [(write.method, write) for write in route.writes]
        for role in ROLES:
            if role == "anonymous" and side == "E" and not route.public:
                continue  # sent to log in whatever the record: once is enough
            for method, write in operations:
                spec = route.get if write is None else write.allowed
                body = write.body(view) if write is not None and write.body else None
                outcome = request(world.clients[role], route, method, args, body, world.baseline)
                where = f"{route.name} {method.upper()} side={side} role={role}:"
                if role in roles_of(spec, side):
                    check_allowed(tally, write, outcome, where)
                else:
                    which = None
                    # An unknown id answers 404 (or 403 where the role is refused before any
                    # lookup): only another answer needs comparing with it.
                    if side is not None and role != "anonymous" and outcome.status != 404:
                        if role not in roles_of(route.parent_visible, side):
                            which = "all"
                        elif route.nested and role not in roles_of(route.visible, side):
                            which = "child"
                    compared = unknown(role, method, write, view, which) if which else None
                    check_refused(tally, route, role, method, outcome, compared, where)
                check_leak(tally, route, role, outcome, where)
    if route.per_side:
        run_mixed(world, route, tally)
    return tally


def run_mixed(world, route, tally):
    """One side's record with the other side's record under it (in the path, or in the body):
    refused for everybody, nothing changed, and for a role that does not see the other
    side's record the answer to an id that does not exist in its place."""
    for side, other in (("W", "E"), ("E", "W")):
        mine, theirs = SideView(world.sides[side]), SideView(world.sides[other])
        for write in [None, *route.writes]:
            if write is None and not route.get:
                continue
            method = "get" if write is None else write.method
            if write is not None and write.mixed is not None:

                def mix(child, write=write, mine=mine):
                    return write.mixed(mine, child)

                in_path = False
            elif route.nested:

                def mix(child, write=write, mine=mine):
                    args = [*route.path_args(mine)[:-1], route.path_args(child)[-1]]
                    return args, write.body(mine) if write is not None and write.body else None

                in_path = True
            else:
                continue
            spec = route.get if write is None else write.allowed
            # The roles that get past the lookup of the first record: the others are refused
            # before the second is looked at (checked above).
            roles = roles_of(spec, side) | roles_of(route.parent_visible, side)
            may_mix, told = (
                roles_of(spec, side) for spec in MIXED_BY_DESIGN.get(route.name, ("", ""))
            )
            for role in sorted(roles):
                client = world.clients[role]
                outcome = request(client, route, method, *mix(theirs), world.baseline)
                where = f"{route.name} {method.upper()} {side} with {other}'s child, role={role}:"
                tally.check(outcome.status < 500, where, f"server error {outcome.status}")
                if role in may_mix:
                    continue
                tally.check(not outcome.changed, where, "changed the database")
                if in_path and not (role == "anonymous" and not route.public):
                    tally.check(outcome.status in (403, 404), where, f"answered {outcome.status}")
                hidden = role not in roles_of(route.visible, other) and role not in told
                if hidden and outcome.status != 404:
                    unknown = request(client, route, method, *mix(Missing()), world.baseline)
                    tally.check(
                        outcome.status == unknown.status,
                        where,
                        f"answers {outcome.status} but {unknown.status} for an unknown id",
                    )
                check_leak(tally, route, role, outcome, where)


def run_filters(world, route, tally):
    """A list asked with the other side's ids in its filters: no row of the other side, and
    (for a role that does not see that record) the answer to an unknown id."""
    for item in route.query:
        param, _is, kind = item.partition("=")
        kind = kind or param
        for role in ("west", "east", "unit_a", "unit_b", "evaluator", "idle_evaluator"):
            other = "E" if role in SIDE_ROLES["W"] or role == "idle_evaluator" else "W"
            client, url = world.clients[role], reverse(route.name)
            record = getattr(SideView(world.sides[other]), kind)
            guessed = client.get(url, {param: record.pk})
            outcome = Outcome(guessed.status_code, "", False, body_text(guessed))
            where = f"{route.name}?{param}=<{other}'s> role={role}:"
            check_leak(tally, route, role, outcome, where)
            if role not in roles_of(VISIBLE[kind], other):
                unknown = client.get(url, {param: MISSING_ID})
                tally.check(
                    guessed.status_code == unknown.status_code,
                    where,
                    f"answers {guessed.status_code} but {unknown.status_code} for an unknown id",
                )


@pytest.fixture(autouse=True)
def quiet_refusals():
    """Thousands of expected 403/404s: not logged (formatting their tracebacks is slow)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def record_checks(name, count):
    """``MATRIX_STATS=<file>``: append the number of checks of each route (for the docs)."""
    target = os.environ.get("MATRIX_STATS")
    if target:
        with open(target, "a", encoding="utf-8") as stats:
            stats.write(f"{name}\t{count}\n")


@pytest.mark.parametrize("name", list(ROUTES))
def test_matrix(scoped_world, name):
    route = ROUTES[name]
    # Anonymous requests (objections) are rate-limited.
    cache.delete_many(["throttle_anon_127.0.0.1", "throttle_objection_127.0.0.1"])
    # Every write is rolled back and GETs change nothing (checked below): the fingerprint
    # before each write is this one.
    before = fingerprint()
    scoped_world.baseline = None if route.records else before
    tally = run_route(scoped_world, route)
    run_filters(scoped_world, route, tally)
    if not route.records:
        tally.check(fingerprint() == before, name, "a GET changed the database")
    record_checks(name, tally.checks)
    assert not tally.failures, "\n".join(tally.failures)


# --- The admin, as a group --------------------------------------------------------------------

# The admin models whose rows are records of the matrix world.
ADMIN_RECORDS = {
    "competitions.organisation": "organisation",
    "competitions.campaign": "campaign",
    "competitions.campaigndocument": "document",
    "competitions.zone": "zone",
    "competitions.stage": "stage",
    "competitions.unit": "unit",
    "competitions.team": "team",
    "competitions.person": "person",
    "competitions.project": "project",
    "competitions.campaignregistration": "registration",
    "competitions.progressreport": "report",
    "scoring.evaluatorassignment": "assignment",
    "skills.skillevent": "event",
    "skills.heat": "heat",
    "awards.honourrule": "rule",
    "awards.honourlist": "honour_list",
    "awards.objection": "objection",
    "accounts.notification": "notification",
    "accounts.user": "liaison",
}
ADMIN_ROLES = ("anonymous", "city", "west", "east", "unit_a", "evaluator")
ADMIN_STAFF = {"city", "west", "east"}


def admin_labels():
    return sorted(model._meta.label_lower for model in admin.site._registry)


@pytest.mark.parametrize("label", admin_labels())
def test_admin(scoped_world, label):
    """Every admin list and, for the matrix's records, their change pages: only staff get in;
    a district's staff never list or open the other district's records."""
    tally = Tally()
    app, model = label.split(".")
    changelist = reverse(f"admin:{app}_{model}_changelist")
    kind = ADMIN_RECORDS.get(label)
    change_urls = {}
    if kind:
        for side in ("W", "E"):
            change_urls[side] = reverse(
                f"admin:{app}_{model}_change", args=[scoped_world.sides[side].records[kind].pk]
            )
    for role in ADMIN_ROLES:
        client = scoped_world.clients[role]
        response = client.get(changelist)
        outcome = Outcome(response.status_code, response.get("Location", ""), False, "")
        where = f"admin {label} list role={role}:"
        if role not in ADMIN_STAFF:
            tally.check(
                outcome.status == 302 and reverse("admin:login") in outcome.location,
                where,
                f"answered {outcome.status}, not the admin's login",
            )
            continue
        tally.check(outcome.status in (200, 403), where, f"answered {outcome.status}")
        if outcome.status != 200:
            continue
        outcome.text = body_text(response)
        check_leak(tally, ROUTES["home"], role, outcome, where)
        for side, url in change_urls.items():
            sees = role in roles_of(VISIBLE[kind], side)
            record = scoped_world.sides[side].records[kind]
            listed = url in outcome.text or str(record) in outcome.text
            # The organisation tree (treebeard) lists its nodes in its own way: absence only.
            if sees and label != "competitions.organisation":
                tally.check(listed, where, f"does not list {side}'s record {record}")
            if not sees:
                tally.check(not listed, where, f"lists {side}'s record {record}")
            opened = client.get(url)
            here = f"admin {label} change {side} role={role}:"
            tally.check((opened.status_code == 200) is sees, here, f"answered {opened.status_code}")
            if not sees:
                unknown = client.get(url.replace(f"/{record.pk}/", f"/{MISSING_ID}/"))
                tally.check(
                    opened.status_code == unknown.status_code,
                    here,
                    f"answers {opened.status_code} but {unknown.status_code} for an unknown id",
                )
    record_checks(f"admin {label}", tally.checks)
    assert not tally.failures, "\n".join(tally.failures)


# --- Public pages, the user's own account, secret tokens ---------------------------------------


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_pages_answer_anonymous_users(scoped_world, name):
    expected = PUBLIC[name]
    if expected is None:  # POST only
        response = scoped_world.clients["anonymous"].post(reverse(name), {})
        assert response.status_code in (302, 400), response.status_code
    else:
        assert scoped_world.clients["anonymous"].get(reverse(name)).status_code == expected


@pytest.mark.parametrize("name", sorted(ACCOUNT))
@pytest.mark.parametrize("role", ["anonymous", "unit_a"])
def test_account_pages_are_the_users_own(scoped_world, name, role):
    response = scoped_world.clients[role].get(reverse(name))
    if ACCOUNT[name] == 200 and role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == ACCOUNT[name]


def test_token_pages_answer_only_to_the_token(scoped_world):
    anonymous = scoped_world.clients["anonymous"]
    certificate = scoped_world.sides["W"].records["certificate"]
    assert anonymous.get(reverse("awards:verify-code", args=[certificate.verification_code]))
    found = anonymous.get(reverse("awards:verify-code", args=[certificate.verification_code]))
    assert found.status_code == 200 and certificate.number in found.content.decode()
    assert anonymous.get(reverse("awards:verify-code", args=["ZZZZZZZZZZZZ"])).status_code == 404
    page = anonymous.get(reverse("password_reset_confirm", args=["MQ", "set-password"]))
    assert page.status_code == 200 and page.context["validlink"] is False


def test_every_api_list_filter_is_guessed():
    """Each id filter of a list endpoint is tried with the other side's ids (``query``)."""
    unguessed = []
    for name, route in ROUTES.items():
        if not route.api or not name.endswith("-list"):
            continue
        filterset = getattr(resolve(reverse(name)).func.cls, "filterset_class", None)
        if filterset is None:
            continue
        id_filters = {
            param
            for param, id_filter in filterset.base_filters.items()
            if isinstance(id_filter, (NumberFilter, ModelChoiceFilter))
        }
        guessed = {item.partition("=")[0] for item in route.query}
        unguessed += [f"{name}?{param}=" for param in sorted(id_filters - guessed)]
    assert not unguessed


def test_debug_only_patterns_are_absent_without_debug():
    """Uploads are never served directly outside development: downloads go through the
    scoped views."""
    assert not any(classify(name, route) == "debug" for name, route in url_patterns())


def test_notifications_are_each_users_own(scoped_world):
    mine, theirs = (scoped_world.sides[s].records["notification"] for s in ("W", "E"))
    client = scoped_world.clients["unit_a"]
    page = client.get(reverse("notification-list")).content.decode()
    assert mine.title in page and theirs.title not in page
    assert client.post(reverse("notifications-read")).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None


def test_the_matrix_catches_a_leak(scoped_world, monkeypatch):
    """The checks themselves: with the projects' scope switched off (a fault put in on
    purpose), the matrix reports other districts' projects shown, opened and answered
    differently from unknown ids."""
    from competitions.models import Project
    from competitions.views import ProjectDetailView

    monkeypatch.setattr(
        ProjectDetailView, "scope", staticmethod(lambda user: Project.objects.all())
    )
    scoped_world.baseline = fingerprint()
    failures = "\n".join(run_route(scoped_world, ROUTES["project-detail"]).failures)
    assert "side=W role=east: shows ['QW-'" in failures
    assert "side=E role=unit_a: refused with 200" in failures
    assert "side=W role=idle_evaluator: answers 200 but 404 for an id that does not exist" in (
        failures
    )


def test_person_page_shows_only_the_honours_the_viewer_may_read(scoped_world):
    """A person's page lists their honours as the honours pages would show them: a draft
    list's entries only to the staff who run its campaign (and to the person's own unit)."""
    from awards.models import HonourList, HonourListEntry, HonourRule, HonourType

    base, person = scoped_world.base, scoped_world.sides["W"].records["person"]
    rule = HonourRule.objects.create(
        campaign=base.campaign, honour_type=HonourType.objects.get(name="劳动模范"), quota=1
    )
    draft = HonourList.objects.create(rule=rule)
    HonourListEntry.objects.create(
        honour_list=draft, project=base.project_a, unit=base.unit_a, person=person
    )
    url = reverse("person-detail", args=[person.pk])
    shown = {
        role: base.campaign.title in scoped_world.clients[role].get(url).content.decode()
        for role in ("city", "west", "unit_a")
    }
    # The city union runs the campaign; west merely takes part in it.
    assert shown == {"city": True, "west": False, "unit_a": True}
