"""Scoring API: criteria, weights, evaluator assignments, scores, results and rankings.

Same scoping as the pages (``queries.*_for_user``) and the same services for every change.

Visibility, decided here once for every door:

- Individual scores: an evaluator reads and writes only their own (blind to the others');
  staff read the submitted scores of their scope (they look into spread alerts before
  locking); unit users never read individual scores through the API, so they never learn
  which evaluator gave what (assignments are not shown to them either).
- Results and rankings: staff see them at any time; unit users and evaluators only once
  scoring of every stage of the zone is locked (``queries.results_for_user``).

Errors: 400 invalid input (per-criterion messages under ``scores`` or ``weights``), 403 not
allowed for this user, 404 outside the user's scope (a guessed id reveals nothing, so another
evaluator's assignment answers 404; staff, who see it, get 403), 409 when the scoring state
refuses the change: the stage is locked, the evaluator has submitted, or entries are not
completely scored yet. Nothing changes on any error.
"""

import copy

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, F, OuterRef, Prefetch, Subquery
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import decorators, mixins, serializers, status, viewsets
from rest_framework.exceptions import APIException, PermissionDenied

# DRF's variant: an id that is not a number is a 404 too (Django's raises ValueError).
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from competitions.api import ERRORS as COMPETITION_ERRORS
from competitions.api import ErrorSerializer
from competitions.filters import IdFilter
from competitions.models import Stage, Zone
from competitions.queries import projects_for_user, stages_for_user, zones_for_user
from competitions.rules import require_office_staff

from . import engine, queries, services
from .models import (
    Criterion,
    CriterionWeight,
    EvaluatorAssignment,
    FinalResult,
    Score,
    StageLock,
    StageResult,
)


class ScoringConflict(APIException):
    status_code = 409
    default_detail = gettext_lazy("The scoring state does not allow this (any more).")
    default_code = "conflict"


ERRORS = {
    400: COMPETITION_ERRORS[400],
    403: COMPETITION_ERRORS[403],
    404: COMPETITION_ERRORS[404],
    409: OpenApiResponse(
        ErrorSerializer,
        description=gettext_lazy(
            "The scoring state does not allow this: the stage is locked, scores are "
            "submitted, or entries are not completely scored."
        ),
    ),
}
STAGE_ID = OpenApiParameter("stage_id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _run(operation, conflict=lambda: False, field=None):
    """Run a service call, turning its refusals into API errors.

    A refusal the service gives as one message becomes 409 when ``conflict()`` says the
    scoring state caused it, else 400; messages per field (per criterion) become 400 under
    ``field`` when given."""
    try:
        return operation()
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error) or None) from error
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            messages = error.message_dict
            raise serializers.ValidationError({field: messages} if field else messages) from error
        message = " ".join(error.messages)
        if conflict():
            raise ScoringConflict(message) from error
        raise serializers.ValidationError({"detail": message}) from error


# --- Criteria and weights --------------------------------------------------------------------


class CriterionSerializer(serializers.ModelSerializer):
    """A line of a zone's criteria set. Staff of the campaign write it while no stage of the
    zone is locked; the zone is fixed once created."""

    class Meta:
        model = Criterion
        fields = [
            "id",
            "zone",
            "code",
            "name",
            "description",
            "kind",
            "max_score",
            "measure",
            "penalty_per_incident",
            "order",
        ]
        # Uniqueness and the other constraints are checked by ``validate`` on the whole row.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["zone"].queryset = zones_for_user(request.user)
        if isinstance(self.instance, Criterion):
            self.fields["zone"].read_only = True

    def validate(self, data):
        # A copy, so a refused change leaves the instance as it was loaded.
        criterion = copy.copy(self.instance) if self.instance else Criterion()
        for name, value in data.items():
            setattr(criterion, name, value)
        try:
            criterion.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                {
                    ("non_field_errors" if name == "__all__" else name): messages
                    for name, messages in error.message_dict.items()
                }
            ) from error
        return data


class CriterionFilter(django_filters.FilterSet):
    zone = IdFilter(field_name="zone_id")
    kind = django_filters.ChoiceFilter(choices=Criterion.Kind.choices)

    class Meta:
        model = Criterion
        fields = ["zone", "kind"]


@extend_schema_view(
    create=extend_schema(responses={201: CriterionSerializer, **ERRORS}),
    update=extend_schema(responses={200: CriterionSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: CriterionSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class CriterionViewSet(viewsets.ModelViewSet):
    """Criteria of the zones the user can see. Staff of the campaign create, change and delete
    them (``services.save_criterion`` / ``delete_criterion``); refused with 409 while scoring
    of any stage of the zone is locked."""

    serializer_class = CriterionSerializer
    filterset_class = CriterionFilter
    ordering_fields = ["order", "code"]
    ordering = ["zone", "order", "code"]

    def get_queryset(self):
        return queries.criteria_for_user(self.request.user)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            require_office_staff(request.user)

    def perform_create(self, serializer):
        self._save(serializer, Criterion(**serializer.validated_data))

    def perform_update(self, serializer):
        criterion = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(criterion, name, value)
        self._save(serializer, criterion)

    def _save(self, serializer, criterion):
        user = self.request.user
        serializer.instance = _run(
            lambda: services.save_criterion(criterion, user),
            conflict=lambda: services.zone_is_locked(criterion.zone),
        )

    def perform_destroy(self, criterion):
        user = self.request.user
        _run(
            lambda: services.delete_criterion(criterion, user),
            # Locked, or it has scores: either way the scoring state refuses it.
            conflict=lambda: True,
        )


class CriterionWeightSerializer(serializers.ModelSerializer):
    zone = serializers.IntegerField(source="criterion.zone_id", read_only=True)
    criterion_code = serializers.CharField(source="criterion.code", read_only=True)

    class Meta:
        model = CriterionWeight
        fields = ["id", "zone", "stage", "criterion", "criterion_code", "weight"]


class CriterionWeightFilter(django_filters.FilterSet):
    zone = IdFilter(field_name="criterion__zone_id")
    stage = IdFilter(field_name="stage_id")
    criterion = IdFilter(field_name="criterion_id")

    class Meta:
        model = CriterionWeight
        fields = ["zone", "stage", "criterion"]


class CriterionWeightViewSet(viewsets.ReadOnlyModelViewSet):
    """The weight of each criterion in each stage, for the zones the user can see. They are
    written a stage at a time: ``POST /zones/{id}/stages/{stage_id}/weights/``."""

    serializer_class = CriterionWeightSerializer
    filterset_class = CriterionWeightFilter
    ordering_fields = ["stage", "criterion"]
    ordering = ["stage", "criterion__order", "criterion__code"]

    def get_queryset(self):
        return queries.criterion_weights_for_user(self.request.user).select_related("criterion")


# --- Assignments and scores ------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
    evaluator_name = serializers.StringRelatedField(source="evaluator")
    submitted = serializers.BooleanField(
        read_only=True, help_text="The evaluator has submitted their scores."
    )

    class Meta:
        model = EvaluatorAssignment
        fields = [
            "id",
            "evaluator",
            "evaluator_name",
            "project",
            "stage",
            "submitted",
            "created_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["evaluator"].queryset = services.active_evaluators()
            self.fields["project"].queryset = projects_for_user(request.user)
            self.fields["stage"].queryset = stages_for_user(request.user)


class AssignmentFilter(django_filters.FilterSet):
    project = IdFilter(field_name="project_id")
    stage = IdFilter(field_name="stage_id")
    evaluator = IdFilter(field_name="evaluator_id")
    zone = IdFilter(field_name="project__zone_id")

    class Meta:
        model = EvaluatorAssignment
        fields = ["project", "stage", "evaluator", "zone"]


class ScoreSheetSerializer(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True),
        help_text='Criterion code → score, e.g. {"quality": "87.5"}; at most 2 decimals. '
        "A blank score is left unscored.",
    )
    submit = serializers.BooleanField(
        default=False, help_text="Submit the sheet: every judgement criterion must be scored."
    )


class SavedSheetSerializer(serializers.Serializer):
    assignment = serializers.IntegerField()
    submitted = serializers.BooleanField()
    scores = serializers.DictField(child=serializers.DecimalField(max_digits=6, decimal_places=2))


class SheetErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(required=False)
    scores = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Criterion code → its messages.",
    )


@extend_schema_view(
    create=extend_schema(
        summary=gettext_lazy("Assign an evaluator to an entry in a stage"),
        responses={201: AssignmentSerializer, **ERRORS},
    ),
    destroy=extend_schema(
        summary=gettext_lazy("Withdraw an evaluator from an entry"),
        responses={204: None, **ERRORS},
    ),
)
class AssignmentViewSet(
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Evaluator assignments: evaluators see their own, staff those of the projects in their
    scope, unit users none. Staff of the campaign assign (refused with the reason on a
    conflict of interest) and withdraw evaluators (409 once the evaluator has submitted or
    the stage is locked). The assigned evaluator saves their scores with
    ``POST /assignments/{id}/scores/``."""

    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    ordering_fields = ["created_at", "stage", "project"]
    ordering = ["stage", "project", "evaluator"]

    def get_queryset(self):
        submitted = Score.objects.filter(assignment_id=OuterRef("pk"), submitted=True)
        return (
            queries.assignments_for_user(self.request.user)
            .select_related("evaluator")
            .annotate(submitted=Exists(submitted))
        )

    def create(self, request, *args, **kwargs):
        require_office_staff(request.user)
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        project, stage = body.validated_data["project"], body.validated_data["stage"]
        evaluator = body.validated_data["evaluator"]
        done, refused = _run(
            lambda: services.assign_entries(
                project.zone, stage, evaluator, [project], request.user
            ),
            conflict=lambda: services.is_locked(project.zone_id, stage.pk),
        )
        if refused:
            raise serializers.ValidationError({"detail": refused[0][1]})
        assignment = self.get_queryset().get(pk=done[0].pk)
        return Response(self.get_serializer(assignment).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, assignment):
        require_office_staff(self.request.user)
        user = self.request.user
        _run(lambda: services.remove_assignment(assignment, user), conflict=lambda: True)

    @extend_schema(
        request=ScoreSheetSerializer,
        responses={
            200: SavedSheetSerializer,
            400: OpenApiResponse(
                SheetErrorSerializer,
                description=gettext_lazy("Invalid scores; nothing changed."),
            ),
            403: ERRORS[403],
            404: ERRORS[404],
            409: ERRORS[409],
        },
        summary=gettext_lazy("Save or submit the evaluator's scores of the entry"),
    )
    @decorators.action(detail=True, methods=["post"])
    def scores(self, request, pk=None):
        assignment = self.get_object()
        if assignment.evaluator_id != request.user.pk:
            # The service refuses it too; checked first so staff get 403, not a 400 on codes.
            raise PermissionDenied(_("Only the assigned evaluator scores this entry."))
        body = ScoreSheetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        criteria = {
            c.code: c
            for c in Criterion.objects.filter(
                zone_id=assignment.project.zone_id, kind=Criterion.Kind.JUDGEMENT
            )
        }
        unknown = {
            code: [_("This criterion is not scored by evaluators in this zone.")]
            for code in body.validated_data["scores"]
            if code not in criteria
        }
        if unknown:
            raise serializers.ValidationError({"scores": unknown})
        values = {criteria[code]: raw for code, raw in body.validated_data["scores"].items()}
        saved = _run(
            lambda: services.save_scores(
                assignment, values, request.user, submit=body.validated_data["submit"]
            ),
            conflict=lambda: services.is_locked(assignment.project.zone_id, assignment.stage_id),
            field="scores",
        )
        codes = {c.pk: code for code, c in criteria.items()}
        sheet = {
            "assignment": assignment.pk,
            "submitted": bool(saved) and all(score.submitted for score in saved),
            "scores": {codes[s.criterion_id]: s.value for s in saved if s.criterion_id in codes},
        }
        return Response(SavedSheetSerializer(sheet).data)


class ScoreSerializer(serializers.ModelSerializer):
    criterion_code = serializers.CharField(read_only=True)
    evaluator = serializers.IntegerField(read_only=True)

    class Meta:
        model = Score
        fields = [
            "id",
            "assignment",
            "evaluator",
            "project",
            "stage",
            "criterion",
            "criterion_code",
            "value",
            "submitted",
            "updated_at",
        ]


class ScoreFilter(django_filters.FilterSet):
    assignment = IdFilter(field_name="assignment_id")
    project = IdFilter(field_name="project_id")
    stage = IdFilter(field_name="stage_id")
    criterion = IdFilter(field_name="criterion_id")

    class Meta:
        model = Score
        fields = ["assignment", "project", "stage", "criterion"]


class ScoreViewSet(viewsets.ReadOnlyModelViewSet):
    """Individual scores: an evaluator reads their own (drafts too), never another's; staff
    read the submitted scores of their scope; unit users never. Scores are written with
    ``POST /assignments/{id}/scores/``."""

    serializer_class = ScoreSerializer
    filterset_class = ScoreFilter
    ordering_fields = ["updated_at", "value"]
    ordering = ["stage", "project", "assignment", "criterion"]

    def get_queryset(self):
        return queries.scores_for_user(self.request.user).annotate(
            criterion_code=F("criterion__code"), evaluator=F("assignment__evaluator_id")
        )


# --- Results and rankings --------------------------------------------------------------------


class StageResultSerializer(serializers.ModelSerializer):
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    score = serializers.SerializerMethodField(help_text="Rounded half-up to 2 decimals.")
    criteria = serializers.SerializerMethodField(
        help_text="Criterion code → its percentage (0–100) in this stage, to 2 decimals."
    )

    class Meta:
        model = StageResult
        fields = ["stage", "stage_name", "score", "complete", "spread_alert", "criteria"]

    def get_score(self, row) -> str | None:
        return None if row.score is None else str(engine.round_half_up(row.score))

    def get_criteria(self, row) -> dict[str, str]:
        codes = self.context["criterion_codes"]
        return {
            codes.get(int(pk), pk): str(engine.round_half_up(value))
            for pk, value in row.criteria.items()
        }


class ResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    project_title = serializers.CharField(source="project.title")
    unit = serializers.IntegerField(source="project.unit_id")
    unit_name = serializers.CharField(source="project.unit.name")
    zone = serializers.IntegerField(source="zone_id")
    rank = serializers.IntegerField(allow_null=True)
    score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    grade = serializers.CharField()
    vetoed = serializers.BooleanField()
    complete = serializers.BooleanField()
    spread_alert = serializers.BooleanField()


class FinalResultSerializer(ResultSerializer):
    computed_at = serializers.DateTimeField()
    stages = StageResultSerializer(source="project.ordered_stage_results", many=True)


class ResultFilter(django_filters.FilterSet):
    zone = IdFilter(field_name="zone_id")
    project = IdFilter(field_name="project_id")
    campaign = IdFilter(field_name="zone__campaign_id")

    class Meta:
        model = FinalResult
        fields = ["zone", "project", "campaign"]


def _ranked(qs):
    return qs.select_related("project__unit").order_by(
        F("rank").asc(nulls_last=True), F("score").desc(nulls_last=True), "project__title", "pk"
    )


class ResultViewSet(viewsets.ReadOnlyModelViewSet):
    """Final results with their stage results: staff see those of their scope at any time;
    unit users and evaluators once scoring of every stage of the zone is locked."""

    serializer_class = FinalResultSerializer
    filterset_class = ResultFilter
    ordering_fields = ["rank", "score"]

    def get_queryset(self):
        stages = StageResult.objects.select_related("stage").order_by("stage__order", "stage_id")
        return _ranked(queries.results_for_user(self.request.user)).prefetch_related(
            Prefetch("project__stage_results", queryset=stages, to_attr="ordered_stage_results")
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "criterion_codes": self.criterion_codes}

    @cached_property
    def criterion_codes(self):
        return dict(queries.criteria_for_user(self.request.user).values_list("pk", "code"))


class RankingSerializer(serializers.Serializer):
    zone = serializers.IntegerField()
    zone_name = serializers.CharField()
    locked = serializers.BooleanField(
        help_text="Scoring of every stage of the zone is locked: the ranking is final."
    )
    entries = ResultSerializer(many=True)


class StageLockSerializer(serializers.Serializer):
    stage = serializers.IntegerField()
    stage_name = serializers.CharField()
    locked = serializers.BooleanField()
    locked_at = serializers.DateTimeField(allow_null=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True, help_text="Why scoring is unlocked; required and recorded."
    )


class WeightsSerializer(serializers.Serializer):
    weights = serializers.DictField(
        child=serializers.CharField(),
        help_text='Criterion code → weight, e.g. {"quality": "0.2"}; they must add up to 1.',
    )


class ZoneScoringViewSet(viewsets.GenericViewSet):
    """Scoring actions on a zone the user can see: its ranking, the lock state of its
    stages, locking and unlocking a stage, and a stage's criterion weights."""

    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return zones_for_user(self.request.user).select_related("campaign")

    def _staff_stage(self, stage_id):
        """The zone and one of its campaign's stages, for staff of the campaign only."""
        zone = self.get_object()
        _run(lambda: services.require_staff_of(zone, self.request.user))
        return zone, get_object_or_404(Stage, campaign_id=zone.campaign_id, pk=stage_id)

    @extend_schema(
        responses={200: RankingSerializer, 404: ERRORS[404]},
        summary=gettext_lazy("The zone's ranking"),
        description=gettext_lazy(
            "Entries ranked by final score (shared ranks 1, 2, 2, 4), vetoed entries marked; "
            "incomplete entries last, unranked. Empty for unit users and evaluators until "
            "scoring of every stage of the zone is locked."
        ),
    )
    @decorators.action(detail=True, methods=["get"])
    def ranking(self, request, pk=None):
        zone = self.get_object()
        locked = (
            Zone.objects.filter(pk=zone.pk).filter(queries.all_stages_locked(zone=None)).exists()
        )
        entries = _ranked(queries.results_for_user(request.user).filter(zone=zone))
        return Response(
            RankingSerializer(
                {"zone": zone.pk, "zone_name": zone.name, "locked": locked, "entries": entries}
            ).data
        )

    @extend_schema(
        responses={200: StageLockSerializer(many=True), 404: ERRORS[404]},
        summary=gettext_lazy("Lock state of the zone's stages"),
    )
    @decorators.action(detail=True, methods=["get"])
    def locks(self, request, pk=None):
        zone = self.get_object()
        return Response(StageLockSerializer(self._lock_rows(zone), many=True).data)

    def _lock_rows(self, zone, stage=None):
        stages = Stage.objects.filter(campaign_id=zone.campaign_id).order_by("order", "pk")
        if stage is not None:
            stages = stages.filter(pk=stage.pk)
        locked_at = StageLock.objects.filter(zone=zone, stage_id=OuterRef("pk")).values(
            "locked_at"
        )[:1]
        return [
            {
                "stage": s.pk,
                "stage_name": s.name,
                "locked": s.locked_at is not None,
                "locked_at": s.locked_at,
            }
            for s in stages.annotate(locked_at=Subquery(locked_at))
        ]

    @extend_schema(
        request=None,
        parameters=[STAGE_ID],
        responses={200: StageLockSerializer, **ERRORS},
        summary=gettext_lazy("Lock scoring of a stage in the zone"),
        description=gettext_lazy(
            "Staff of the campaign only; refused (409) while any entry is not completely "
            "scored in the stage. Locked scores can no longer change."
        ),
    )
    @decorators.action(detail=True, methods=["post"], url_path=r"stages/(?P<stage_id>\d+)/lock")
    def lock(self, request, pk=None, stage_id=None):
        zone, stage = self._staff_stage(stage_id)
        _run(lambda: services.lock_stage(zone, stage, request.user), conflict=lambda: True)
        return Response(StageLockSerializer(self._lock_rows(zone, stage)[0]).data)

    @extend_schema(
        request=ReasonSerializer,
        parameters=[STAGE_ID],
        responses={200: StageLockSerializer, **ERRORS},
        summary=gettext_lazy("Unlock scoring of a stage in the zone"),
        description=gettext_lazy(
            "Staff of the campaign only; the reason is required and recorded in the audit trail."
        ),
    )
    @decorators.action(detail=True, methods=["post"], url_path=r"stages/(?P<stage_id>\d+)/unlock")
    def unlock(self, request, pk=None, stage_id=None):
        zone, stage = self._staff_stage(stage_id)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reason = body.validated_data["reason"]
        _run(lambda: services.unlock_stage(zone, stage, request.user, reason))
        return Response(StageLockSerializer(self._lock_rows(zone, stage)[0]).data)

    @extend_schema(
        request=WeightsSerializer,
        parameters=[STAGE_ID],
        responses={200: CriterionWeightSerializer(many=True), **ERRORS},
        summary=gettext_lazy("Set a stage's criterion weights in the zone"),
        description=gettext_lazy(
            "Replaces the stage's weights. They must add up to exactly 1 over the zone's "
            "judgement and measurement criteria (never renormalised); refused (409) while the "
            "stage is locked. Staff of the campaign only."
        ),
    )
    @decorators.action(detail=True, methods=["post"], url_path=r"stages/(?P<stage_id>\d+)/weights")
    def weights(self, request, pk=None, stage_id=None):
        zone, stage = self._staff_stage(stage_id)
        body = WeightsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        criteria = {c.code: c for c in zone.criteria.exclude(kind=Criterion.Kind.VETO)}
        unknown = {
            code: [_("This criterion does not belong to the zone.")]
            for code in body.validated_data["weights"]
            if code not in criteria
        }
        if unknown:
            raise serializers.ValidationError({"weights": unknown})
        weights = {criteria[code]: raw for code, raw in body.validated_data["weights"].items()}
        _run(
            lambda: services.set_stage_weights(zone, stage, weights, request.user),
            conflict=lambda: services.is_locked(zone.pk, stage.pk),
        )
        rows = (
            CriterionWeight.objects.filter(stage=stage, criterion__zone=zone)
            .select_related("criterion")
            .order_by("criterion__order", "criterion__code")
        )
        return Response(CriterionWeightSerializer(rows, many=True).data)
