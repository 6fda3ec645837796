"""Server-side charts, drawn as inline SVG: no JavaScript and nothing loaded from elsewhere.

A line chart of two series needs only coordinates; computing them here keeps the template a
plain drawing and lets the page work without scripts, in print and for screen readers (the
chart carries a text summary and the figures follow in a table).
"""

import math
from decimal import Decimal

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from .models import ProgressReport

WIDTH, HEIGHT = 600, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 30, 28  # room for the y labels, the legend, the x labels
Y_TICKS = (0, 25, 50, 75, 100)
MAX_X_LABELS = 8  # more month labels would run into each other at 600 px


def _percent(value) -> str:
    return f"{floatformat(value, -1)}%"


def _series(values: list[tuple[int, str, Decimal]], x_of, y_of) -> dict | None:
    """A polyline and its dots from (period index, period label, percent) triples."""
    if not values:
        return None
    dots = [
        {"x": x_of(index), "y": y_of(value), "label": f"{label}: {_percent(value)}"}
        for index, label, value in values
    ]
    return {"points": " ".join(f"{d['x']},{d['y']}" for d in dots), "dots": dots}


def progress_chart(project) -> dict:
    """Planned against actual progress of ``project`` per reporting period, for
    ``competitions/_progress_chart.html``.

    Planned progress comes from the reports (fixed when each report was opened) or, before
    the first report, from the project's milestones; actual progress from the reports that
    state it. Two queries at most.
    """
    reports = list(ProgressReport.objects.filter(project=project).order_by("period_start"))
    if reports:
        labels = [report.period_label for report in reports]
        planned = [(i, labels[i], r.planned_percent) for i, r in enumerate(reports)]
        actual = [
            (i, labels[i], r.actual_percent)
            for i, r in enumerate(reports)
            if r.actual_percent is not None
        ]
    else:
        milestones = list(project.milestones.order_by("period"))
        labels = [f"{m.period:%Y-%m}" for m in milestones]
        planned = [(i, labels[i], m.planned_percent) for i, m in enumerate(milestones)]
        actual = []
    if not labels:
        return {"empty": True}

    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    inset = 12  # keep the first and last dots off the axes

    def x_of(index: int) -> float:
        if len(labels) == 1:
            return round(LEFT + plot_width / 2, 1)
        return round(LEFT + inset + index * (plot_width - 2 * inset) / (len(labels) - 1), 1)

    def y_of(percent) -> float:
        clamped = min(max(float(percent), 0.0), 100.0)
        return round(TOP + plot_height * (1 - clamped / 100), 1)

    # Every step-th period, counted back from the latest so that one is always labelled.
    step = math.ceil(len(labels) / MAX_X_LABELS)
    x_ticks = [
        {"x": x_of(i), "label": label}
        for i, label in enumerate(labels)
        if (len(labels) - 1 - i) % step == 0
    ]
    summary = _("Planned and actual progress of %(project)s from %(first)s to %(last)s.") % {
        "project": project,
        "first": labels[0],
        "last": labels[-1],
    }
    if actual:
        _index, label, value = actual[-1]
        summary += " " + _("Latest actual progress: %(percent)s in %(period)s.") % {
            "percent": _percent(value),
            "period": label,
        }
    return {
        "empty": False,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "y_ticks": [{"y": y_of(t), "label": f"{t}%"} for t in Y_TICKS],
        "x_ticks": x_ticks,
        "planned": _series(planned, x_of, y_of),
        "actual": _series(actual, x_of, y_of),
        "from_milestones": not reports,
        "aria_label": summary,
        "rows": [r for r in reports if r.actual_percent is not None],
    }
