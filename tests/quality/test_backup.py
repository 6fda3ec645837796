"""Backup and restore on PostgreSQL: ops/backup.sh dumps the demo, ops/restore.sh restores it
into a fresh database and the smoke checks pass there; a damaged backup is refused."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="backup and restore are PostgreSQL's pg_dump/pg_restore",
    ),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed"),
]


def _url(name):
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db["PASSWORD"] else user
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _drop(name):
    subprocess.run(
        ["psql", _url("postgres"), "-qc", f'DROP DATABASE IF EXISTS "{name}"'],
        check=True,
        capture_output=True,
    )


def _run(*args, env_extra=None):
    env = {"PATH": "/usr/bin:/bin", "ENV_FILE": "/dev/null", "DEBUG": "1", **(env_extra or {})}
    return subprocess.run(
        [str(ROOT / "ops" / args[0]), *args[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def demo_committed(transactional_db, settings):
    """The demo, committed so pg_dump sees it (flushed after the test)."""
    from competitions.demo import build_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_demo()


@pytest.fixture
def restored_names():
    source = connection.settings_dict["NAME"]
    names = [f"{source}_restore", f"{source}_restore_bad"]
    for name in names:
        _drop(name)
    yield names
    for name in names:
        _drop(name)


def test_backup_restores_into_a_fresh_database_and_passes_the_smoke_checks(
    demo_committed, restored_names, tmp_path
):
    from awards.models import Certificate

    assert Certificate.objects.exists()
    source = connection.settings_dict["NAME"]
    backup = _run("backup.sh", str(tmp_path), env_extra={"DATABASE_URL": _url(source)})
    assert backup.returncode == 0, backup.stderr
    dump = next(tmp_path.glob("jingsai-*.dump"))
    counts = json.loads(dump.with_suffix(".counts.json").read_text())
    assert counts["competitions_project"] > 0 and counts["awards_certificate"] > 0

    good, bad = restored_names
    restore = _run("restore.sh", str(dump), _url(good))
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "row counts: all" in restore.stdout
    assert f"certificates: {min(Certificate.objects.count(), 50)} verified" in restore.stdout
    assert "smoke checks passed" in restore.stdout

    # Restoring over an existing database is refused and leaves it alone.
    again = _run("restore.sh", str(dump), _url(good))
    assert again.returncode == 3
    assert "exists already" in again.stderr

    # A backup whose counts do not match what is restored fails the smoke checks.
    counts["competitions_project"] += 1
    dump.with_suffix(".counts.json").write_text(json.dumps(counts))
    mismatch = _run("restore.sh", str(dump), _url(bad))
    assert mismatch.returncode != 0
    assert "competitions_project" in mismatch.stderr


def test_a_truncated_dump_is_refused_and_restores_nothing(demo_committed, restored_names, tmp_path):
    source = connection.settings_dict["NAME"]
    backup = _run("backup.sh", str(tmp_path), env_extra={"DATABASE_URL": _url(source)})
    assert backup.returncode == 0, backup.stderr
    dump = next(tmp_path.glob("jingsai-*.dump"))
    data = dump.read_bytes()
    dump.write_bytes(data[: len(data) // 2])
    good, _bad = restored_names
    restore = _run("restore.sh", str(dump), _url(good))
    assert restore.returncode != 0
    assert "smoke checks passed" not in restore.stdout
    tables = subprocess.run(
        ["psql", _url(good), "-Atc", "SELECT count(*) FROM pg_tables WHERE schemaname='public'"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert tables.stdout.strip() == "0"
