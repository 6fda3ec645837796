"""Certificate pages: the certificates a user may download (the campaign's competition office,
the recipient's unit), one honours list's certificates with the bulk downloads, the PDF of one
certificate, and the public verification page (证书查验), which needs no login and shows only
what is printed on the certificate.

Who sees which certificate is ``queries.certificates_for_user``; the bulk downloads of a list
are for the campaign's competition office (``require_staff_of``).
"""

import re

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from competitions.models import Campaign
from competitions.queries import user_role
from competitions.services import error_text
from scoring.services import require_staff_of

from . import certificates as printing
from .models import Certificate, HonourList
from .queries import certificates_for_user, honour_lists_for_user

PAGE_SIZE = 50


def _download(data: bytes, name: str, content_type="application/pdf") -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    # filename*=utf-8'' for the Chinese names of recipients.
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _url_for(request):
    base = printing.base_url_of(request)
    return lambda certificate: printing.verification_url(certificate, base)


class CertificateFilter(django_filters.FilterSet):
    campaign = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Campaign"),
        queryset=Campaign.objects.none(),
        empty_label=gettext_lazy("All campaigns"),
    )
    q = django_filters.CharFilter(label=gettext_lazy("Number, recipient or unit"), method="search")

    class Meta:
        model = Certificate
        fields = ["campaign"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the campaigns the user has certificates of.
        self.filters["campaign"].queryset = Campaign.objects.filter(
            pk__in=self.queryset.values("campaign_id")
        ).order_by("-start_date", "pk")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(recipient_name__icontains=value)
            | Q(unit_name__icontains=value)
        )


@login_required
def certificate_list(request):
    """The certificates the user may download, by campaign and number; for the competition
    office the certificates of the campaigns it runs, for a unit liaison its own unit's."""
    filters = CertificateFilter(request.GET or None, queryset=certificates_for_user(request.user))
    certificates = filters.qs.annotate(list_id=F("entry__honour_list_id")).order_by(
        "-issued_on", "campaign_id", "serial"
    )
    page = Paginator(certificates, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "awards/certificate_list.html",
        {
            "filter": filters,
            "page_obj": page,
            "certificates": page.object_list,
            # Their certificates are all of campaigns they run: link each to its list's page.
            "staff": user_role(request.user) in ("organiser", "superuser"),
        },
    )


def _staff_list(request, list_id) -> HonourList:
    honour_list = get_object_or_404(
        honour_lists_for_user(request.user).select_related(
            "rule__campaign__organiser", "rule__honour_type", "rule__zone"
        ),
        pk=list_id,
    )
    require_staff_of(honour_list.rule.campaign, request.user)
    return honour_list


def _list_certificates(honour_list):
    return Certificate.objects.filter(
        entry__honour_list=honour_list, entry__removed_at__isnull=True
    ).order_by("serial")


@login_required
def list_certificates(request, list_id):
    """One honours list's certificates, for the campaign's competition office, with the
    downloads of them all."""
    honour_list = _staff_list(request, list_id)
    certificates = list(_list_certificates(honour_list))
    return render(
        request,
        "awards/list_certificates.html",
        {
            "honour_list": honour_list,
            "certificates": certificates,
            "confirmed": honour_list.status == HonourList.Status.CONFIRMED,
        },
    )


def _bulk_name(honour_list, extension):
    rule = honour_list.rule
    where = f"-{rule.zone.name}" if rule.zone_id else ""
    name = f"荣誉证书-{rule.campaign.title}{where}-{rule.honour_type.name}"
    return printing.UNSAFE_IN_NAME.sub("_", name)[:120] + extension


def _bulk_download(request, list_id, render, extension, content_type):
    """Every certificate of the list rendered by ``render`` into one file; back to the
    list's certificates with the reason when there are none or the font lacks characters."""
    honour_list = _staff_list(request, list_id)
    certificates = list(_list_certificates(honour_list))
    if not certificates:
        messages.error(request, _("This list has no certificates yet."))
        return redirect("awards:list-certificates", list_id=honour_list.pk)
    try:
        data = render(certificates, _url_for(request))
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("awards:list-certificates", list_id=honour_list.pk)
    return _download(data, _bulk_name(honour_list, extension), content_type)


@login_required
def list_certificates_zip(request, list_id):
    """Every certificate of the list, one PDF each, in a ZIP."""
    return _bulk_download(request, list_id, printing.render_zip, ".zip", "application/zip")


@login_required
def list_certificates_booklet(request, list_id):
    """Every certificate of the list as one PDF, a page each, for printing."""
    return _bulk_download(request, list_id, printing.render_booklet, ".pdf", "application/pdf")


@login_required
def certificate_pdf(request, pk):
    """One certificate as a PDF, for whoever may see it."""
    certificate = get_object_or_404(certificates_for_user(request.user), pk=pk)
    try:
        data = printing.render(certificate, _url_for(request)(certificate))
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect(reverse("awards:certificates") + f"?campaign={certificate.campaign_id}")
    return _download(data, printing.file_name(certificate))


# --- Public verification ----------------------------------------------------------------------


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Certificate number or verification code"),
        max_length=40,
        help_text=gettext_lazy(
            "As printed at the foot of the certificate: a number such as 2026-0003-00012, or "
            "the 12-character verification code."
        ),
    )

    def clean_code(self):
        value = self.cleaned_data["code"].strip()
        if printing.NUMBER.match(value):
            return value
        code = re.sub(r"[\s-]+", "", value).upper()
        if not re.fullmatch(r"[A-Z0-9]{1,16}", code):
            raise ValidationError(
                _("Enter a certificate number or a verification code of letters and digits.")
            )
        return code


def verify(request):
    """The verification form: a number or code leads to its verification page."""
    form = VerifyForm(request.GET or None)
    if form.is_valid():
        return redirect("awards:verify-code", code=form.cleaned_data["code"])
    return render(request, "awards/verify.html", {"form": form})


def verify_code(request, code):
    """Whether a certificate with this number or code was issued here, and what it says.

    Shows only what is printed on the certificate; an unknown code is a 404 page that says
    so."""
    certificate = printing.find_certificate(code)
    status = 200 if certificate else 404
    form = VerifyForm(initial={"code": code})
    return render(
        request,
        "awards/verify.html",
        {"form": form, "certificate": certificate, "code": code, "looked_up": True},
        status=status,
    )
