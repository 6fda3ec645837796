from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from rules.contrib.admin import ObjectPermissionsModelAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from . import queries
from .models import (
    Campaign,
    CampaignDocument,
    Organisation,
    Person,
    Project,
    Stage,
    Team,
    Unit,
    Zone,
)

# Which scope limits the choices of a foreign key to each model.
FOREIGN_KEY_SCOPES = {
    Organisation: queries.organisations_for_user,
    Campaign: queries.campaigns_for_user,
    Zone: queries.zones_for_user,
    Stage: queries.stages_for_user,
    Unit: queries.units_for_user,
    Team: queries.teams_for_user,
    Person: queries.people_for_user,
    Project: queries.projects_for_user,
}


class ScopedModelAdmin(ObjectPermissionsModelAdmin):
    """Admin that lists only the user's scope and asks the rules for every permission."""

    scope = None  # a ``*_for_user`` function

    def get_queryset(self, request):
        qs = self.scope(request.user)
        if self.list_select_related and self.list_select_related is not True:
            qs = qs.select_related(*self.list_select_related)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = FOREIGN_KEY_SCOPES.get(db_field.related_model)
        if scope is not None:
            kwargs["queryset"] = scope(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        scope = FOREIGN_KEY_SCOPES.get(db_field.related_model)
        if scope is not None:
            kwargs["queryset"] = scope(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedInline(admin.TabularInline):
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = FOREIGN_KEY_SCOPES.get(db_field.related_model)
        if scope is not None:
            kwargs["queryset"] = scope(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Organisation)
class OrganisationAdmin(TreeAdmin, ScopedModelAdmin):
    scope = staticmethod(queries.organisations_for_user)
    form = movenodeform_factory(Organisation)
    list_display = ["name", "kind", "region_code"]
    list_filter = ["kind"]
    search_fields = ["name", "region_code"]


class ZoneInline(ScopedInline):
    model = Zone
    fields = ["name", "order", "slogan", "dimensions_label", "dimensions"]


class StageInline(ScopedInline):
    model = Stage
    fields = ["name", "order", "start_date", "end_date", "weight"]


class DocumentInline(ScopedInline):
    model = CampaignDocument
    fields = ["title", "kind", "file", "published_on"]


@admin.register(Campaign)
class CampaignAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.campaigns_for_user)
    list_display = ["title", "kind", "status", "organiser", "start_date", "end_date"]
    list_filter = ["kind", "status", "start_date"]
    list_select_related = ["organiser"]
    search_fields = ["title", "theme"]
    date_hierarchy = "start_date"
    filter_horizontal = ["co_organisers"]
    inlines = [ZoneInline, StageInline, DocumentInline]


@admin.register(CampaignDocument)
class CampaignDocumentAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.documents_for_user)
    list_display = ["title", "campaign", "kind", "published_on"]
    list_filter = ["kind"]
    list_select_related = ["campaign"]
    search_fields = ["title", "campaign__title"]


@admin.register(Zone)
class ZoneAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.zones_for_user)
    list_display = ["name", "campaign", "order", "dimensions_label", "slogan"]
    list_filter = ["campaign"]
    list_select_related = ["campaign"]
    search_fields = ["name", "slogan", "campaign__title"]


@admin.register(Stage)
class StageAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.stages_for_user)
    list_display = ["name", "campaign", "order", "start_date", "end_date", "weight"]
    list_filter = ["campaign"]
    list_select_related = ["campaign"]
    search_fields = ["name", "campaign__title"]


class TeamInline(ScopedInline):
    model = Team
    fields = ["name"]


@admin.register(Unit)
class UnitAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.units_for_user)
    list_display = ["name", "credit_code", "ownership", "industry", "size", "organisation"]
    list_filter = ["ownership", "size", "industry"]
    list_select_related = ["organisation"]
    search_fields = ["name", "credit_code"]
    inlines = [TeamInline]


@admin.register(Team)
class TeamAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.teams_for_user)
    list_display = ["name", "unit"]
    list_select_related = ["unit"]
    search_fields = ["name", "unit__name"]


@admin.register(Person)
class PersonAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.people_for_user)
    list_display = [
        "name",
        "unit",
        "team",
        "trade",
        "is_front_line",
        "is_leader",
        "is_industrial_worker",
        "is_migrant_worker",
    ]
    list_filter = ["is_front_line", "is_leader", "is_industrial_worker", "is_migrant_worker"]
    list_select_related = ["unit", "team"]
    search_fields = ["name", "trade", "unit__name"]


@admin.register(Project)
class ProjectAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.projects_for_user)
    list_display = ["title", "campaign", "zone", "unit", "status", "created_at"]
    list_filter = ["status", "campaign", "zone"]
    list_select_related = ["campaign", "zone", "unit"]
    search_fields = ["title", "unit__name"]
    # A project's state changes only through the review workflow, never by editing it.
    readonly_fields = ["status"]
    fieldsets = [
        (None, {"fields": ["campaign", "zone", "unit", "title", "leader", "status"]}),
        (
            _("Declaration"),
            {"fields": ["target_tasks", "content", "standards", "requirements", "plan"]},
        ),
    ]
