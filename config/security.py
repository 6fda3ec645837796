"""Security headers Django 5.2 does not send by itself (Content-Security-Policy and
Permissions-Policy), and the size limit of uploads as they arrive.

Django's ``SecurityMiddleware`` already sends HSTS, ``X-Content-Type-Options``,
``Referrer-Policy`` and ``Cross-Origin-Opener-Policy``, and ``XFrameOptionsMiddleware`` sends
``X-Frame-Options``. A hand-written middleware rather than django-csp: the policy is one fixed
string (the pages have no inline scripts or styles, so no nonces or hashes are needed), and
Django 6 brings its own CSP support to switch to later.
"""

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


def policy_for(path: str) -> str:
    """The Content-Security-Policy for a request path: the strict site policy, unless a
    prefix in ``CONTENT_SECURITY_POLICY_EXCEPTIONS`` names a relaxed one (the longest
    matching prefix wins)."""
    exceptions = getattr(settings, "CONTENT_SECURITY_POLICY_EXCEPTIONS", {})
    for prefix in sorted(exceptions, key=len, reverse=True):
        if path.startswith(prefix):
            return exceptions[prefix]
    return settings.CONTENT_SECURITY_POLICY


class SecurityHeadersMiddleware:
    """Adds ``Content-Security-Policy`` and ``Permissions-Policy`` to every response that
    does not carry its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = policy_for(request.path_info)
        if policy:
            response.headers.setdefault("Content-Security-Policy", policy)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class SizeLimitedUploadHandler(FileUploadHandler):
    """Uploads larger than ``settings.UPLOAD_MAX_BYTES`` are not stored: the bytes past the
    limit are dropped as they arrive, so a huge upload cannot fill the temporary directory.
    The file still reaches the form, empty but with its real size, and the form's
    ``UploadValidator`` refuses it with its usual message ("The file is 2.0 GB; files may be
    at most 10.0 MB."). First in ``FILE_UPLOAD_HANDLERS``."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        self.received = start + len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            self.too_large = True
            return None  # the handlers after this one get nothing more
        return raw_data

    def file_complete(self, file_size):
        if not self.too_large:
            return None  # the next handler (memory or temporary file) has the file
        upload = SimpleUploadedFile(self.file_name, b"", self.content_type)
        upload.size = self.received
        return upload
