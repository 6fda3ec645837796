"""Shared fixtures: a small union tree with two districts, their units and one user per role.

city (杭州市总工会)
├── west (西湖区总工会)   unit_a, project_a
└── east (滨江区总工会)   unit_b, project_b
"""

import time
from dataclasses import dataclass

import pytest
from django.test import Client, override_settings

from competitions.models import Organisation
from scoring.services import assign_evaluator

from . import factories as f


@dataclass
class World:
    province: Organisation
    city: Organisation
    west: Organisation
    east: Organisation
    campaign: object
    zone: object
    stage: object
    unit_a: object
    unit_b: object
    project_a: object
    project_b: object
    users: dict


@pytest.fixture(autouse=True, scope="session")
def fast_password_hasher():
    """Hashing with PBKDF2 for every test user would dominate the suite's time."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def celery_worker_thread():
    """A real Celery worker on the Redis broker when REDIS_URL is set; otherwise tasks run
    in-process (eager) and there is nothing to start."""
    from django.conf import settings

    if not settings.REDIS_URL:
        yield None
        return
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=60
    ) as worker:
        yield worker


@pytest.fixture(autouse=True)
def default_language():
    """A request in another language leaves it active in the thread; start each test in the
    default language so message assertions do not depend on test order."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def celery_in_process_unless_marked(request):
    """Tests run tasks in-process, so they see the test's own transaction; tests marked
    ``celery_worker`` send them through the real broker to a worker when REDIS_URL is set."""
    from config.celery import app

    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def wait_for(condition, timeout=20.0):
    """Wait until ``condition()`` holds: tasks may run in a worker thread."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture
def world(db) -> World:
    return build_world()


def build_world() -> World:
    """The world's records and users (see the module docstring); callers provide the database
    access (the ``world`` fixture, or a module-scoped fixture that shares one world)."""
    province = f.organisation("浙江省总工会", "province")
    city = f.organisation("杭州市总工会", "city", province)
    west = f.organisation("西湖区总工会", "district", city)
    east = f.organisation("滨江区总工会", "district", city)
    campaign = f.CampaignFactory(organiser=city, title="服务峰会立功竞赛")
    zone = f.ZoneFactory(campaign=campaign, name="场馆建设")
    stage = f.StageFactory(campaign=campaign, name="筹备初期", weight="1")
    unit_a = f.UnitFactory(name="西湖酒店", organisation=west)
    unit_b = f.UnitFactory(name="滨江电力", organisation=east)
    team_a = f.TeamFactory(unit=unit_a, name="前厅班组")
    f.PersonFactory(unit=unit_a, team=team_a, name="李娜")
    f.PersonFactory(unit=unit_b, name="张强")
    project_a = f.ProjectFactory(zone=zone, unit=unit_a, title="酒店服务提升")
    project_b = f.ProjectFactory(zone=zone, unit=unit_b, title="峰会保电")
    users = {
        "superuser": f.UserFactory(username="root", is_superuser=True, is_staff=True),
        "province": f.UserFactory(
            username="province", role="organiser", organisation=province, is_staff=True
        ),
        "city": f.UserFactory(username="city", role="organiser", organisation=city, is_staff=True),
        "west": f.UserFactory(username="west", role="organiser", organisation=west, is_staff=True),
        "east": f.UserFactory(username="east", role="organiser", organisation=east, is_staff=True),
        "unit_a": f.UserFactory(username="unit_a", role="unit", unit=unit_a),
        "unit_b": f.UserFactory(username="unit_b", role="unit", unit=unit_b),
        "evaluator": f.UserFactory(username="evaluator", role="evaluator", organisation=east),
        "idle_evaluator": f.UserFactory(username="idle", role="evaluator"),
        "norole": f.UserFactory(username="norole"),
    }
    assign_evaluator(evaluator=users["evaluator"], project=project_a, stage=stage)
    return World(
        province,
        city,
        west,
        east,
        campaign,
        zone,
        stage,
        unit_a,
        unit_b,
        project_a,
        project_b,
        users,
    )


@pytest.fixture
def client_for(world):
    """A logged-in test client for one of the world's users."""

    def make(name: str) -> Client:
        client = Client()
        if name != "anonymous":
            client.force_login(world.users[name])
        return client

    return make
