"""Filter sets shared by the pages and the API. Choices come from the user's scope."""

from itertools import islice

import django_filters
from django import forms
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from . import queries
from .models import Campaign, Organisation, Project, Stage, Unit, Zone

# Ids are 64-bit (BigAutoField); a bigger number can name no record.
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """The id of a record in a query string (``?zone=3``): a whole number within the id range.

    ``NumberFilter`` takes any decimal and Django casts it for the foreign key, so ``1.5``
    silently meant 1 and ``1e30`` overflowed SQLite (a 500). This answers 400 instead.
    """

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def _campaigns(request):
    return queries.campaigns_for_user(request.user) if request else Campaign.objects.none()


def _zones(request):
    if request is None:
        return Zone.objects.none()
    return queries.zones_for_user(request.user).select_related("campaign")


def _units(request):
    return queries.units_for_user(request.user) if request else Unit.objects.none()


def _organisations(request):
    return queries.organisations_for_user(request.user) if request else Organisation.objects.none()


class SearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    search_fields: tuple[str, ...] = ()

    def search(self, queryset, name, value):
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class OrganisationFilter(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Organisation
        fields = ["kind"]


class CampaignFilter(SearchFilterSet):
    search_fields = ("title", "theme")

    class Meta:
        model = Campaign
        fields = ["kind", "status"]


class ZoneFilter(SearchFilterSet):
    search_fields = ("name", "slogan")
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=_campaigns)

    class Meta:
        model = Zone
        fields = ["campaign"]


class StageFilter(django_filters.FilterSet):
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=_campaigns)

    class Meta:
        model = Stage
        fields = ["campaign"]


class UnitFilter(SearchFilterSet):
    search_fields = ("name", "credit_code", "industry")
    organisation = django_filters.ModelChoiceFilter(
        label=_("Union organisation"), queryset=_organisations, method="in_subtree"
    )

    class Meta:
        model = Unit
        fields = ["organisation", "ownership", "size"]

    def in_subtree(self, queryset, name, value):
        return queryset.filter(organisation__path__startswith=value.path)


class BoundedSelect(forms.Select):
    """A select while its choices are few. Past ``limit`` (a province union sees thousands
    of units) a hidden input keeps the chosen value, and the search box finds the rest by
    name: rendering 2,500 options took most of the project list's and the review queue's
    time and weight (180 KB; docs/quality.md, "Load")."""

    limit = 300

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(islice(self.choices, self.limit + 2))  # the empty choice and one more
        if len(choices) <= self.limit + 1:
            self.choices = choices  # rendered from the list: no second query
            return super().render(name, value, attrs, renderer)
        hidden = forms.HiddenInput().render(name, value, attrs, renderer)
        return hidden + format_html(
            '<span class="muted">{}</span>', _("Too many to list: search by name.")
        )


class ProjectFilter(SearchFilterSet):
    search_fields = ("title", "unit__name")
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=_campaigns)
    zone = django_filters.ModelChoiceFilter(label=_("Zone"), queryset=_zones)
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=_units, widget=BoundedSelect)

    class Meta:
        model = Project
        fields = ["campaign", "zone", "unit", "status"]
