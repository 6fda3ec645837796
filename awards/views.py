"""Public notice (公示) pages of the honours lists and the staff page of their objections.

The public pages need no login and never show who lodged an objection. The notice pages
cost a fixed number of queries however many entries the lists have.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from competitions.services import error_text
from scoring.services import require_staff_of

from . import services
from .models import HonourList, HonourListEntry, Objection, validate_contact


def _active_entries():
    return Prefetch(
        "entries",
        queryset=HonourListEntry.objects.filter(removed_at__isnull=True).select_related(
            "unit", "team", "person", "project"
        ),
        to_attr="active_entries",
    )


def _published_lists():
    return HonourList.objects.filter(status=HonourList.Status.PUBLISHED).select_related(
        "rule__campaign", "rule__honour_type", "rule__zone"
    )


class ObjectionForm(forms.Form):
    entry = forms.ModelChoiceField(
        label=gettext_lazy("Entry objected to"), queryset=HonourListEntry.objects.none()
    )
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=64)
    contact = forms.CharField(
        label=gettext_lazy("Phone or e-mail"),
        max_length=128,
        validators=[validate_contact],
        help_text=gettext_lazy("Kept from the public; staff may contact you about it."),
    )
    content = forms.CharField(
        label=gettext_lazy("Objection"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = entries
        self.fields["entry"].label_from_instance = lambda e: (
            f"{e.recipient_name}" + (f" · {e.project.title}" if e.project_id else "")
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("upheld", gettext_lazy("Upheld")),
            ("dismissed", gettext_lazy("Dismissed")),
        ],
        widget=forms.RadioSelect,
    )
    investigation = forms.CharField(
        label=gettext_lazy("Investigation"), widget=forms.Textarea(attrs={"rows": 3})
    )


def notices(request):
    """The lists in public notice today, with their active entries."""
    today = timezone.localdate()
    lists = list(
        _published_lists()
        .filter(notice_start__lte=today, notice_end__gte=today)
        .prefetch_related(_active_entries())
        .order_by("notice_end", "pk")
    )
    return render(request, "awards/notices.html", {"lists": lists})


def notice(request, list_id):
    """One list in public notice and the form to lodge an objection against an entry."""
    honour_list = get_object_or_404(
        _published_lists().prefetch_related(_active_entries()), pk=list_id
    )
    open_ = services.in_notice(honour_list)
    entries = (
        honour_list.entries.filter(removed_at__isnull=True)
        .select_related("unit", "team", "person", "project")
        .order_by("rank", "pk")
    )
    form = None
    if request.method == "POST":
        if not open_:
            messages.error(request, _("Objections can be lodged only during the public notice."))
            return redirect("awards:notice", list_id=honour_list.pk)
        form = ObjectionForm(request.POST, entries=entries)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.lodge_objection(
                    data["entry"], data["name"], data["contact"], data["content"]
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        target = field if field in form.fields else None
                        for item in errors:
                            form.add_error(target, item)
                else:
                    form.add_error(None, error_text(error))
            else:
                messages.success(
                    request,
                    _("Thank you. Your objection has been received and will be investigated."),
                )
                return redirect("awards:notice", list_id=honour_list.pk)
    elif open_:
        form = ObjectionForm(entries=entries)
    return render(
        request,
        "awards/notice.html",
        {"honour_list": honour_list, "open": open_, "form": form},
    )


@login_required
def objections(request, list_id):
    """Staff of the campaign see the objections to a list, with who lodged them, and decide."""
    honour_list = get_object_or_404(
        HonourList.objects.select_related("rule__campaign", "rule__honour_type", "rule__zone"),
        pk=list_id,
    )
    require_staff_of(honour_list.rule.campaign, request.user)
    forms_by_id = {}
    if request.method == "POST":
        objection = get_object_or_404(
            Objection.objects.select_related("entry__honour_list"),
            pk=request.POST.get("objection"),
            entry__honour_list=honour_list,
        )
        form = DecisionForm(request.POST, prefix=f"o{objection.pk}")
        if form.is_valid():
            upheld = form.cleaned_data["decision"] == "upheld"
            try:
                substitutes = services.decide_objection(
                    objection, request.user, upheld, form.cleaned_data["investigation"]
                )
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                if upheld:
                    messages.success(
                        request,
                        _(
                            "The objection is upheld: the entry is removed and "
                            "%(count)d substitutes are proposed."
                        )
                        % {"count": len(substitutes)},
                    )
                else:
                    messages.success(request, _("The objection is dismissed."))
                return redirect("awards:objections", list_id=honour_list.pk)
        forms_by_id[objection.pk] = form
    rows = []
    for objection in (
        Objection.objects.filter(entry__honour_list=honour_list)
        .select_related("entry__unit", "entry__team", "entry__person", "entry__project")
        .select_related("decided_by")
        .order_by("-status", "lodged_at", "pk")
    ):
        form = None
        if objection.status == Objection.Status.LODGED:
            form = forms_by_id.get(objection.pk) or DecisionForm(prefix=f"o{objection.pk}")
        rows.append({"objection": objection, "form": form})
    substitutes = honour_list.entries.filter(
        source=HonourListEntry.Source.SUBSTITUTE
    ).select_related("unit", "team", "person", "project")
    return render(
        request,
        "awards/objections.html",
        {"honour_list": honour_list, "rows": rows, "substitutes": substitutes},
    )
