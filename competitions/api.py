"""Read API for the competition hierarchy. Same scoping as the pages."""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from rest_framework import serializers, viewsets

from . import filters, queries
from .models import Campaign, Organisation, Project, Stage, Unit, Zone


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


class ProjectSerializer(serializers.ModelSerializer):
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
            "status",
            "created_at",
            "updated_at",
        ]


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


class ProjectViewSet(ScopedViewSet):
    scope = staticmethod(queries.projects_for_user)
    serializer_class = ProjectSerializer
    filterset_class = filters.ProjectFilter
    ordering_fields = ["created_at", "updated_at", "title"]
