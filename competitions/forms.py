from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from .models import (
    Campaign,
    Milestone,
    ProgressReport,
    Project,
    ProjectAttachment,
    ReportAttachment,
    Unit,
    Zone,
)
from .services import check_milestone_plan


class DeclarationForm(forms.ModelForm):
    """A unit's declaration (申报) of a competition project."""

    class Meta:
        model = Project
        fields = [
            "zone",
            "title",
            "leader",
            "team",
            "target_tasks",
            "content",
            "standards",
            "requirements",
            "plan",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("target_tasks", "content", "standards", "requirements")
        } | {"plan": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, unit: Unit, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.unit = unit
        self.fields["zone"].queryset = Zone.objects.filter(campaign__in=campaigns).select_related(
            "campaign"
        )
        self.fields["zone"].label_from_instance = lambda zone: f"{zone.campaign} · {zone.name}"
        self.fields["leader"].queryset = unit.people.all()
        self.fields["team"].queryset = unit.teams.all()

    def clean(self):
        data = super().clean()
        zone = data.get("zone")
        if zone is not None:
            self.instance.campaign = zone.campaign
        return data

    def validate_unique(self):
        # ``campaign`` comes from the zone and is not a form field, so check it here.
        try:
            self.instance.validate_constraints()
        except forms.ValidationError as error:
            self._update_errors(error)


class MilestoneForm(forms.ModelForm):
    period = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_("For example 2026-03."),
    )

    class Meta:
        model = Milestone
        fields = ["period", "planned_percent"]


class BaseMilestoneFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        rows = [
            (form.cleaned_data["period"], form.cleaned_data["planned_percent"])
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("period") is not None
            and form.cleaned_data.get("planned_percent") is not None
        ]
        check_milestone_plan(rows)


MilestoneFormSet = inlineformset_factory(
    Project,
    Milestone,
    form=MilestoneForm,
    formset=BaseMilestoneFormSet,
    extra=3,
    can_delete=True,
    max_num=60,
    validate_max=True,
)


class AttachmentForm(forms.ModelForm):
    class Meta:
        model = ProjectAttachment
        fields = ["title", "file"]


AttachmentFormSet = inlineformset_factory(
    Project,
    ProjectAttachment,
    form=AttachmentForm,
    extra=2,
    can_delete=True,
    max_num=20,
    validate_max=True,
)


class TransitionForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class BulkDecisionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", _("Approve")),
            ("return", _("Return for revision")),
            ("reject", _("Reject")),
        ],
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    projects = forms.TypedMultipleChoiceField(coerce=int, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any ids are accepted here; the view keeps those in the user's scope.
        self.fields["projects"].valid_value = lambda value: str(value).isdigit()


class RegistrationDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    comment = forms.CharField(label=_("Comment"), required=False)


class InviteForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none())
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())

    def __init__(self, *args, campaigns, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["unit"].queryset = units


class SignUpUnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "credit_code", "ownership", "industry", "size", "organisation", "address"]

    def clean_credit_code(self):
        return self.cleaned_data["credit_code"].strip().upper()


class SignUpCampaignForm(forms.Form):
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.filter(status=Campaign.Status.ACTIVE),
    )


class ReportForm(forms.ModelForm):
    """The unit's progress report for one period."""

    class Meta:
        model = ProgressReport
        fields = [*ProgressReport.FIGURES, "narrative"]
        widgets = {"narrative": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actual_percent"].widget.attrs.update(min=0, max=100, step="0.01")
        self.fields["proposals_benefit"].widget.attrs.update(min=0, step="0.01")
        for name in ProgressReport.FIGURES:
            # The model's clean() checks found ≥ fixed; a ModelForm runs it.
            self.fields[name].widget.attrs.setdefault("min", 0)


ReportAttachmentFormSet = inlineformset_factory(
    ProgressReport,
    ReportAttachment,
    fields=["title", "file"],
    extra=2,
    can_delete=True,
    max_num=20,
    validate_max=True,
)


class ReportReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("return", _("Return"))])
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
