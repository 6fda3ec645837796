"""Smoke checks of a database, e.g. one just restored from a backup.

Checks that every migration is applied, counts the rows of every table of the project's apps
(and compares them with the counts written when the backup was taken), opens the main pages
and API lists as a superuser and as a user of each role, and looks every issued certificate up
on the public verification page. Writes nothing but the session of the page checks, which it
deletes again."""

import json
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

# Apps whose tables are counted: the project's own and the third-party ones holding its data.
COUNTED_APPS = (
    "accounts",
    "competitions",
    "scoring",
    "awards",
    "skills",
    "auditlog",
    "authtoken",
    "auth",
)
CERTIFICATES_CHECKED = 50


def table_counts() -> dict[str, int]:
    """Row count of every concrete table of the counted apps, one query per table."""
    counts = {}
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        for config in apps.get_app_configs():
            if config.label not in COUNTED_APPS:
                continue
            for model in config.get_models(include_auto_created=True):
                if model._meta.proxy or not model._meta.managed:
                    continue
                table = model._meta.db_table
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - model tables
                counts[table] = cursor.fetchone()[0]
    return dict(sorted(counts.items()))


class Command(BaseCommand):
    help = "Smoke checks of the configured database (e.g. after restoring a backup)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--counts-out", type=Path, help="Write the table row counts to this JSON file."
        )
        parser.add_argument(
            "--expect-counts",
            type=Path,
            help="Fail unless the table row counts equal the ones in this JSON file.",
        )
        parser.add_argument(
            "--counts-only", action="store_true", help="Only count rows (for the backup side)."
        )

    def handle(self, *args, counts_out=None, expect_counts=None, counts_only=False, **options):
        self.failures = []
        self._check_migrations()
        counts = table_counts()
        self.stdout.write(f"tables: {len(counts)}, rows: {sum(counts.values())}")
        if counts_out:
            counts_out.write_text(json.dumps(counts, indent=1, sort_keys=True), encoding="utf-8")
        if expect_counts:
            self._compare_counts(counts, json.loads(expect_counts.read_text(encoding="utf-8")))
        if not counts_only:
            self._check_pages()
            self._check_certificates()
        if self.failures:
            for failure in self.failures:
                self.stderr.write(f"FAIL {failure}")
            raise CommandError(f"{len(self.failures)} smoke check(s) failed.")
        self.stdout.write(self.style.SUCCESS("smoke checks passed"))

    def _check_migrations(self):
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan)
            raise CommandError(f"Unapplied migrations: {names}")
        self.stdout.write("migrations: all applied")

    def _compare_counts(self, counts, expected):
        differing = {
            table: (expected.get(table), counts.get(table))
            for table in sorted(set(counts) | set(expected))
            if expected.get(table) != counts.get(table)
        }
        for table, (before, after) in differing.items():
            self.failures.append(f"{table}: {before} rows in the backup, {after} restored")
        if not differing:
            self.stdout.write(f"row counts: all {len(counts)} tables equal the backup's")

    def _client(self):
        host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h), "localhost")
        return Client(HTTP_HOST=host.lstrip("."), secure=True)

    def _get(self, client, who, url, expected=200):
        response = client.get(url)
        if response.status_code != expected:
            self.failures.append(f"{who} GET {url}: {response.status_code}, expected {expected}")
        return response

    def _check_pages(self):
        from accounts.models import User
        from competitions.models import Campaign, Zone

        pages = [
            reverse("home"),
            reverse("campaign-list"),
            reverse("project-list"),
            reverse("unit-list"),
            reverse("report-list"),
            reverse("awards:index"),
            reverse("awards:certificates"),
            "/api/v1/campaigns/",
            "/api/v1/projects/",
        ]
        campaign = Campaign.objects.order_by("pk").first()
        if campaign:
            pages.append(reverse("campaign-detail", args=[campaign.pk]))
        zone = Zone.objects.order_by("pk").first()
        if zone:
            pages.append(reverse("scoring:ranking", args=[zone.pk]))
        users = [User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()]
        users += [
            User.objects.filter(role=role, is_active=True).order_by("pk").first()
            for role, _label in User.Role.choices
        ]
        checked = 0
        for user in filter(None, users):
            client = self._client()
            client.force_login(user)
            try:
                # Superusers open every page; the other roles the ones every role may open.
                for url in pages if user.is_superuser else pages[:2]:
                    self._get(client, user.username, url)
                    checked += 1
            finally:
                client.logout()
        public = self._client()
        self._get(public, "anonymous", reverse("login"))
        self._get(public, "anonymous", reverse("awards:notices"))
        self.stdout.write(f"pages: {checked + 2} opened")

    def _check_certificates(self):
        from awards.models import Certificate

        client = self._client()
        certificates = Certificate.objects.order_by("pk")[:CERTIFICATES_CHECKED]
        for certificate in certificates:
            response = self._get(
                client,
                "anonymous",
                reverse("awards:verify-code", args=[certificate.verification_code]),
            )
            if response.status_code == 200 and certificate.number not in response.text:
                self.failures.append(f"verification page of {certificate.number} lacks it")
        self.stdout.write(f"certificates: {len(certificates)} verified")
