"""Pages for the bulk import of units and people from Excel (organiser staff only).

Upload → preview (nothing saved) → confirm. Between the two requests the workbook waits in
``MEDIA_ROOT/imports/``; the confirm form carries a signed token naming that file and the
user, valid for an hour, and confirming reads and validates the file again.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import imports
from .excel import xlsx_bytes_response
from .rules import require_office_staff
from .validators import UploadValidator

TOKEN_SALT = "competitions.unit-import"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        validators=[UploadValidator(kinds=("xlsx",))],
    )


def _render(request, *, form=None, plan=None, token=None, status=200):
    return render(
        request,
        "competitions/import_units.html",
        {
            "form": form or UploadForm(),
            "plan": plan,
            "token": token,
            "max_rows": imports.MAX_ROWS,
        },
        status=status,
    )


@login_required
def import_template(request):
    require_office_staff(request.user)
    return xlsx_bytes_response(imports.build_template(request.user), "单位职工导入模板.xlsx")


@login_required
def import_units(request):
    require_office_staff(request.user)
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    if request.method != "POST":
        return _render(request)

    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, form=form, status=400)
    upload = form.cleaned_data["file"]
    plan = imports.UnitImport(request.user, upload)
    token = None
    if plan.is_valid:
        key = imports.store_upload(upload)
        token = signing.dumps({"file": key, "user": request.user.pk}, salt=TOKEN_SALT)
    return _render(request, plan=plan, token=token)


def _confirm(request):
    try:
        data = signing.loads(
            request.POST["token"], salt=TOKEN_SALT, max_age=imports.CONFIRM_MAX_AGE
        )
        key = data["file"]
        path = imports.upload_path(key)
        if data["user"] != request.user.pk or not default_storage.exists(path):
            raise signing.BadSignature
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        # signing.SignatureExpired is a BadSignature too.
        messages.error(
            request,
            _(
                "This import can no longer be confirmed (the link is invalid or has expired). "
                "Please upload the file again."
            ),
        )
        return _render(request, status=400)

    with default_storage.open(path, "rb") as file:
        plan = imports.UnitImport(request.user, file)
    imports.discard_upload(key)
    if not plan.is_valid:
        # The data changed since the preview (e.g. a unit was moved out of scope meanwhile).
        messages.error(request, _("The file no longer passes the checks; nothing was imported."))
        return _render(request, plan=plan, status=400)
    try:
        units, people = plan.save(actor=request.user)
    except IntegrityError:
        # Someone registered one of these units between the check and the save.
        messages.error(
            request, _("The data changed while importing; nothing was imported. Try again.")
        )
        return _render(request, status=409)
    messages.success(
        request,
        _("Imported %(units)d units and %(people)d people.") % {"units": units, "people": people},
    )
    return redirect("unit-list")
