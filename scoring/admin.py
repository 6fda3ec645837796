from django.contrib import admin

from competitions.admin import ScopedModelAdmin

from .forms import EvaluatorAssignmentForm
from .models import EvaluatorAssignment
from .queries import assignments_for_user


@admin.register(EvaluatorAssignment)
class EvaluatorAssignmentAdmin(ScopedModelAdmin):
    scope = staticmethod(assignments_for_user)
    form = EvaluatorAssignmentForm
    list_display = ["evaluator", "project", "stage", "created_at"]
    list_filter = ["stage"]
    list_select_related = ["evaluator", "project", "stage"]
    search_fields = ["evaluator__username", "evaluator__display_name", "project__title"]
