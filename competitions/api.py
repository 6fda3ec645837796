"""Read API for the competition hierarchy. Same scoping as the pages."""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import decorators, mixins, serializers, viewsets
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.response import Response

from config.schema import VALIDATION_ERROR

from . import filters, queries, reporting, rules, services
from .models import (
    Campaign,
    Milestone,
    Organisation,
    ProgressReport,
    Project,
    ProjectTransition,
    Stage,
    Unit,
    Zone,
)
from .queries import registered_campaigns


class OrganisationSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True)

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "region_code", "depth", "parent"]


class CampaignSerializer(serializers.ModelSerializer):
    co_organisers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "title",
            "kind",
            "theme",
            "description",
            "start_date",
            "end_date",
            "status",
            "organiser",
            "co_organisers",
            "leadership_group",
            "office",
            "evaluation_method",
        ]


class ZoneSerializer(serializers.ModelSerializer):
    dimensions = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Zone
        fields = ["id", "campaign", "name", "slogan", "order", "dimensions_label", "dimensions"]


class StageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "campaign", "name", "order", "start_date", "end_date", "weight"]


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = [
            "id",
            "name",
            "credit_code",
            "ownership",
            "industry",
            "size",
            "organisation",
            "address",
        ]


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["period", "planned_percent"]


class ProjectSerializer(serializers.ModelSerializer):
    """A declaration. Units write the declaration fields while it is a draft or returned;
    the status changes only through the workflow actions."""

    milestones = MilestoneSerializer(many=True, required=False)

    class Meta:
        model = Project
        fields = [
            "id",
            "campaign",
            "zone",
            "unit",
            "title",
            "target_tasks",
            "content",
            "standards",
            "requirements",
            "plan",
            "leader",
            "team",
            "milestones",
            "status",
            "submitted_at",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["campaign", "unit", "status", "submitted_at", "decided_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and rules.may_declare(user):
            self.fields["zone"].queryset = Zone.objects.filter(
                campaign__in=registered_campaigns(user.unit)
            )
            self.fields["leader"].queryset = user.unit.people.all()
            self.fields["team"].queryset = user.unit.teams.all()

    def validate_milestones(self, rows):
        try:
            services.check_milestone_plan([(r["period"], r["planned_percent"]) for r in rows])
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return rows

    def validate(self, data):
        zone = data.get("zone") or getattr(self.instance, "zone", None)
        unit = self.context["request"].user.unit
        candidate = Project(
            pk=getattr(self.instance, "pk", None),
            unit=unit,
            campaign=zone.campaign,
            zone=zone,
            title=data.get("title", getattr(self.instance, "title", "")),
        )
        candidate._state.adding = self.instance is None
        try:
            candidate.validate_constraints()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return data

    @transaction.atomic
    def create(self, validated):
        milestones = validated.pop("milestones", [])
        user = self.context["request"].user
        try:
            with transaction.atomic():
                project = Project.objects.create(
                    unit=user.unit, campaign=validated["zone"].campaign, **validated
                )
        except IntegrityError:
            # The same declaration sent twice at once: the database kept the first one.
            raise serializers.ValidationError(
                [_("This unit already declared a project with this title in this campaign.")]
            ) from None
        Milestone.objects.bulk_create(Milestone(project=project, **row) for row in milestones)
        return project

    @transaction.atomic
    def update(self, project, validated):
        milestones = validated.pop("milestones", None)
        if "zone" in validated:
            project.campaign = validated["zone"].campaign
        project = super().update(project, validated)
        if milestones is not None:
            project.milestones.all().delete()
            Milestone.objects.bulk_create(Milestone(project=project, **row) for row in milestones)
        return project


class TransitionSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = ProjectTransition
        fields = ["id", "action", "from_status", "to_status", "comment", "actor", "created_at"]


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class BulkDecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=services.DECISIONS)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    # Ids in the id range: a bigger number overflowed SQLite in the ``pk__in`` lookup (a 500).
    projects = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=filters.MAX_ID), min_length=1
    )


class RefusalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()


class BulkDecisionResultSerializer(serializers.Serializer):
    decided = serializers.ListField(child=serializers.IntegerField())
    refused = RefusalSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


ERRORS = {
    400: OpenApiResponse(VALIDATION_ERROR, description=_("Invalid input; nothing changed.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Not allowed for this user.")),
    404: OpenApiResponse(ErrorSerializer, description=_("Not found in the user's scope.")),
    409: OpenApiResponse(
        ErrorSerializer, description=_("The project's state does not allow this (any more).")
    ),
}


def _run(operation):
    """Run a service call, turning its refusals into API errors."""
    try:
        return operation()
    except services.TransitionConflict as error:
        raise Conflict(" ".join(error.messages)) from error
    except DjangoValidationError as error:
        raise serializers.ValidationError({"detail": " ".join(error.messages)}) from error
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error) or None) from error


class Conflict(APIException):
    status_code = 409
    default_detail = _("The project's state does not allow this.")
    default_code = "conflict"


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    scope = None

    def get_queryset(self):
        return self.scope(self.request.user)


class OrganisationViewSet(ScopedViewSet):
    """Union organisations: staff see their subtree, others the unions above them."""

    scope = staticmethod(queries.organisations_for_user)
    serializer_class = OrganisationSerializer
    filterset_class = filters.OrganisationFilter
    ordering_fields = ["path", "name"]
    ordering = ["path"]

    def get_queryset(self):
        # The parent is the node whose path is ours minus one step (materialised path).
        parent = Organisation.objects.filter(
            path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Organisation.steplen)
        )
        return super().get_queryset().annotate(parent_id=Subquery(parent.values("id")[:1]))


class CampaignViewSet(ScopedViewSet):
    scope = staticmethod(queries.campaigns_for_user)
    serializer_class = CampaignSerializer
    filterset_class = filters.CampaignFilter
    ordering_fields = ["start_date", "title"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("co_organisers")


class ZoneViewSet(ScopedViewSet):
    scope = staticmethod(queries.zones_for_user)
    serializer_class = ZoneSerializer
    filterset_class = filters.ZoneFilter
    ordering_fields = ["order", "name"]


class StageViewSet(ScopedViewSet):
    scope = staticmethod(queries.stages_for_user)
    serializer_class = StageSerializer
    filterset_class = filters.StageFilter
    ordering_fields = ["order", "start_date"]


class UnitViewSet(ScopedViewSet):
    scope = staticmethod(queries.units_for_user)
    serializer_class = UnitSerializer
    filterset_class = filters.UnitFilter
    ordering_fields = ["name"]


def _transition_action(name):
    action = services.ACTIONS[name]

    def view(self, request, pk=None):
        project = self.get_object()
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _run(
            lambda: services.transition(project, name, request.user, body.validated_data["comment"])
        )
        return Response(ProjectSerializer(project, context=self.get_serializer_context()).data)

    view.__name__ = "return_" if name == "return" else name
    view = decorators.action(detail=True, methods=["post"], url_path=name, url_name=name)(view)
    # Outside @action: the action decorator replaces the schema extend_schema attaches.
    return extend_schema(
        request=CommentSerializer,
        responses={200: ProjectSerializer, **ERRORS},
        summary=str(action.label),
        description=_("Moves the project from %(sources)s to %(target)s.")
        % {"sources": ", ".join(action.sources), "target": action.target},
    )(view)


@extend_schema_view(
    create=extend_schema(responses={201: ProjectSerializer, **ERRORS}),
    update=extend_schema(responses={200: ProjectSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: ProjectSerializer, **ERRORS}),
)
class ProjectViewSet(ScopedViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """Projects in the user's scope. Unit liaisons create and edit their declarations (while a
    draft or returned) and submit or withdraw them; staff decide them. Each workflow step is an
    action: ``POST /projects/{id}/submit/`` with an optional ``comment``."""

    scope = staticmethod(queries.projects_for_user)
    serializer_class = ProjectSerializer
    filterset_class = filters.ProjectFilter
    ordering_fields = ["created_at", "updated_at", "title", "submitted_at"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("unit__organisation")
            .prefetch_related("milestones")
        )

    def create(self, request, *args, **kwargs):
        if not rules.may_declare(request.user):
            raise PermissionDenied(_("Only a unit's liaison can declare projects."))
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        project = self.get_object()
        if not rules.is_liaison_of(request.user, project):
            raise PermissionDenied(_("Only the unit's liaison edits its declaration."))
        # Locked to the end of the request (ATOMIC_REQUESTS) and read again: a submission or
        # decision taken meanwhile is seen here, not overwritten by this edit's stale copy.
        project = Project.objects.select_for_update().get(pk=project.pk)
        if not project.is_editable:
            raise Conflict(_("Only drafts and returned declarations can be edited."))
        return super().update(request, *args, **kwargs)

    @extend_schema(responses={200: TransitionSerializer(many=True), 404: ERRORS[404]})
    # The whole history, unfiltered and unpaginated (and documented so).
    @decorators.action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def transitions(self, request, pk=None):
        project = self.get_object()
        steps = project.transitions.select_related("actor")
        return Response(TransitionSerializer(steps, many=True).data)

    @extend_schema(
        request=BulkDecisionSerializer,
        responses={200: BulkDecisionResultSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        summary=_("Decide several declarations at once"),
    )
    @decorators.action(detail=False, methods=["post"])
    def decide(self, request):
        body = BulkDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not rules.is_office_staff(request.user):
            raise PermissionDenied(_("Only competition office staff can do this."))
        projects = self.get_queryset().filter(pk__in=body.validated_data["projects"])
        done, refused = services.decide_many(
            projects, body.validated_data["action"], request.user, body.validated_data["comment"]
        )
        found = {project.pk for project in projects}
        missing = [
            {"id": pk, "reason": str(_("Not found in your scope."))}
            for pk in body.validated_data["projects"]
            if pk not in found
        ]
        return Response(
            {
                "decided": [step.project_id for step in done],
                "refused": [{"id": p.pk, "reason": reason} for p, reason in refused] + missing,
            }
        )

    submit = _transition_action("submit")
    withdraw = _transition_action("withdraw")
    return_ = _transition_action("return")
    approve = _transition_action("approve")
    reject = _transition_action("reject")
    start = _transition_action("start")
    complete = _transition_action("complete")


class ReportSerializer(serializers.ModelSerializer):
    """A progress report. Units write the figures while it is due or returned; the status
    changes only through the ``submit``, ``accept`` and ``return`` actions."""

    state = serializers.SerializerMethodField(
        help_text="on_time, late, returned, missing or open (not yet due)"
    )

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "project",
            "period_start",
            "period_end",
            "due_date",
            "status",
            "state",
            "late",
            "planned_percent",
            *ProgressReport.FIGURES,
            "narrative",
            "submitted_at",
            "reviewed_at",
            "review_comment",
        ]
        read_only_fields = [
            "project",
            "period_start",
            "period_end",
            "due_date",
            "status",
            "late",
            "planned_percent",
            "submitted_at",
            "reviewed_at",
            "review_comment",
        ]

    def get_state(self, report) -> str:
        return reporting.cell_state(report, timezone.localdate())

    def validate(self, data):
        # The model's own rule, on the figures as they would be saved.
        figures = ("hidden_dangers_found", "hidden_dangers_fixed")
        report = ProgressReport(**{f: data.get(f, getattr(self.instance, f, 0)) for f in figures})
        try:
            report.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return data


class ReportFilter(django_filters.FilterSet):
    # Choices from the user's scope: another district's project answers as an unknown id does
    # (400), so a guessed id does not reveal that the project exists.
    project = django_filters.ModelChoiceFilter(
        queryset=lambda request: (
            queries.projects_for_user(request.user) if request else Project.objects.none()
        )
    )

    class Meta:
        model = ProgressReport
        fields = ["project", "status", "due_date"]


@extend_schema_view(
    update=extend_schema(responses={200: ReportSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: ReportSerializer, **ERRORS}),
)
class ReportViewSet(ScopedViewSet, mixins.UpdateModelMixin):
    """Progress reports of the projects in the user's scope. The unit fills in a report
    (``PATCH``) and ``submit``s it; staff ``accept`` it or ``return`` it with a comment."""

    scope = staticmethod(queries.reports_for_user)
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    ordering_fields = ["due_date", "period_start"]
    ordering = ["due_date", "pk"]

    def get_queryset(self):
        return super().get_queryset().select_related("project__unit__organisation")

    def update(self, request, *args, **kwargs):
        report = self.get_object()
        if not rules.is_liaison_of(request.user, report.project):
            raise PermissionDenied(_("Only the unit's liaison fills in its reports."))
        # As for declarations: a submission or review taken meanwhile is not overwritten.
        report = ProgressReport.objects.select_for_update().get(pk=report.pk)
        if not report.is_editable:
            raise Conflict(_("Only due or returned reports can be changed."))
        return super().update(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: ReportSerializer, **ERRORS})
    @decorators.action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = self.get_object()
        _run(lambda: reporting.submit_report(report, request.user))
        return Response(self.get_serializer(report).data)

    @extend_schema(request=CommentSerializer, responses={200: ReportSerializer, **ERRORS})
    @decorators.action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._review(request, accept=True)

    @extend_schema(request=CommentSerializer, responses={200: ReportSerializer, **ERRORS})
    @decorators.action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self._review(request, accept=False)

    def _review(self, request, accept):
        report = self.get_object()
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _run(
            lambda: reporting.review_report(
                report, accept, request.user, body.validated_data["comment"]
            )
        )
        return Response(self.get_serializer(report).data)
