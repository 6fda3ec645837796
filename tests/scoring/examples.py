"""The data of SCORING.md's worked example 1 (场馆建设, 六比, two stages): criterion weights per
stage and every evaluator's scores, one list position per evaluator."""

import datetime
from decimal import Decimal

from competitions.models import Stage
from scoring.services import assign_evaluator, save_scores

from .. import factories as f

CODES = ["progress", "quality", "safety", "efficiency", "innovation", "integrity"]
WEIGHTS = {
    "筹备初期": {
        "progress": "0.30",
        "quality": "0.20",
        "safety": "0.20",
        "efficiency": "0.10",
        "innovation": "0.10",
        "integrity": "0.10",
    },
    "决战期": {
        "progress": "0.15",
        "quality": "0.20",
        "safety": "0.35",
        "efficiency": "0.10",
        "innovation": "0.10",
        "integrity": "0.10",
    },
}
PREPARATION = {
    "progress": [90, 85, 88, 70, 95],
    "quality": [80, 82, 84, 86, 88],
    "safety": [90] * 5,
    "efficiency": [70, 75, 80, 85, 90],
    "innovation": [60, 65, 70, 75, 100],
    "integrity": [100] * 5,
}
FINAL_PUSH = {
    "safety": [80, 85, 90],
    "quality": [88, 90, 92],
    "progress": [95] * 3,
    "efficiency": [70, 80, 90],
    "innovation": [75, 80, 85],
    "integrity": [100] * 3,
}


def score_entry(world, project, stage, criteria, table):
    """Each column of ``table`` is one evaluator's form, saved and submitted."""
    count = len(next(iter(table.values())))
    for i in range(count):
        evaluator = f.UserFactory(role="evaluator")
        assignment = assign_evaluator(evaluator=evaluator, project=project, stage=stage)
        save_scores(
            assignment,
            {criteria[code]: Decimal(values[i]) for code, values in table.items()},
            evaluator,
            submit=True,
        )


def example_stages(campaign) -> dict:
    """Replace the campaign's stages with example 1's 筹备初期 (0.4) and 决战期 (0.6)."""
    Stage.objects.filter(campaign=campaign).delete()
    return {
        name: Stage.objects.create(
            campaign=campaign,
            name=name,
            order=order,
            weight=weight,
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 12, 31),
        )
        for order, (name, weight) in enumerate([("筹备初期", "0.4"), ("决战期", "0.6")])
    }
