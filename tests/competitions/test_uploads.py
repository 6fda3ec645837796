import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from competitions.validators import UploadValidator

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [("通知.pdf", PDF), ("现场.png", PNG), ("方案.docx", docx_bytes())],
)
def test_upload_of_allowed_type_is_accepted(name, content):
    UploadValidator()(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fake.pdf", b"<script>alert(1)</script>", "只接受"),
        ("run.exe", b"MZ\x90\x00" + b"\x00" * 60, "只接受"),
        ("photo.pdf", PNG, "文件内容为PNG"),
    ],
)
def test_upload_with_wrong_content_is_refused(name, content, message):
    with pytest.raises(ValidationError) as error:
        UploadValidator()(SimpleUploadedFile(name, content))
    assert message in error.value.messages[0]


def test_upload_over_the_size_limit_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(ValidationError) as error:
        UploadValidator()(SimpleUploadedFile("big.pdf", PDF + b"0" * 200))
    assert "最大" in error.value.messages[0]


def test_upload_validator_leaves_the_file_position():
    upload = SimpleUploadedFile("通知.pdf", PDF)
    upload.seek(3)
    UploadValidator()(upload)
    assert upload.tell() == 3


def test_upload_restricted_kinds():
    with pytest.raises(ValidationError):
        UploadValidator(kinds=("jpg", "png"))(SimpleUploadedFile("通知.pdf", PDF))


def test_admin_refuses_fake_document_and_saves_nothing(world, client_for):
    from django.urls import reverse

    from competitions.models import CampaignDocument

    response = client_for("city").post(
        reverse("admin:competitions_campaigndocument_add"),
        {
            "campaign": world.campaign.pk,
            "title": "假文件",
            "kind": "notice",
            "file": SimpleUploadedFile("通知.pdf", b"not a pdf at all"),
        },
    )
    assert response.status_code == 200
    assert "只接受" in response.content.decode()
    assert not CampaignDocument.objects.exists()
