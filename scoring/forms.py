from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from . import services
from .models import Criterion, EvaluatorAssignment, ScoringRules


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


def score_field_name(criterion) -> str:
    return f"score_{criterion.pk}"


def format_max(criterion) -> str:
    return format(criterion.max_score.normalize(), "f")


class ScoreSheetForm(forms.Form):
    """One number per judgement criterion of the entry's zone, in order.

    The fields only carry text: ``services.save_scores`` is the one rule for what a valid
    score is, and its errors are put back on the fields. The inputs also carry that rule
    (bounds, decimals, messages) for static/scoring/score-form.js to check as one types.
    """

    def __init__(self, criteria, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        from django.utils.translation import gettext as _

        for criterion in self.criteria:
            maximum = format_max(criterion)
            name = score_field_name(criterion)
            described_by = f"{name}-help {name}-error" if criterion.description else f"{name}-error"
            self.fields[name] = forms.CharField(
                label=criterion.name,
                required=False,
                max_length=20,
                widget=forms.NumberInput(
                    attrs={
                        "min": "0",
                        "max": maximum,
                        "step": "0.01",
                        "inputmode": "decimal",
                        "autocomplete": "off",
                        "aria-describedby": described_by,
                        "data-score": "",
                        "data-max": maximum,
                        "data-msg-number": _("Enter a number."),
                        "data-msg-range": _("Enter a score from 0 to %(max)s.") % {"max": maximum},
                        "data-msg-decimals": _("Scores have at most 2 decimals."),
                    }
                ),
            )

    def rows(self):
        """(criterion, bound field) in the zone's order."""
        return [(c, self[score_field_name(c)]) for c in self.criteria]

    def values(self) -> dict:
        """Criterion → the text typed (blank for none), for ``services.save_scores``."""
        return {c: self.cleaned_data.get(score_field_name(c), "") for c in self.criteria}

    def missing(self) -> list:
        return [c for c in self.criteria if not self.cleaned_data.get(score_field_name(c))]

    def add_service_error(self, error: ValidationError):
        """Put a refusal of ``save_scores`` on the fields it names (by criterion code)."""
        if hasattr(error, "error_dict"):
            by_code = {c.code: score_field_name(c) for c in self.criteria}
            for code, errors in error.error_dict.items():
                self.add_error(by_code.get(code), errors)
        else:
            self.add_error(None, error)


class VetoRaiseForm(forms.Form):
    criterion = forms.ModelChoiceField(queryset=None, empty_label=None)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, veto_criteria, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.utils.translation import gettext_lazy as _

        self.fields["criterion"].queryset = veto_criteria
        self.fields["criterion"].label = _("Veto item")
        self.fields["reason"].label = _("Reason")
        self.fields["reason"].help_text = _(
            "What you found; the competition office reads it before confirming the veto."
        )


# Setting up scoring (staff) -------------------------------------------------------------


class CriterionForm(forms.ModelForm):
    """One criterion of a zone's set; the view passes an instance that carries the zone."""

    class Meta:
        model = Criterion
        fields = [
            "code",
            "name",
            "kind",
            "max_score",
            "measure",
            "penalty_per_incident",
            "order",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only a safety record has a penalty; elsewhere the field may stay blank.
        self.fields["penalty_per_incident"].required = False

    def clean_penalty_per_incident(self):
        return self.cleaned_data["penalty_per_incident"] or 0

    def clean_code(self):
        # The zone is not a field of the form, so Django skips the (zone, code) constraint.
        code = self.cleaned_data["code"]
        taken = Criterion.objects.filter(zone_id=self.instance.zone_id, code=code)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(gettext_lazy("This zone already has a criterion with this code."))
        return code


class CopyCriteriaSetForm(forms.Form):
    key = forms.ChoiceField(label=gettext_lazy("Criteria set"), choices=())

    def __init__(self, *args, **kwargs):
        from .templates_sets import CRITERIA_SETS

        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [
            (key, f"{label}: {'、'.join(name for _code, name in lines)}")
            for key, (label, lines) in CRITERIA_SETS.items()
        ]


def weight_text(value) -> str:
    return format(value.normalize(), "f")


class StageWeightsForm(forms.Form):
    """The weights of a zone's judgement and measurement criteria in one stage.

    The fields let through numbers from 0 to 1 with at most 4 decimals; whether they add up
    to 1 is decided by ``services.set_stage_weights``.
    """

    def __init__(self, *args, stage, criteria, current: dict, locked=False, **kwargs):
        kwargs.setdefault("prefix", f"stage{stage.pk}")
        super().__init__(*args, **kwargs)
        self.stage, self.criteria, self.locked = stage, list(criteria), locked
        self.current_total = sum(current.values()) if current else None
        for criterion in self.criteria:
            weight = current.get(criterion.pk)
            self.fields[f"c{criterion.pk}"] = forms.DecimalField(
                label=criterion.name,
                required=False,
                min_value=0,
                max_value=1,
                max_digits=5,
                decimal_places=4,
                disabled=locked,
                initial=None if weight is None else weight_text(weight),
                widget=forms.NumberInput(
                    attrs={"step": "0.0001", "min": "0", "max": "1", "data-weight": ""}
                ),
            )

    def rows(self):
        """(criterion, bound field) in the zone's order."""
        return [(c, self[f"c{c.pk}"]) for c in self.criteria]

    def weights(self) -> dict:
        """Criterion → weight, a blank field counting as 0, for ``set_stage_weights``."""
        return {c: self.cleaned_data.get(f"c{c.pk}") or 0 for c in self.criteria}


class ScoringRulesForm(forms.ModelForm):
    """A campaign's scoring rules but the grade bands (GradeBandFormSet); the tie-break
    criteria are chosen in order, one select each."""

    class Meta:
        model = ScoringRules
        fields = ["trim_threshold", "spread_threshold_percent", "failing_grade"]

    def __init__(self, *args, criteria_choices, **kwargs):
        super().__init__(*args, **kwargs)
        current = list(self.instance.tie_break_codes)
        count = min(len(criteria_choices), max(len(current) + 1, 2))
        self.tie_break_names = []
        for position in range(count):
            name = f"tie_break_{position}"
            self.fields[name] = forms.ChoiceField(
                label=gettext_lazy("Tie-break %(n)d") % {"n": position + 1},
                choices=[("", "—"), *criteria_choices],
                required=False,
                initial=current[position] if position < len(current) else "",
            )
            self.tie_break_names.append(name)

    def main_fields(self):
        return [self[name] for name in self._meta.fields]

    def tie_break_fields(self):
        return [self[name] for name in self.tie_break_names]

    def tie_break_codes(self) -> list[str]:
        return [self.cleaned_data[name] for name in self.tie_break_names]


class GradeBandForm(forms.Form):
    """One grade band; ``services.check_grade_bands`` decides what a valid set of bands is."""

    lowest = forms.CharField(
        label=gettext_lazy("Lowest score"),
        required=False,
        max_length=12,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
    )
    name = forms.CharField(label=gettext_lazy("Grade"), required=False, max_length=32)


GradeBandFormSet = forms.formset_factory(GradeBandForm, extra=2)


def grade_band_rows(formset) -> list[list[str]]:
    """The bands typed in, in order, leaving out blank rows."""
    rows = []
    for form in formset:
        lowest = form.cleaned_data.get("lowest", "").strip()
        name = form.cleaned_data.get("name", "").strip()
        if lowest or name:
            rows.append([lowest, name])
    return rows


class EvaluatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        where = obj.organisation or obj.unit
        return f"{obj} · {where}" if where else str(obj)


class AssignEvaluatorForm(forms.Form):
    evaluator = EvaluatorChoiceField(queryset=None, label=gettext_lazy("Evaluator"))
    projects = forms.ModelMultipleChoiceField(
        queryset=None,
        label=gettext_lazy("Entries"),
        error_messages={"required": gettext_lazy("Tick the entries to assign.")},
    )

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluator"].queryset = services.active_evaluators()
        self.fields["projects"].queryset = entries.select_related("unit__organisation")


class AutoAssignForm(forms.Form):
    evaluators = forms.ModelMultipleChoiceField(
        queryset=None,
        label=gettext_lazy("Evaluators"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose the evaluators to draw on.")},
    )
    per_entry = forms.IntegerField(
        label=gettext_lazy("Evaluators per entry"), min_value=1, max_value=50, initial=5
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluators"].queryset = services.active_evaluators()
