"""Filter sets shared by the pages and the API. Choices come from the user's scope."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import queries
from .models import Campaign, Organisation, Project, Stage, Unit, Zone


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


class ProjectFilter(SearchFilterSet):
    search_fields = ("title", "unit__name")
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=_campaigns)
    zone = django_filters.ModelChoiceFilter(label=_("Zone"), queryset=_zones)
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=_units)

    class Meta:
        model = Project
        fields = ["campaign", "zone", "unit", "status"]
