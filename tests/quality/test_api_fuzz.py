"""Schemathesis against the served OpenAPI schema, as each role of the demo world.

Every operation of /api/schema/ is called with generated (valid and invalid) input through
the WSGI app in-process, with the role's API token. Checks: no server error, the status code
is documented, and the body matches the documented schema.

The demo world (``seed_demo``'s data: unions, units, projects, scores, skill heats, honour
lists, certificates, summaries) is built once per module inside an outer transaction; each
generated request runs in a savepoint that is rolled back, so every example starts from the
same data and nothing leaks into other tests.

A few examples per operation by default; ``FUZZ_EXAMPLES=200`` for a deeper run.
"""

import json
import os

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

from .demo_world import demo_fixture  # noqa: F401  (the ``demo`` fixture)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))

# The demo's users standing for each role: superuser, city staff, district staff, a unit's
# liaison and an evaluator (who is also a judge of the open skill heats).
ROLES = {
    "anonymous": None,
    "superuser": "admin",
    "city": "city",
    "district": "xihu",
    "unit": "hotel",
    "evaluator": "evaluator",
}

config = schemathesis.Config.from_dict(
    {
        "seed": 20160904,
        "generation": {"max-examples": EXAMPLES, "deterministic": False},
        "phases": {"coverage": {"enabled": False}},
    }
)


def _served_schema() -> dict:
    """What /api/schema/ serves. Built directly rather than requested: the request would open
    a transaction (ATOMIC_REQUESTS), and the database is not open at collection time."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))


schema = schemathesis.openapi.from_dict(_served_schema(), config=config)
schema.app = application

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _models():
    from django.contrib.auth import get_user_model

    from awards.models import (
        Certificate,
        HonourList,
        HonourListEntry,
        InstantHonour,
        Objection,
        SummaryBuild,
    )
    from competitions.models import (
        Campaign,
        Organisation,
        Person,
        ProgressReport,
        Project,
        Stage,
        Team,
        Unit,
        Zone,
    )
    from scoring.models import Criterion, CriterionWeight, EvaluatorAssignment, FinalResult, Score
    from skills.models import Contestant, Heat, HeatEntry, SkillEvent, Tier

    return {
        # URL prefixes of /api/v1/<prefix>/{id}/
        "organisations": Organisation,
        "campaigns": Campaign,
        "zones": Zone,
        "stages": Stage,
        "units": Unit,
        "projects": Project,
        "reports": ProgressReport,
        "criteria": Criterion,
        "criterion-weights": CriterionWeight,
        "assignments": EvaluatorAssignment,
        "scores": Score,
        "results": FinalResult,
        "skill-events": SkillEvent,
        "heats": Heat,
        "contestants": Contestant,
        "honour-lists": HonourList,
        "instant-honours": InstantHonour,
        "certificates": Certificate,
        "summaries": SummaryBuild,
        # path parameters and body / query fields naming a record
        "entry_id": HonourListEntry,
        "objection_id": Objection,
        "stage_id": Stage,
        "campaign": Campaign,
        "zone": Zone,
        "stage": Stage,
        "unit": Unit,
        "project": Project,
        "leader": Person,
        "person": Person,
        "team": Team,
        "criterion": Criterion,
        "assignment": EvaluatorAssignment,
        "evaluator": get_user_model(),
        "event": SkillEvent,
        "heat": Heat,
        "tier": Tier,
        "entry": HeatEntry,
        "honour_list": HonourList,
    }


@pytest.fixture(scope="module")
def api_world(demo, django_db_blocker):
    """One API token per role, and the ids of the demo's records by resource.

    Requests go to the WSGI handler, which closes "obsolete" database connections at the
    start and end of each request; inside the test's transaction that would close the
    connection holding it (PostgreSQL). Django's test client unhooks that too.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock():
        tokens = {
            role: Token.objects.create(user=demo.users[username]).key
            for role, username in ROLES.items()
            if username
        }
        ids = {
            key: sorted(model.objects.values_list("pk", flat=True))
            for key, model in _models().items()
        }
    yield tokens, ids
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _real_id(ids, key, value):
    """Three in four generated integers are swapped for the id of a real record (in or out
    of the role's scope), deterministically, so generated requests reach past the 404."""
    records = ids.get(key)
    if not records or not isinstance(value, int) or isinstance(value, bool) or value % 4 == 0:
        return value
    return records[value % len(records)]


def _point_at_real_records(case, ids):
    resource = case.path.split("/")[3]
    for name, value in (case.path_parameters or {}).items():
        case.path_parameters[name] = _real_id(ids, resource if name == "id" else name, value)
    for container in (case.query, case.body if isinstance(case.body, dict) else None):
        for name, value in (container or {}).items():
            container[name] = _real_id(ids, name, value)


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    max_examples=EXAMPLES,
)
def test_api_fuzz(case, role, api_world, db):
    tokens, ids = api_world
    _point_at_real_records(case, ids)
    headers = {"Authorization": f"Token {tokens[role]}"} if role in tokens else {}
    # Each example starts from the same data (so Hypothesis can replay and shrink a failure)
    # and the same empty throttle counters (the anonymous rate and the login throttle).
    sid = transaction.savepoint()
    try:
        response = case.call(headers=headers)
    finally:
        transaction.savepoint_rollback(sid)
        cache.clear()
    case.validate_response(response, checks=CHECKS)
