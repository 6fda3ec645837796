from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rules.contrib.admin import ObjectPermissionsModelAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from . import privacy, queries
from .models import (
    Campaign,
    CampaignDocument,
    CampaignRegistration,
    Milestone,
    Organisation,
    Person,
    PrivacyRequest,
    ProgressReport,
    Project,
    ProjectAttachment,
    ProjectTransition,
    ReportAttachment,
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


def _scoped_filter(model, item):
    if isinstance(item, str) and get_fields_from_path(model, item)[-1].is_relation:
        return (item, admin.RelatedOnlyFieldListFilter)
    return item


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

    def get_list_filter(self, request):
        """A filter on a related model offers only the values of the rows the user sees: the
        plain filter would list every campaign, zone or stage of the database."""
        return [_scoped_filter(self.model, item) for item in super().get_list_filter(request)]

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


class StageWeightsFormSet(BaseInlineFormSet):
    """A campaign's stages are saved together, and only when their weights add up to 1."""

    def clean(self):
        super().clean()
        from scoring.services import check_stage_weight_total

        kept = [
            form.cleaned_data.get("weight") or 0
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if kept:
            check_stage_weight_total(kept)


class StageInline(ScopedInline):
    model = Stage
    formset = StageWeightsFormSet
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
    """Stages are added and weighted together on their campaign's page, where the weights
    are checked to add up to 1; here their dates and names can change."""

    scope = staticmethod(queries.stages_for_user)
    readonly_fields = ["weight"]

    def has_add_permission(self, request):
        return False

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
    readonly_fields = ["personal_data_requests"]

    def get_list_display(self, request):
        # Phone and ID number masked unless the admin user may see them (privacy.py).
        return [
            *self.list_display[:4],
            privacy.masked_column("phone", _("mobile phone"), request.user),
            privacy.masked_column("id_number", _("ID card number"), request.user),
            *self.list_display[4:],
        ]

    @admin.display(description=_("personal data requests"))
    def personal_data_requests(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("person-detail", args=[obj.pk]),
            _("Export or erase this person's data (PIPL)"),
        )


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


@admin.register(CampaignRegistration)
class CampaignRegistrationAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.registrations_for_user)
    list_display = ["unit", "campaign", "status", "created_at", "decided_by"]
    list_filter = ["status", "campaign"]
    list_select_related = ["unit", "campaign", "decided_by"]
    search_fields = ["unit__name", "unit__credit_code"]
    # Decisions go through the registration workflow (activation, notifications).
    readonly_fields = ["status", "requested_by", "decided_by", "decided_at"]


class MilestoneInline(ScopedInline):
    model = Milestone
    fields = ["period", "planned_percent"]


class ProjectAttachmentInline(ScopedInline):
    model = ProjectAttachment
    fields = ["title", "file", "uploaded_by", "uploaded_at"]
    readonly_fields = ["uploaded_by", "uploaded_at"]


class ProjectTransitionInline(admin.TabularInline):
    model = ProjectTransition
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "action", "from_status", "to_status", "comment"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


ProjectAdmin.inlines = [MilestoneInline, ProjectAttachmentInline, ProjectTransitionInline]


class ReportAttachmentInline(ScopedInline):
    model = ReportAttachment
    fields = ["title", "file", "uploaded_at"]
    readonly_fields = ["uploaded_at"]


@admin.register(ProgressReport)
class ProgressReportAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.reports_for_user)
    list_display = ["project", "period_start", "due_date", "status", "late", "actual_percent"]
    list_filter = ["status", "late", "due_date"]
    list_select_related = ["project"]
    search_fields = ["project__title", "project__unit__name"]
    date_hierarchy = "due_date"
    inlines = [ReportAttachmentInline]
    # Filing and review go through their workflow (lateness, notifications).
    readonly_fields = [
        "project",
        "period_start",
        "period_end",
        "status",
        "late",
        "submitted_at",
        "first_submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_comment",
        "reminder_sent_at",
        "overdue_notice_sent_at",
    ]


@admin.register(ProjectTransition)
class ProjectTransitionAdmin(ScopedModelAdmin):
    """The review history: read only, written by the workflow."""

    scope = staticmethod(queries.transitions_for_user)
    list_display = ["project", "action", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["action", "to_status"]
    list_select_related = ["project", "actor"]
    search_fields = ["project__title", "comment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Milestone)
class MilestoneAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.milestones_for_user)
    list_display = ["project", "period", "planned_percent"]
    list_select_related = ["project"]
    search_fields = ["project__title"]


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    """The record of personal data requests handled (PIPL): read only, superusers only."""

    list_display = ["created_at", "kind", "subject", "subject_id", "handled_by", "channel"]
    list_filter = ["kind", "subject", "channel"]
    list_select_related = ["handled_by"]
    fields = readonly_fields = [
        "kind",
        "subject",
        "subject_id",
        "reason",
        "handled_by",
        "channel",
        "summary",
        "created_at",
    ]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
