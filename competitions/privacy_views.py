"""A person's page with their personal data, and the handling of requests under PIPL:
export (a JSON file or a readable page) and erasure, for a person or a user account.

Who sees a person's page: whoever sees the person (``queries.people_for_user``); their phone
and ID number are masked unless ``privacy.may_see_personal_data``. Who exports or erases: a
superuser or the staff of the person's union or a union above (``privacy.may_handle_requests``);
for user accounts, superusers only.
"""

from auditlog.models import LogEntry
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import privacy, privacy_requests, queries
from .models import Person, PrivacyRequest

HISTORY_SHOWN = 50
MASKED_FIELDS = ("phone", "id_number")


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "The request's date, form and reference. Do not write the person's name here."
        ),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the erasure cannot be undone."),
    )


def _person(request, pk) -> Person:
    return get_object_or_404(
        queries.people_for_user(request.user).select_related("unit__organisation", "team"), pk=pk
    )


def _require_handler(request, person) -> None:
    if not privacy.may_handle_requests(request.user, person.unit):
        raise PermissionDenied(
            _(
                "Only the staff of the union responsible for the person's unit handle "
                "personal data requests."
            )
        )


def _history(user, person) -> list[dict]:
    """The person's audit trail, with phone and ID number masked unless ``user`` may see them."""
    visible = privacy.may_see_personal_data(user, person.unit)
    labels = {field.name: field.verbose_name for field in Person._meta.concrete_fields}
    rows = []
    for entry in (
        LogEntry.objects.get_for_object(person)
        .select_related("actor")
        .order_by("-timestamp", "-pk")[:HISTORY_SHOWN]
    ):
        changes = []
        for field, values in (entry.changes or {}).items():
            if not isinstance(values, list) or len(values) != 2 or values[0] == values[1]:
                continue
            before, after = ("" if v in (None, "None") else str(v) for v in values)
            if field in MASKED_FIELDS:
                before = privacy.shown(before, field, visible)
                after = privacy.shown(after, field, visible)
            changes.append((labels.get(field, field), before, after))
        rows.append({"entry": entry, "changes": changes})
    return rows


@login_required
def person_detail(request, pk):
    from awards.models import InstantHonour
    from awards.queries import entries_for_user
    from skills.models import Contestant, HeatEntry

    person = _person(request, pk)
    user = request.user
    handler = privacy.may_handle_requests(user, person.unit)
    context = {
        "person": person,
        "handler": handler,
        "projects": queries.projects_for_user(user)
        .filter(leader=person)
        .select_related("campaign", "zone"),
        # As the honours pages show them: a draft list's entries to its campaign's staff.
        "entries": entries_for_user(user)
        .filter(person=person)
        .select_related(
            "honour_list__rule__honour_type", "honour_list__rule__campaign", "certificate"
        ),
        "instant_honours": InstantHonour.objects.filter(person=person).select_related(
            "honour_type", "campaign", "certificate"
        ),
        "contestants": Contestant.objects.filter(person=person)
        .select_related("event__campaign")
        .prefetch_related(
            Prefetch("entries", HeatEntry.objects.select_related("heat__tier").order_by("pk"))
        ),
    }
    if handler or user.is_superuser:
        context["history"] = _history(user, person)
        context["requests"] = PrivacyRequest.objects.filter(
            subject=PrivacyRequest.Subject.PERSON, subject_id=person.pk
        ).select_related("handled_by")
    return render(request, "competitions/privacy_person.html", context)


def _export_response(request, data, fmt, filename, back_url):
    if fmt == "json":
        response = HttpResponse(
            privacy_requests.to_json(data), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
        return response
    if fmt == "html":
        return render(
            request,
            "competitions/privacy_export.html",
            {
                "data": data,
                "sections": privacy_requests.readable_sections(data),
                "back_url": back_url,
            },
        )
    raise Http404


@login_required
def person_export(request, pk, fmt):
    person = _person(request, pk)
    _require_handler(request, person)
    if fmt not in ("json", "html"):
        raise Http404
    data = privacy_requests.export_person(person, request.user, PrivacyRequest.Channel.WEB)
    return _export_response(
        request, data, fmt, f"person-{person.pk}", reverse("person-detail", args=[person.pk])
    )


@login_required
def person_erase(request, pk):
    person = _person(request, pk)
    _require_handler(request, person)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy_requests.erase_person(
                person, form.cleaned_data["reason"], request.user, PrivacyRequest.Channel.WEB
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("The person's personal data is erased; the erasure is recorded."),
            )
            return redirect("person-detail", pk=person.pk)
    return render(
        request,
        "competitions/privacy_erase.html",
        {
            "subject": person,
            "subject_kind": "person",
            "blockers": privacy_requests.erasure_blockers(person),
            "form": form,
            "back_url": reverse("person-detail", args=[person.pk]),
        },
    )


def _account(request, pk):
    if not request.user.is_superuser:
        raise PermissionDenied(_("Only a superuser handles requests about user accounts."))
    return get_object_or_404(get_user_model().objects.select_related("organisation", "unit"), pk=pk)


@login_required
def account_privacy(request, pk):
    account = _account(request, pk)
    requests = PrivacyRequest.objects.filter(
        subject=PrivacyRequest.Subject.USER, subject_id=account.pk
    ).select_related("handled_by")
    return render(
        request,
        "competitions/privacy_account.html",
        {"account": account, "requests": requests},
    )


@login_required
def account_export(request, pk, fmt):
    account = _account(request, pk)
    if fmt not in ("json", "html"):
        raise Http404
    data = privacy_requests.export_user(account, request.user, PrivacyRequest.Channel.WEB)
    return _export_response(
        request, data, fmt, f"user-{account.pk}", reverse("account-privacy", args=[account.pk])
    )


@login_required
def account_erase(request, pk):
    account = _account(request, pk)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy_requests.erase_user(
                account, form.cleaned_data["reason"], request.user, PrivacyRequest.Channel.WEB
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("The account's personal data is erased; the erasure is recorded.")
            )
            return redirect("account-privacy", pk=account.pk)
    return render(
        request,
        "competitions/privacy_erase.html",
        {
            "subject": account,
            "subject_kind": "user",
            "blockers": [],
            "form": form,
            "back_url": reverse("account-privacy", args=[account.pk]),
        },
    )
