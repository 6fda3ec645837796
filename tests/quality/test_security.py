"""Security hardening (docs/quality.md, "Security"): headers and cookies on real responses
with the production settings (the tests run with DEBUG off), the Content-Security-Policy
and the templates it needs, ``check --deploy``, uploads (type sniffing, sizes, archives,
downloads), and no secret in the repository.

The login throttle has its own tests (tests/accounts/test_login_throttle.py); the policy
in the browser is tested by tests/e2e/test_csp.py.
"""

import io
import os
import re
import secrets
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from openpyxl import Workbook

from competitions.models import CampaignDocument, Project, ProjectAttachment, ReportAttachment
from competitions.validators import UploadValidator

from .. import factories as f
from ..competitions.test_reports import _report
from ..competitions.test_reports import form_data as report_form_data
from ..competitions.test_uploads import PDF, PNG
from ..competitions.test_workflow_pages import declaration_data, registered  # noqa: F401
from ..skills.conftest import contest  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]

# --- Headers and cookies -------------------------------------------------------------------

STRICT_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]


def directives(policy: str) -> list[str]:
    return [part.strip() for part in policy.split(";") if part.strip()]


@pytest.mark.parametrize(
    ("user", "url", "status"),
    [
        ("anonymous", "/accounts/login/", 200),
        ("west", "/", 200),
        ("west", "/projects/", 200),
        ("superuser", "/admin/", 200),
        ("anonymous", "/api/docs/", 200),
        ("anonymous", "/api/v1/campaigns/", 401),
        ("anonymous", "/no-such-page/", 404),
    ],
)
def test_responses_carry_the_security_headers(world, client_for, user, url, status):
    client = client_for(user)
    response = client.get(url, secure=True)
    assert response.status_code == status
    headers = response.headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]
    policy = directives(headers["Content-Security-Policy"])
    if url.startswith("/api/v1/"):
        # DRF's browsable API: inline styles allowed, scripts as strict as everywhere.
        assert "style-src 'self' 'unsafe-inline'" in policy
        assert set(STRICT_DIRECTIVES) - set(policy) == {"style-src 'self'"}
    else:
        assert policy == STRICT_DIRECTIVES
    assert "unsafe-eval" not in headers["Content-Security-Policy"]


def test_api_docs_script_is_a_file_not_inline(db, client):
    page = client.get("/api/docs/", secure=True).content.decode()
    assert re.search(r"<script>\s*\S", page) is None
    src = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1).replace("&amp;", "&")
    script = client.get(src, secure=True)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_except_the_health_check(db, client):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz/").status_code == 200


def test_csrf_cookie_is_secure_httponly_and_same_site(db, client):
    response = client.get(reverse("login"), secure=True)
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_session_cookie_is_secure_and_lasts_a_working_day(world, client):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    response = client.post(
        reverse("login"), {"username": "west", "password": f.PASSWORD}, secure=True
    )
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    # A browser-session cookie (gone when the browser closes) ...
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    # ... whose session the server ends after eight hours in any case.
    session = Session.objects.get(session_key=cookie.value)
    left = (session.expire_date - timezone.now()).total_seconds()
    assert 8 * 3600 - 60 < left <= 8 * 3600


def test_no_page_script_reads_cookies():
    """CSRF_COOKIE_HTTPONLY holds only while no script needs the CSRF cookie."""
    scripts = [p for p in ROOT.glob("**/static/**/*.js") if ".venv" not in p.parts]
    assert scripts
    for script in scripts:
        assert "document.cookie" not in script.read_text(encoding="utf-8"), script


# --- The Content-Security-Policy's needs in the templates ------------------------------------

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"""\sstyle\s*=\s*["']""", re.I), "style attribute"),
    (re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


# Templates of files, not pages: they are opened from disk, where no policy applies, and must
# carry their own styles.
STANDALONE_DOCUMENTS = {
    # The readable copy inside a personal data export (competitions.privacy_requests).
    "competitions/templates/competitions/privacy_export_document.html",
}


def project_templates() -> list[Path]:
    found = [p for p in ROOT.glob("*/templates/**/*.html")]
    found += list((ROOT / "templates").glob("**/*.html"))
    return sorted(
        p
        for p in found
        if ".venv" not in p.parts and p.relative_to(ROOT).as_posix() not in STANDALONE_DOCUMENTS
    )


def test_templates_have_no_inline_script_or_style():
    """The policy refuses inline scripts, styles and event handlers: pages keep them in
    static files (the browser test checks the pages themselves)."""
    templates = project_templates()
    assert len(templates) > 50
    problems = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in templates
        for pattern, what in INLINE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "\n".join(problems)


def test_report_grid_stylesheet_has_every_state_colour():
    """The grid's state colours moved from an inline <style> to a stylesheet; they must stay
    those of the Excel export."""
    from competitions.report_grid import STATES

    css = (ROOT / "static" / "css" / "report-grid.css").read_text().lower()
    for state in STATES.values():
        rule = f".state-{state.key} {{ background: #{state.background}; color: #{state.ink}; }}"
        assert rule.lower() in css


# --- check --deploy ------------------------------------------------------------------------


def test_check_deploy_passes_with_nothing_silenced(tmp_path):
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(
        ENV_FILE="/dev/null",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="jingsai.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    assert not re.search(r"\(security\.[WE]\d+\)", output)


# --- Uploads -------------------------------------------------------------------------------

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00"
HTML = b"<!doctype html><html><body><script>alert(document.domain)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.domain)</script></svg>"
)
HOSTILE = [
    pytest.param("说明.pdf", EXE, "an .exe renamed .pdf", id="exe-as-pdf"),
    pytest.param("照片.png", HTML, "an HTML page renamed .png", id="html-as-png"),
    pytest.param("图表.png", SVG, "an SVG with a script renamed .png", id="svg-as-png"),
    pytest.param("图表.svg", SVG, "an SVG with a script", id="svg"),
    pytest.param("页面.html", HTML, "an HTML page", id="html"),
]


def xlsx_bytes(extra_member: tuple[str, int] | None = None) -> bytes:
    workbook = Workbook()
    workbook.active.append(["单位名称"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    if extra_member:
        name, size = extra_member
        with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, b"\x00" * size)
    return buffer.getvalue()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize(("name", "content", "what"), HOSTILE)
def test_validator_refuses_hostile_files(name, content, what):
    for kinds in (("pdf", "jpg", "png", "docx", "xlsx"), ("xlsx",), ("jpg", "png", "pdf")):
        with pytest.raises(ValidationError) as refused:
            UploadValidator(kinds)(SimpleUploadedFile(name, content))
        assert refused.value.error_list[0].code == "file_type", what


def test_validator_refuses_an_office_file_that_unpacks_too_large(settings):
    settings.UPLOAD_MAX_UNPACKED_BYTES = 1024 * 1024
    bomb = xlsx_bytes(("xl/media/padding.bin", 2 * 1024 * 1024))
    assert len(bomb) < 50 * 1024  # zeros compress a thousandfold
    with pytest.raises(ValidationError) as refused:
        UploadValidator(("xlsx",))(SimpleUploadedFile("导入.xlsx", bomb))
    assert refused.value.error_list[0].code == "file_unpacks_too_large"
    UploadValidator(("xlsx",))(SimpleUploadedFile("导入.xlsx", xlsx_bytes()))


def test_validator_refuses_a_damaged_office_file():
    damaged = xlsx_bytes()[:3000]  # the ZIP's directory at the end is cut off
    with pytest.raises(ValidationError) as refused:
        UploadValidator(("xlsx",))(SimpleUploadedFile("导入.xlsx", damaged))
    assert refused.value.error_list[0].code in ("file_damaged", "file_type")


@pytest.mark.parametrize(("name", "content", "what"), HOSTILE[:3])
def test_project_attachment_upload_refuses_hostile_files(
    registered,  # noqa: F811
    client_for,
    media_root,
    name,
    content,
    what,
):
    data = declaration_data(registered, **{"attachments-0-file": SimpleUploadedFile(name, content)})
    response = client_for("unit_a").post(reverse("declaration-create"), data)
    assert response.status_code == 200, what
    assert "只接受" in response.content.decode()
    assert not Project.objects.filter(title="前厅服务竞赛").exists()
    assert not ProjectAttachment.objects.exists()
    assert not any(media_root.rglob("*.*"))


@pytest.mark.parametrize(("name", "content", "what"), HOSTILE[:3])
def test_report_attachment_upload_refuses_hostile_files(
    world, client_for, media_root, name, content, what
):
    report = _report(world)
    data = report_form_data(
        **{
            "attachments-TOTAL_FORMS": "1",
            "attachments-0-title": "现场",
            "attachments-0-file": SimpleUploadedFile(name, content),
        }
    )
    response = client_for("unit_a").post(reverse("report-edit", args=[report.pk]), data)
    assert response.status_code == 200, what
    assert "只接受" in response.content.decode()
    assert not ReportAttachment.objects.exists()


@pytest.mark.parametrize(("name", "content", "what"), HOSTILE[:3])
def test_campaign_document_upload_refuses_hostile_files(
    world, client_for, media_root, name, content, what
):
    response = client_for("city").post(
        reverse("admin:competitions_campaigndocument_add"),
        {
            "campaign": world.campaign.pk,
            "title": "通知",
            "kind": "notice",
            "file": SimpleUploadedFile(name, content),
        },
    )
    assert response.status_code == 200, what
    assert "只接受" in response.content.decode()
    assert not CampaignDocument.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("单位.xlsx", EXE), ("单位.xlsx", HTML), ("单位.xlsx", SVG), ("单位.csv", b"a,b\n1,2\n")],
    ids=["exe", "html", "svg", "csv"],
)
def test_unit_import_refuses_files_that_are_not_workbooks(
    world, client_for, media_root, name, content
):
    response = client_for("city").post(
        reverse("unit-import"), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    assert "只接受" in response.content.decode()
    assert not any(media_root.rglob("*.*"))


def test_unit_import_refuses_a_zip_bomb(world, client_for, media_root, settings):
    settings.UPLOAD_MAX_UNPACKED_BYTES = 1024 * 1024
    bomb = xlsx_bytes(("xl/media/padding.bin", 2 * 1024 * 1024))
    response = client_for("city").post(
        reverse("unit-import"), {"file": SimpleUploadedFile("单位.xlsx", bomb)}
    )
    assert response.status_code == 400
    assert "解压" in response.content.decode() or "unpacks" in response.content.decode()


def test_skills_contestant_import_refuses_an_exe(contest, client_for, media_root):  # noqa: F811
    response = client_for("city").post(
        reverse("skills:contestant-import", args=[contest.event.pk]),
        {"file": SimpleUploadedFile("名单.xlsx", EXE)},
    )
    assert response.status_code == 400
    assert "只接受" in response.content.decode()


def received_upload(content: bytes):
    """The file a view finds in request.FILES for this upload, through the configured
    upload handlers."""
    from django.test import RequestFactory

    request = RequestFactory().post("/", {"file": SimpleUploadedFile("单位.xlsx", content)})
    return request.FILES["file"]


def test_an_oversized_upload_is_dropped_as_it_arrives(settings):
    """The upload handler keeps nothing past the limit (no temporary file of the whole
    upload), and the file arrives with its real size for the validator to refuse."""
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024  # larger files go to temporary files
    small = secrets.token_bytes(60 * 1024)
    upload = received_upload(small)
    assert upload.size == len(small) and upload.read() == small
    upload = received_upload(secrets.token_bytes(300 * 1024))
    assert upload.size == 300 * 1024
    assert upload.read() == b""  # nothing was kept
    with pytest.raises(ValidationError) as refused:
        UploadValidator(("xlsx",))(upload)
    assert refused.value.error_list[0].code == "file_too_large"


def test_an_oversized_import_is_refused_with_its_size(world, client_for, media_root, settings):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    response = client_for("city").post(
        reverse("unit-import"),
        {"file": SimpleUploadedFile("单位.xlsx", secrets.token_bytes(300 * 1024))},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "300.0" in page and "64.0" in page  # the file's size and the limit


def test_the_api_takes_no_file_uploads():
    """No API endpoint accepts a file (uploads go through the pages, which sniff them); a
    new one must add UploadValidator, and this test should then test it."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    binary = [
        f"{path} {method}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "multipart/form-data" in str(operation.get("requestBody", {}))
        and "binary" in str(operation.get("requestBody", {}))
    ]
    components = schema["components"]["schemas"]
    binary += [
        name
        for name, component in components.items()
        if name.endswith("Request") and "'format': 'binary'" in str(component)
    ]
    assert not binary


def test_downloads_are_attachments_never_rendered_inline(world, client_for, media_root):
    pdf = ProjectAttachment.objects.create(
        project=world.project_a, file=SimpleUploadedFile("方案.pdf", PDF)
    )
    # A file stored before the checks existed, or put there by hand, named .html.
    page = ProjectAttachment.objects.create(
        project=world.project_a, file=SimpleUploadedFile("旧文件.html", HTML)
    )
    report = _report(world)
    photo = ReportAttachment.objects.create(report=report, file=SimpleUploadedFile("现场.png", PNG))
    document = CampaignDocument.objects.create(
        campaign=world.campaign, title="通知", file=SimpleUploadedFile("通知.pdf", PDF)
    )
    client = client_for("west")
    for url, kind in [
        (reverse("attachment-download", args=[pdf.pk]), "application/pdf"),
        (reverse("attachment-download", args=[page.pk]), None),
        (reverse("report-attachment-download", args=[photo.pk]), "image/png"),
        (reverse("document-download", args=[document.pk]), "application/pdf"),
    ]:
        response = client.get(url, secure=True)
        assert response.status_code == 200, url
        assert response["Content-Disposition"].startswith("attachment;"), url
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "script-src 'self'" in response["Content-Security-Policy"]
        if kind:
            assert response["Content-Type"] == kind
        # Read to the end: the test client then closes the response without closing the
        # test's database connection (response.close() would, on PostgreSQL).
        assert b"".join(response.streaming_content)


def test_uploaded_files_are_not_served_from_media_url(world, client, media_root):
    ProjectAttachment.objects.create(
        project=world.project_a, file=SimpleUploadedFile("方案.pdf", PDF)
    )
    stored = next(media_root.rglob("*.pdf")).relative_to(media_root).as_posix()
    assert client.get(f"/{settings.MEDIA_URL}{stored}").status_code == 404


# --- Secrets -------------------------------------------------------------------------------

# Values that look like secrets but are not, each with the reason.
KNOWN_NOT_SECRET = {
    "django-insecure-local-development-only-key-do-not-use-in-production",  # DEBUG only
    "insecure-test-only-key-0123456789abcdefghijklmnopqrstuvwxyz",  # pytest-env
    "build-only",  # collectstatic in the Dockerfile
    "jingsai-demo-2016",  # the published demo accounts' password
    "load-test-Pa55word",  # the load test's accounts, in its own throw-away dataset
    "jingsai",  # compose's PostgreSQL, not published outside the compose network
    "pass",  # user:pass@ in the documentation's example URLs
    "secret",  # jingsai:secret@ in the README's example URL
}
SECRET_PATTERNS = [
    re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),  # GitHub token
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),  # Slack token
    re.compile(r"\bsk-[A-Za-z0-9]{32,}\b"),  # API keys of the sk- kind
    re.compile(r"\bLTAI[A-Za-z0-9]{12,30}\b"),  # Alibaba Cloud AccessKey
]
# NAME = "value" where the name ends in a secret's word (SECRET_KEY, DEMO_PASSWORD, API_TOKEN).
ASSIGNMENT = re.compile(
    r"""(?ix)\b[a-z_]*(?:secret|password|passwd|token|api_key|access_key)(?:_key)?\b
    ["']?\s*[:=]\s*["']([^"'\s{}$]{6,})["']"""
)
URL_CREDENTIALS = re.compile(r"\b[a-z+]+://[^:/\s@]+:([^@/\s]+)@")
FORBIDDEN_NAMES = re.compile(r"(^|/)(\.env(\..+)?|.*\.pem|.*\.key|id_rsa.*|db\.sqlite3)$")


def tracked_files() -> list[str]:
    if not (ROOT / ".git").exists() or not shutil.which("git"):
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [name for name in listing.decode().split("\0") if name]


def test_no_secret_in_tracked_files():
    problems = []
    for name in tracked_files():
        path = ROOT / name
        if FORBIDDEN_NAMES.search(name) or name.startswith("media/"):
            problems.append(f"{name}: this file must not be committed")
        if not path.is_file() or path.suffix in {".mo", ".png", ".otf", ".ttf", ".xlsx"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in SECRET_PATTERNS:
            if pattern.search(text):
                problems.append(f"{name}: {pattern.pattern}")
        if name.startswith("tests/"):
            continue  # test passwords are made up for the test database
        for pattern in (ASSIGNMENT, URL_CREDENTIALS):
            for match in pattern.finditer(text):
                value = match.group(1)
                if value not in KNOWN_NOT_SECRET and not value.startswith("%("):
                    line = text.count("\n", 0, match.start()) + 1
                    problems.append(f"{name}:{line}: {match.group(0)[:80]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "name", [".env", ".env.production", "db.sqlite3", "media/projects/1/方案.pdf", "server.key"]
)
def test_gitignore_keeps_local_files_out(name):
    tracked_files()  # skips outside a git checkout
    result = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", name], cwd=ROOT, capture_output=True
    )
    assert result.returncode == 0, f"{name} is not ignored by .gitignore"


def test_dev_py_writes_a_random_secret_key_to_an_untracked_env_file(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT))
    try:
        import dev
    finally:
        sys.path.remove(str(ROOT))
    assert dev.ENV_FILE == ROOT / ".env"  # ignored by git (test_gitignore_keeps_local_files_out)
    keys = []
    for run in range(2):
        env_file = tmp_path / f"env{run}"
        monkeypatch.setattr(dev, "ENV_FILE", env_file)
        dev.ensure_env_file()
        values = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
        keys.append(values["SECRET_KEY"])
        assert len(values["SECRET_KEY"]) >= 50
    assert keys[0] != keys[1]
