"""Forms of the honours pages. They check the input's shape; every rule of the domain is
checked by the service each form's view calls (``awards.services``)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competitions.models import Person, Project, Team, Unit

from . import queries
from .models import HonourRule, HonourType


def _person_label(person):
    return f"{person.name} · {person.unit.name}"


def _team_label(team):
    return f"{team.name} · {team.unit.name}"


class HonourRuleForm(forms.ModelForm):
    """An honour rule of one campaign; ``services.save_rule`` runs the model's full_clean."""

    class Meta:
        model = HonourRule
        fields = [
            "honour_type",
            "zone",
            "quota",
            "min_score",
            "top_n",
            "top_percent",
            "require_completed",
            "min_on_time_rate",
            "per_unit_cap",
            "front_line_min",
            "leader_max",
            "industrial_min",
            "migrant_min",
        ]

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign
        self.fields["honour_type"].queryset = HonourType.objects.filter(
            campaign_kind=campaign.kind
        ).order_by("recipient", "name", "level")
        self.fields["zone"].queryset = campaign.zones.order_by("order", "pk")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class RemoveEntryForm(ReasonForm):
    substitute = forms.BooleanField(
        label=_("Fill the place from the ranking"), required=False, initial=True
    )


class PublishForm(forms.Form):
    start = forms.DateField(
        label=_("Notice starts"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("Notice ends"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for 5 working days after the start."),
    )
    override_reason = forms.CharField(
        label=_("Reason for overriding the composition quotas"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only needed when the list breaks a composition quota."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"start": timezone.localdate()})
        super().__init__(*args, **kwargs)


class RecipientForm(forms.Form):
    """Who an honour goes to: a unit and, as the honour needs, a person or a team of it,
    optionally with one of its projects. The choices are the units, people, teams and
    projects taking part in the campaign (or zone)."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    person = forms.ModelChoiceField(
        label=_("Person"), queryset=Person.objects.none(), required=False
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    project = forms.ModelChoiceField(
        label=_("Project"), queryset=Project.objects.none(), required=False
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, campaign, zone=None, recipient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = queries.participating_units(campaign, zone).order_by(
            "name", "pk"
        )
        self.fields["person"].queryset = (
            queries.participating_people(campaign, zone)
            .select_related("unit")
            .order_by("unit__name", "name", "pk")
        )
        self.fields["person"].label_from_instance = _person_label
        self.fields["team"].queryset = (
            queries.participating_teams(campaign, zone)
            .select_related("unit")
            .order_by("unit__name", "name", "pk")
        )
        self.fields["team"].label_from_instance = _team_label
        self.fields["project"].queryset = queries.campaign_projects(campaign, zone).order_by(
            "title", "pk"
        )
        # Only the fields the honour can use (all of them while it is not chosen yet).
        if recipient == HonourType.Recipient.PERSON:
            del self.fields["team"]
        elif recipient == HonourType.Recipient.TEAM:
            del self.fields["person"]
        elif recipient == HonourType.Recipient.UNIT:
            del self.fields["person"], self.fields["team"]

    def recipient(self) -> dict:
        data = self.cleaned_data
        return {
            "unit": data["unit"],
            "person": data.get("person"),
            "team": data.get("team"),
            "project": data.get("project"),
        }


class InstantHonourForm(RecipientForm):
    honour_type = forms.ModelChoiceField(label=_("Honour"), queryset=HonourType.objects.none())
    field_order = ["honour_type", "unit", "person", "team", "project", "reason"]

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, campaign=campaign, **kwargs)
        self.fields["honour_type"].queryset = HonourType.objects.filter(
            campaign_kind=campaign.kind
        ).order_by("recipient", "name", "level")
        self.fields["person"].help_text = _("For an honour that goes to a person.")
        self.fields["team"].help_text = _("For an honour that goes to a team.")
        self.order_fields(self.field_order)


class NominateForm(forms.Form):
    """The person or team of the entry's unit who receives a person or team honour."""

    person = forms.ModelChoiceField(
        label=_("Person"), queryset=Person.objects.none(), required=False
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(unit=unit)
        self.fields["team"].queryset = Team.objects.filter(unit=unit)


def default_notice_end(start: datetime.date | None = None) -> datetime.date:
    from .services import NOTICE_WORKING_DAYS, add_working_days

    return add_working_days(start or timezone.localdate(), NOTICE_WORKING_DAYS)
