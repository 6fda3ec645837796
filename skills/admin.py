from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _

from competitions.admin import ScopedInline, ScopedModelAdmin

from . import queries
from .models import ComponentScore, Heat, HeatJudge, SkillEvent, Tier


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


class HeatJudgeFormSet(BaseInlineFormSet):
    """A judge who has marked the heat stays on it (their marks count in the results)."""

    def clean(self):
        super().clean()
        for form in self.forms:
            judge = form.instance
            if not judge.pk:
                continue
            changed = self._should_delete_form(form) or {"judge", "component"} & set(
                form.changed_data
            )
            if (
                changed
                and ComponentScore.objects.filter(
                    entry__heat_id=judge.heat_id,
                    judge_id=HeatJudge.objects.get(pk=judge.pk).judge_id,
                ).exists()
            ):
                raise ValidationError(
                    _("%(judge)s has marked this heat and cannot be removed or changed.")
                    % {"judge": judge}
                )


class HeatJudgeInline(ScopedInline):
    model = HeatJudge
    formset = HeatJudgeFormSet
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
