"""The demo world (``seed_demo``'s data), built once per test module.

Building it takes seconds, so the modules here build it once, inside an outer transaction,
and every test runs in a savepoint of that transaction (pytest-django's ``db`` fixture),
rolled back after the test. The outer transaction is rolled back when the module is done, so
nothing is left for other modules. A module uses it with ``from .demo_world import demo_fixture``.
"""

from dataclasses import dataclass

import pytest
from django.db import transaction


@dataclass
class Demo:
    users: dict  # username -> User


@pytest.fixture(scope="module", name="demo")
def demo_fixture(django_db_setup, django_db_blocker):
    from django.contrib.auth import get_user_model

    from awards.summary_demo import seed_summaries
    from competitions.demo import USERS, build_demo

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            build_demo()
            seed_summaries()
            users = get_user_model().objects.in_bulk(
                [username for username, *_rest in USERS], field_name="username"
            )
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield Demo(users=users)
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
