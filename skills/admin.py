from django.contrib import admin

from competitions.admin import ScopedInline, ScopedModelAdmin

from . import queries
from .models import Heat, HeatJudge, SkillEvent, Tier


class TierInline(ScopedInline):
    model = Tier
    fields = ["level", "order", "advance_count", "advance_percent"]


@admin.register(SkillEvent)
class SkillEventAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.events_for_user)
    list_display = ["trade", "campaign", "theory_weight", "min_field_size", "trim_threshold"]
    list_filter = ["campaign"]
    list_select_related = ["campaign"]
    search_fields = ["trade", "campaign__title"]
    inlines = [TierInline]


class HeatJudgeInline(ScopedInline):
    model = HeatJudge
    fields = ["judge", "component"]


@admin.register(Heat)
class HeatAdmin(ScopedModelAdmin):
    scope = staticmethod(queries.heats_for_user)
    list_display = ["name", "tier", "starts_at", "venue", "locked_at"]
    list_filter = ["tier__event__campaign", "tier__level"]
    list_select_related = ["tier__event"]
    search_fields = ["name", "tier__event__trade"]
    readonly_fields = ["locked_at"]
    inlines = [HeatJudgeInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tier":
            kwargs["queryset"] = Tier.objects.filter(
                event__in=queries.events_for_user(request.user)
            ).select_related("event")
        elif db_field.name == "advances_to":
            kwargs["queryset"] = queries.heats_for_user(request.user).select_related("tier")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
