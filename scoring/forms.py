from django import forms
from django.core.exceptions import ValidationError

from . import services
from .models import EvaluatorAssignment


class EvaluatorAssignmentForm(forms.ModelForm):
    class Meta:
        model = EvaluatorAssignment
        fields = ["evaluator", "project", "stage"]

    def clean(self):
        data = super().clean()
        evaluator, project, stage = (data.get(k) for k in ("evaluator", "project", "stage"))
        if evaluator and project and stage:
            try:
                services.check_assignment(evaluator=evaluator, project=project, stage=stage)
            except ValidationError as error:
                self.add_error(None, error)
        return data
