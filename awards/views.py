"""Honours pages: public notice (公示) pages and, for the campaign's staff, the rules, the
lists (generation with its progress, adjustments, publication, confirmation), the objections
and the instant honours; for unit liaisons, the nomination of their entries' recipients.

The public pages need no login and never show who lodged an objection. Every change goes
through ``awards.services``; a refusal (ValidationError, PermissionDenied from the service) is
shown as a message and changes nothing. Pages that list entries cost a fixed number of
queries however many entries the lists have. Forms carry a one-time token (``once``) so a
double submit is run once; ``static/js/honours.js`` also disables a form's buttons once sent.
"""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from competitions.models import Person, Team
from competitions.queries import campaigns_for_user, campaigns_run_by, user_role
from competitions.services import error_text
from scoring.services import require_staff_of

from . import queries, services
from .forms import (
    HonourRuleForm,
    InstantHonourForm,
    NominateForm,
    PublishForm,
    ReasonForm,
    RecipientForm,
    RemoveEntryForm,
    default_notice_end,
)
from .models import (
    HonourList,
    HonourListEntry,
    HonourRule,
    HonourType,
    Objection,
    validate_contact,
)
from .queries import honour_rules_for_user


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
        if not _first_submit(request):
            return _refuse_repeat(request, redirect("awards:notice", list_id=honour_list.pk))
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
        {"honour_list": honour_list, "open": open_, "form": form, "once": _once_token()},
    )


@login_required
def objections(request, list_id):
    """Staff of the campaign see the objections to a list, with who lodged them, and decide."""
    # Looked up in the user's scope first: a list of a campaign the user does not see is 404,
    # as an id that does not exist (a 403 would tell a guessed id is taken).
    honour_list = get_object_or_404(
        queries.honour_lists_for_user(request.user).select_related(
            "rule__campaign", "rule__honour_type", "rule__zone"
        ),
        pk=list_id,
    )
    require_staff_of(honour_list.rule.campaign, request.user)
    forms_by_id = {}
    if request.method == "POST":
        objection_id = request.POST.get("objection", "")
        objection = get_object_or_404(
            Objection.objects.select_related("entry__honour_list"),
            # Not a number: no such objection (not a 500).
            pk=objection_id if objection_id.isdecimal() else None,
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


# --- Shared helpers of the staff and unit pages -----------------------------------------------

ONCE_TIMEOUT = 6 * 60 * 60


def _once_token() -> str:
    return uuid.uuid4().hex


def _first_submit(request) -> bool:
    """Whether this POST is the first with its form's one-time token (a page's forms carry a
    fresh token each time the page is shown). A POST without a token is let through."""
    token = (request.POST.get("once") or "")[:64]
    if not token:
        return True
    return bool(cache.add(f"awards:once:{request.user.pk}:{token}", 1, ONCE_TIMEOUT))


def _refuse_repeat(request, target):
    messages.info(request, _("This form has been sent already; it was run once."))
    return target


def _form_errors(form, error: ValidationError) -> None:
    """Show a service's refusal on the form: field messages on their fields."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error_text(error))


def _refusal(request, form, error: ValidationError) -> None:
    """A service's refusal of a form: field messages on the form, a refusal of the whole
    operation as the page's message."""
    if hasattr(error, "error_dict"):
        _form_errors(form, error)
    else:
        messages.error(request, error_text(error))


def _staff_campaign(request, campaign_id):
    """A campaign the user sees (404 otherwise) and runs (403 otherwise)."""
    campaign = get_object_or_404(
        campaigns_for_user(request.user).select_related("organiser"), pk=campaign_id
    )
    require_staff_of(campaign, request.user)
    return campaign


def _staff_rule(request, rule_id) -> HonourRule:
    """A rule the user sees (404 otherwise) of a campaign the user runs (403 otherwise)."""
    rule = get_object_or_404(
        honour_rules_for_user(request.user).select_related(
            "campaign__organiser", "zone", "honour_type"
        ),
        pk=rule_id,
    )
    require_staff_of(rule.campaign, request.user)
    return rule


def _entry_count():
    rows = (
        HonourListEntry.objects.filter(honour_list__rule=OuterRef("pk"), removed_at__isnull=True)
        .order_by()
        .values("honour_list__rule")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


# --- Index -------------------------------------------------------------------------------------


@login_required
def index(request):
    """荣誉评选: for staff, the campaigns they see with their honour rules and the state of
    each list (managed where they run the campaign); for a unit liaison, the unit's entries
    that wait for it to name who receives the honour."""
    user = request.user
    role = user_role(user)
    if role == "unit":
        entries = list(queries.awaiting_nomination(user))
        waiting = [e for e in entries if e.person_id is None and e.team_id is None]
        return render(request, "awards/index.html", {"unit_entries": entries, "waiting": waiting})
    if role not in ("organiser", "superuser"):
        raise PermissionDenied(_("Honours are managed by the competition office."))
    run = set(campaigns_run_by(user).values_list("pk", flat=True))
    rules = HonourRule.objects.select_related("honour_type", "zone", "list").annotate(
        entry_count=_entry_count()
    )
    campaigns = list(
        campaigns_for_user(user)
        .prefetch_related(Prefetch("honour_rules", queryset=rules.order_by("zone", "pk")))
        .annotate(instant_count=Count("instant_honours", distinct=True))
        .order_by("-start_date", "pk")
    )
    for campaign in campaigns:
        campaign.runs = campaign.pk in run
    campaigns.sort(key=lambda c: not c.runs)
    return render(request, "awards/index.html", {"campaigns": campaigns})


# --- Rules ---------------------------------------------------------------------------------------


def _rules_of(campaign):
    return (
        campaign.honour_rules.select_related("honour_type", "zone", "list")
        .annotate(entry_count=_entry_count())
        .order_by("zone", "honour_type", "pk")
    )


def _save_rule(request, form, campaign, message):
    if not form.is_valid():
        return False
    try:
        services.save_rule(form.save(commit=False), request.user)
    except ValidationError as error:
        _form_errors(form, error)
        return False
    messages.success(request, message)
    return True


@login_required
def rules(request, campaign_id):
    """The campaign's honour rules and the form to add one (the campaign's staff)."""
    campaign = _staff_campaign(request, campaign_id)
    form = HonourRuleForm(request.POST or None, campaign=campaign)
    if request.method == "POST":
        if not _first_submit(request):
            return _refuse_repeat(request, redirect("awards:rules", campaign_id=campaign.pk))
        if _save_rule(request, form, campaign, _("The honour rule is saved.")):
            return redirect("awards:rules", campaign_id=campaign.pk)
    return render(
        request,
        "awards/rules.html",
        {"campaign": campaign, "rules": _rules_of(campaign), "form": form, "once": _once_token()},
    )


@login_required
def rule_edit(request, rule_id):
    rule = _staff_rule(request, rule_id)
    campaign = rule.campaign
    form = HonourRuleForm(request.POST or None, instance=rule, campaign=campaign)
    if request.method == "POST":
        if not _first_submit(request):
            return _refuse_repeat(request, redirect("awards:rules", campaign_id=campaign.pk))
        if _save_rule(request, form, campaign, _("The honour rule is saved.")):
            return redirect("awards:rules", campaign_id=campaign.pk)
    return render(
        request,
        "awards/rule_edit.html",
        {"campaign": campaign, "rule": rule, "form": form, "once": _once_token()},
    )


@login_required
@require_POST
def rule_delete(request, rule_id):
    rule = _staff_rule(request, rule_id)
    target = redirect("awards:rules", campaign_id=rule.campaign_id)
    try:
        services.delete_rule(rule, request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The honour rule is deleted."))
    return target


# --- The list of a rule ----------------------------------------------------------------------


def _list_of(rule) -> HonourList | None:
    return (
        HonourList.objects.select_related("published_by", "confirmed_by")
        .filter(rule=rule)
        .annotate(
            objection_count=Count("entries__objections", distinct=True),
            open_objections=Count(
                "entries__objections",
                filter=Q(entries__objections__status=Objection.Status.LODGED),
                distinct=True,
            ),
        )
        .first()
    )


def _composition_rows(honour_list):
    rows = []
    for problem in services.composition_problems(honour_list):
        field = HonourRule._meta.get_field(problem["quota"])
        rows.append({**problem, "label": field.verbose_name})
    return rows


def _list_context(request, rule, add_form=None, publish_form=None):
    honour_list = _list_of(rule)
    recipient = rule.honour_type.recipient
    entries, problems, status = [], [], None
    if honour_list is not None:
        honour_list.rule = rule
        status = services.job_status(honour_list)
        entries = list(
            honour_list.entries.select_related(
                "unit", "team", "person", "project", "removed_by", "nominated_by", "certificate"
            ).order_by(F("removed_at").asc(nulls_first=True), F("rank").asc(nulls_last=True), "pk")
        )
        problems = _composition_rows(honour_list)
    # Nominations by staff: the people (or teams) of each entry's unit, one query for all.
    draft = honour_list is not None and honour_list.status == HonourList.Status.DRAFT
    if draft and recipient != HonourType.Recipient.UNIT:
        unit_ids = {e.unit_id for e in entries if e.removed_at is None}
        model = Person if recipient == HonourType.Recipient.PERSON else Team
        nominees = {}
        for choice in model.objects.filter(unit_id__in=unit_ids).order_by("name", "pk"):
            nominees.setdefault(choice.unit_id, []).append(choice)
        for entry in entries:
            entry.nominees = nominees.get(entry.unit_id, [])
    changeable = honour_list is None or honour_list.status != HonourList.Status.CONFIRMED
    if add_form is None and changeable:
        add_form = RecipientForm(campaign=rule.campaign, zone=rule.zone, recipient=recipient)
    if publish_form is None and (honour_list is None or draft):
        publish_form = PublishForm()
    today = timezone.localdate()
    return {
        "rule": rule,
        "campaign": rule.campaign,
        "honour_list": honour_list,
        "status": status,
        "entries": entries,
        "active_count": sum(1 for e in entries if e.removed_at is None),
        "problems": problems,
        "recipient": recipient,
        "draft": draft,
        "changeable": changeable,
        "add_form": add_form if changeable else None,
        "publish_form": publish_form if (honour_list is None or draft) else None,
        "default_end": default_notice_end(today),
        "today": today,
        "in_notice": honour_list is not None and services.in_notice(honour_list, today),
        "notice_over": (
            honour_list is not None
            and honour_list.notice_end is not None
            and today > honour_list.notice_end
        ),
        "once": _once_token(),
    }


@login_required
def honour_list(request, rule_id):
    """The list of one rule: its generation job, entries, checks and every staff action."""
    rule = _staff_rule(request, rule_id)
    return render(request, "awards/list.html", _list_context(request, rule))


@never_cache
@login_required
def list_status(request, rule_id):
    """The generation job of the rule's list as JSON, polled by ``static/js/honours.js``."""
    rule = _staff_rule(request, rule_id)
    honour_list = HonourList.objects.filter(rule=rule).first()
    if honour_list is None:
        data = {
            "state": HonourList.TaskState.IDLE,
            "state_display": HonourList.TaskState.IDLE.label,
            "progress": 0,
            "step": "idle",
            "step_display": _("Not generated yet."),
            "error": "",
            "active": False,
            "updated_at": None,
            "list_status": None,
            "entry_count": 0,
        }
    else:
        data = services.job_status(honour_list)
        data["list_status"] = honour_list.status
        data["entry_count"] = honour_list.entries.filter(removed_at__isnull=True).count()
    if data["updated_at"] is not None:
        data["updated_at"] = data["updated_at"].isoformat()
    data["state_display"] = str(data["state_display"])
    return JsonResponse(data)


def _to_list(rule):
    return redirect("awards:list", rule_id=rule.pk)


def _run(request, rule, operation, success):
    """Run a staff action on the list; a refusal becomes an error message, nothing changes."""
    if not _first_submit(request):
        return _refuse_repeat(request, _to_list(rule))
    try:
        result = operation()
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, success(result) if callable(success) else success)
    return _to_list(rule)


def _entry(rule, entry_id) -> HonourListEntry:
    return get_object_or_404(
        HonourListEntry.objects.select_related("honour_list__rule__campaign", "unit"),
        pk=entry_id,
        honour_list__rule=rule,
    )


def _list_or_refuse(rule) -> HonourList:
    honour_list = HonourList.objects.filter(rule=rule).first()
    if honour_list is None:
        raise ValidationError(_("The list has not been generated yet."))
    honour_list.rule = rule
    return honour_list


@login_required
@require_POST
def generate(request, rule_id):
    rule = _staff_rule(request, rule_id)
    return _run(
        request,
        rule,
        lambda: services.queue_generation(rule, request.user),
        _("The list is being generated; this page shows how far the job is."),
    )


@login_required
@require_POST
def entry_remove(request, rule_id, entry_id):
    rule = _staff_rule(request, rule_id)
    entry = _entry(rule, entry_id)
    form = RemoveEntryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for removing the entry; it is recorded."))
        return _to_list(rule)
    return _run(
        request,
        rule,
        lambda: services.remove_entry(
            entry, request.user, form.cleaned_data["reason"], form.cleaned_data["substitute"]
        ),
        lambda substitutes: (
            _("%(name)s is removed from the list; %(count)d substitutes are proposed.")
            % {"name": entry.recipient_name, "count": len(substitutes)}
        ),
    )


@login_required
@require_POST
def entry_keep(request, rule_id, entry_id):
    """Resolve a tie at the cut-off in the entry's favour: it stays, no longer over quota."""
    rule = _staff_rule(request, rule_id)
    entry = _entry(rule, entry_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for keeping the entry; it is recorded."))
        return _to_list(rule)
    if not entry.over_quota:
        messages.info(request, _("This entry is not over quota."))
        return _to_list(rule)
    return _run(
        request,
        rule,
        lambda: services.resolve_over_quota(entry, request.user, form.cleaned_data["reason"]),
        _("%(name)s stays on the list.") % {"name": entry.recipient_name},
    )


def _nominate(request, entry, unit_only=False):
    """Nominate from a POST with ``person`` or ``team``; returns the message to show."""
    form = NominateForm(request.POST, unit=entry.unit)
    if not form.is_valid():
        raise ValidationError(_("Choose a person or team of the entry's unit."))
    person, team = form.cleaned_data.get("person"), form.cleaned_data.get("team")
    services.nominate(entry, request.user, person=person, team=team)
    return _("%(name)s is nominated.") % {"name": person or team}


@login_required
@require_POST
def entry_nominate(request, rule_id, entry_id):
    """Staff nominate on behalf of the entry's unit."""
    rule = _staff_rule(request, rule_id)
    entry = _entry(rule, entry_id)
    return _run(request, rule, lambda: _nominate(request, entry), lambda text: text)


@login_required
@require_POST
def entry_add(request, rule_id):
    rule = _staff_rule(request, rule_id)
    form = RecipientForm(
        request.POST, campaign=rule.campaign, zone=rule.zone, recipient=rule.honour_type.recipient
    )
    if not _first_submit(request):
        return _refuse_repeat(request, _to_list(rule))
    if form.is_valid():
        try:
            honour_list = _list_or_refuse(rule)
            entry = services.add_entry(
                honour_list, request.user, form.cleaned_data["reason"], **form.recipient()
            )
        except ValidationError as error:
            _refusal(request, form, error)
        else:
            messages.success(
                request, _("%(name)s is added to the list.") % {"name": entry.recipient_name}
            )
            return _to_list(rule)
    else:
        messages.error(request, _("The entry was not added; see the form below."))
    return render(request, "awards/list.html", _list_context(request, rule, add_form=form))


@login_required
@require_POST
def publish(request, rule_id):
    rule = _staff_rule(request, rule_id)
    form = PublishForm(request.POST)
    if not _first_submit(request):
        return _refuse_repeat(request, _to_list(rule))
    if form.is_valid():
        data = form.cleaned_data
        try:
            honour_list = services.publish(
                _list_or_refuse(rule),
                request.user,
                data["start"],
                data["end"],
                data["override_reason"],
            )
        except ValidationError as error:
            _refusal(request, form, error)
        else:
            messages.success(
                request,
                _("The list is published for public notice from %(start)s to %(end)s.")
                % {"start": honour_list.notice_start, "end": honour_list.notice_end},
            )
            return _to_list(rule)
    else:
        messages.error(request, _("The list was not published; see the form below."))
    return render(request, "awards/list.html", _list_context(request, rule, publish_form=form))


@login_required
@require_POST
def confirm(request, rule_id):
    rule = _staff_rule(request, rule_id)
    return _run(
        request,
        rule,
        lambda: services.confirm(_list_or_refuse(rule), request.user),
        lambda confirmed: (
            _("The list is confirmed as version %(version)d; its certificates are issued.")
            % {"version": confirmed.version}
        ),
    )


# --- Unit nominations --------------------------------------------------------------------------


def _require_unit(user):
    if user_role(user) != "unit":
        raise PermissionDenied(_("Only a unit's liaison nominates for the unit here."))


@login_required
def nominations(request):
    """A unit liaison names the person (or team) of the unit for each of its entries on a
    draft list of a person or team honour."""
    user = request.user
    _require_unit(user)
    entries = list(queries.awaiting_nomination(user))
    people = list(Person.objects.filter(unit_id=user.unit_id).order_by("name", "pk"))
    teams = list(Team.objects.filter(unit_id=user.unit_id).order_by("name", "pk"))
    return render(
        request,
        "awards/nominations.html",
        {"entries": entries, "people": people, "teams": teams, "once": _once_token()},
    )


@login_required
@require_POST
def nominate(request, entry_id):
    user = request.user
    _require_unit(user)
    entry = get_object_or_404(
        queries.awaiting_nomination(user).select_related("unit"),
        pk=entry_id,
    )
    target = redirect("awards:nominations")
    if not _first_submit(request):
        return _refuse_repeat(request, target)
    try:
        text = _nominate(request, entry)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, text)
    return target


# --- Instant honours ---------------------------------------------------------------------------


@login_required
def instant(request, campaign_id):
    """The campaign's instant honours (即时授予) and the form to give one (its staff)."""
    campaign = _staff_campaign(request, campaign_id)
    form = InstantHonourForm(request.POST or None, campaign=campaign)
    if request.method == "POST":
        if not _first_submit(request):
            return _refuse_repeat(request, redirect("awards:instant", campaign_id=campaign.pk))
        if form.is_valid():
            data = form.cleaned_data
            try:
                honour = services.award_instant(
                    campaign, data["honour_type"], request.user, data["reason"], **form.recipient()
                )
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(
                    request,
                    _("%(honour)s is awarded to %(name)s; certificate %(number)s.")
                    % {
                        "honour": honour.honour_type.name,
                        "name": honour.recipient_name,
                        "number": honour.certificate.number,
                    },
                )
                return redirect("awards:instant", campaign_id=campaign.pk)
    honours = campaign.instant_honours.select_related(
        "honour_type", "unit", "person", "team", "project", "awarded_by", "certificate"
    ).order_by("-awarded_at", "-pk")
    return render(
        request,
        "awards/instant.html",
        {"campaign": campaign, "honours": honours, "form": form, "once": _once_token()},
    )
