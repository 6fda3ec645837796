"""Certificates API: the certificates a user may see (``queries.certificates_for_user``: the
campaign's competition office, the recipient's unit), each one's PDF, and the public
verification of a number or code.

``GET /certificates/verify/?code=...`` needs no login and returns only what is printed on the
certificate; an unknown code is 404. A PDF that cannot be printed because the certificate
font lacks a character is 409 with the characters named.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import decorators, exceptions, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse

from competitions.api import ERRORS as COMPETITION_ERRORS
from competitions.api import ErrorSerializer
from competitions.filters import IdFilter

from . import certificates as printing
from .models import Certificate
from .queries import certificates_for_user

ERRORS = {
    404: COMPETITION_ERRORS[404],
    409: OpenApiResponse(
        ErrorSerializer,
        description=gettext_lazy(
            "The certificate font lacks some characters of the certificate; they are named."
        ),
    ),
}


class FontConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "missing_glyphs"


class PDFRenderer(BaseRenderer):
    """Lets clients ask for ``Accept: application/pdf`` (the view answers with the PDF
    itself; errors switch back to JSON in ``handle_exception``)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


class VerifiedCertificateSerializer(serializers.ModelSerializer):
    """What is printed on a certificate, and nothing else."""

    class Meta:
        model = Certificate
        fields = [
            "number",
            "honour_name",
            "recipient_name",
            "unit_name",
            "campaign_title",
            "issuer_name",
            "issued_on",
        ]


class CertificateSerializer(serializers.ModelSerializer):
    honour_list = serializers.IntegerField(
        source="honour_list_id",
        allow_null=True,
        read_only=True,
        help_text=gettext_lazy("The confirmed honours list; null for an instant honour."),
    )
    verification_url = serializers.SerializerMethodField(
        help_text=gettext_lazy("The public verification page, as printed on the certificate.")
    )
    pdf = serializers.SerializerMethodField(help_text=gettext_lazy("Download address of the PDF."))

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "serial",
            "verification_code",
            "honour_name",
            "recipient_name",
            "unit_name",
            "campaign",
            "campaign_title",
            "issuer_name",
            "issued_on",
            "list_version",
            "honour_list",
            "entry",
            "instant_honour",
            "verification_url",
            "pdf",
        ]

    def get_verification_url(self, certificate) -> str:
        request = self.context.get("request")
        base = printing.base_url_of(request) if request else ""
        return printing.verification_url(certificate, base)

    def get_pdf(self, certificate) -> str:
        return reverse(
            "api:certificate-pdf", args=[certificate.pk], request=self.context.get("request")
        )


class CertificateFilter(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id")
    honour_list = IdFilter(field_name="entry__honour_list_id")

    class Meta:
        model = Certificate
        fields = ["campaign", "honour_list"]


class CertificateViewSet(viewsets.ReadOnlyModelViewSet):
    """Certificates of confirmed honours lists and instant honours: the campaign's
    competition office sees those of the campaigns it runs, a unit liaison its own unit's."""

    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    ordering_fields = ["number", "issued_on", "recipient_name"]
    ordering = ["campaign", "serial"]

    def get_queryset(self):
        return certificates_for_user(self.request.user).annotate(
            honour_list_id=F("entry__honour_list_id")
        )

    def handle_exception(self, exc):
        # A client asking for the PDF gets its errors as JSON, labelled as such.
        if isinstance(getattr(self.request, "accepted_renderer", None), PDFRenderer):
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description=gettext_lazy("The certificate as a PDF.")
            ),
            404: ERRORS[404],
            409: ERRORS[409],
        },
        summary=gettext_lazy("The certificate as a PDF"),
        description=gettext_lazy(
            "Landscape A4 in Chinese, with the number, verification code and verification "
            "address at the foot."
        ),
    )
    @decorators.action(
        detail=True,
        methods=["get"],
        renderer_classes=[JSONRenderer, PDFRenderer],
        pagination_class=None,
        filter_backends=[],
    )
    def pdf(self, request, pk=None):
        certificate = self.get_object()
        url = printing.verification_url(certificate, printing.base_url_of(request))
        try:
            data = printing.render(certificate, url)
        except DjangoValidationError as error:
            raise FontConflict(" ".join(error.messages)) from error
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            True, printing.file_name(certificate)
        )
        return response

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "code",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=True,
                description=gettext_lazy(
                    "The certificate number (2026-0003-00012) or the 12-character "
                    "verification code printed on the certificate."
                ),
            )
        ],
        responses={
            200: VerifiedCertificateSerializer,
            400: COMPETITION_ERRORS[400],
            404: OpenApiResponse(
                ErrorSerializer, description=gettext_lazy("No certificate has this code.")
            ),
        },
        summary=gettext_lazy("Verify a certificate (public)"),
        description=gettext_lazy(
            "No login needed. Returns what is printed on the certificate with this number or "
            "verification code, so a paper certificate can be checked."
        ),
    )
    @decorators.action(
        detail=False,
        methods=["get"],
        permission_classes=[AllowAny],
        authentication_classes=[],
        pagination_class=None,
        filter_backends=[],
    )
    def verify(self, request):
        code = (request.query_params.get("code") or "").strip()
        if not code:
            raise serializers.ValidationError(
                {"detail": _("Give the certificate number or verification code as ?code=.")}
            )
        certificate = printing.find_certificate(code)
        if certificate is None:
            raise exceptions.NotFound(_("No certificate has this number or verification code."))
        return Response(VerifiedCertificateSerializer(certificate).data)
