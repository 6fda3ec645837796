from auditlog.models import LogEntry
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from . import charts, queries, reporting, rules, services
from .filters import CampaignFilter, ProjectFilter, UnitFilter, ZoneFilter
from .models import Project, ProjectAttachment

PEOPLE_SHOWN = 100
ZONE_PROJECTS_SHOWN = 50


class ScopedMixin(LoginRequiredMixin):
    """Lists and detail pages start from the user's scope, so nothing outside it leaks."""

    scope = None

    def get_queryset(self):
        return self.scope(self.request.user)


class ScopedListView(ScopedMixin, FilterView):
    paginate_by = 20
    strict = False


class HistoryMixin:
    """Staff see the audit trail of the record they are looking at."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if rules.is_office_staff(self.request.user):
            context["history"] = LogEntry.objects.get_for_object(self.object).select_related(
                "actor"
            )[:50]
        return context


def _status_counts(projects) -> dict:
    rows = projects.order_by().values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    return [(value, label, counts.get(value, 0)) for value, label in Project.Status.choices]


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "competitions/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        role = queries.user_role(user)
        projects = queries.projects_for_user(user)
        context = super().get_context_data(role=role, **kwargs)
        context["status_counts"] = _status_counts(projects)
        context["project_total"] = sum(n for _value, _label, n in context["status_counts"])
        context["campaigns"] = queries.campaigns_for_user(user).select_related("organiser")[:10]
        context["recent_projects"] = projects.select_related("unit", "zone", "campaign").order_by(
            "-updated_at"
        )[:8]
        if role in ("superuser", "organiser"):
            context["unit_total"] = queries.units_for_user(user).count()
        if role == "organiser":
            context["organisation"] = user.organisation
        if role == "unit":
            context["unit"] = user.unit
        if role == "evaluator":
            from scoring.queries import assignments_for_user

            context["assignments"] = assignments_for_user(user).select_related(
                "project__unit", "project__zone", "stage"
            )[:50]
        return context


class CampaignListView(ScopedListView):
    scope = staticmethod(queries.campaigns_for_user)
    filterset_class = CampaignFilter
    template_name = "competitions/campaign_list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("organiser")
            .annotate(zone_count=Count("zones", distinct=True))
            .order_by("-start_date", "title")
        )


class CampaignDetailView(ScopedMixin, HistoryMixin, DetailView):
    scope = staticmethod(queries.campaigns_for_user)
    template_name = "competitions/campaign_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("organiser")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.object
        visible = queries.projects_for_user(self.request.user).filter(campaign=campaign)
        context["zones"] = campaign.zones.annotate(
            project_count=Count("projects", filter=Q(projects__in=visible))
        )
        context["stages"] = campaign.stages.all()
        context["documents"] = campaign.documents.all()
        context["co_organisers"] = campaign.co_organisers.all()
        context["status_counts"] = _status_counts(visible)
        return context


class ZoneListView(ScopedListView):
    scope = staticmethod(queries.zones_for_user)
    filterset_class = ZoneFilter
    template_name = "competitions/zone_list.html"

    def get_queryset(self):
        visible = queries.projects_for_user(self.request.user)
        return (
            super()
            .get_queryset()
            .select_related("campaign")
            .annotate(project_count=Count("projects", filter=Q(projects__in=visible)))
            .order_by("campaign", "order", "name")
        )


class ZoneDetailView(ScopedMixin, HistoryMixin, DetailView):
    scope = staticmethod(queries.zones_for_user)
    template_name = "competitions/zone_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("campaign")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        projects = (
            queries.projects_for_user(self.request.user)
            .filter(zone=self.object)
            .select_related("unit")
            .order_by("unit__name", "title")
        )
        # A page at a time: a province's zone has thousands (2,000 rows were 400 KB).
        page = Paginator(projects, ZONE_PROJECTS_SHOWN).get_page(self.request.GET.get("page"))
        context["page_obj"], context["projects"] = page, page.object_list
        return context


class UnitListView(ScopedListView):
    scope = staticmethod(queries.units_for_user)
    filterset_class = UnitFilter
    template_name = "competitions/unit_list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("organisation")
            .annotate(project_count=Count("projects", distinct=True))
            .order_by("name")
        )


class UnitDetailView(ScopedMixin, HistoryMixin, DetailView):
    scope = staticmethod(queries.units_for_user)
    template_name = "competitions/unit_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("organisation")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        unit = self.object
        context["projects"] = (
            queries.projects_for_user(user).filter(unit=unit).select_related("campaign", "zone")
        )
        context["teams"] = (
            queries.teams_for_user(user).filter(unit=unit).annotate(member_count=Count("members"))
        )
        people = queries.people_for_user(user).filter(unit=unit)
        context["people_total"] = people.count()
        context["people"] = people.select_related("team")[:PEOPLE_SHOWN]
        context["liaisons"] = unit.users.filter(role="unit", is_active=True).order_by("pk")
        return context


class ProjectListView(ScopedListView):
    scope = staticmethod(queries.projects_for_user)
    filterset_class = ProjectFilter
    template_name = "competitions/project_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("campaign", "zone", "unit")


class ProjectDetailView(ScopedMixin, HistoryMixin, DetailView):
    scope = staticmethod(queries.projects_for_user)
    template_name = "competitions/project_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("campaign", "zone", "unit__organisation", "leader", "team")
        )

    def get_context_data(self, **kwargs):
        from scoring.queries import assignments_for_user

        context = super().get_context_data(**kwargs)
        user, project = self.request.user, self.object
        context["assignments"] = (
            assignments_for_user(user).filter(project=project).select_related("evaluator", "stage")
        )
        context["transitions"] = project.transitions.select_related("actor")
        context["milestones"] = project.milestones.all()
        context["attachments"] = project.attachments.all()
        context["actions"] = services.available_actions(user, project)
        context["can_edit"] = project.is_editable and rules.is_liaison_of(user, project)
        context["chart"] = charts.progress_chart(project)
        today = timezone.localdate()
        context["reports"] = [
            (report, reporting.cell_state(report, today)) for report in project.reports.all()
        ]
        return context


def _download(file_field):
    if not file_field:
        raise Http404
    try:
        handle = file_field.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    return FileResponse(handle, as_attachment=True, filename=file_field.name.rsplit("/", 1)[-1])


@login_required
def attachment_download(request, pk):
    """Attachments are served only to those who may see their project."""
    attachment = get_object_or_404(
        ProjectAttachment.objects.filter(project__in=queries.projects_for_user(request.user)),
        pk=pk,
    )
    return _download(attachment.file)


@login_required
def document_download(request, pk):
    document = get_object_or_404(queries.documents_for_user(request.user), pk=pk)
    return _download(document.file)
