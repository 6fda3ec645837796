"""Horizontal bar charts of the summaries, drawn as inline SVG on the server (as
``competitions.charts``): nothing loaded from elsewhere, readable in print and without
scripts. Each chart carries a text label and its figures also appear in a table on the page.
Horizontal bars leave room for Chinese zone and state names.
"""

from decimal import Decimal

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from competitions.models import Project

WIDTH = 600
LABEL = 150  # room for the row labels on the left
VALUE = 90  # room for the value after the longest bar
ROW, GAP, TOP = 22, 8, 6
# The overview screen draws the same charts in a narrower box that the browser scales up, so
# the text grows with the bars on a large display.
COMPACT = {"width": 420, "label": 110, "value": 84}
MAX_LABEL = 12  # characters of a label shown before it is cut short


def _short(label: str) -> str:
    label = str(label)
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _number(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def bar_chart(
    rows, title: str, unit: str = "", places: int = 0, maximum=None, compact=False
) -> dict:
    """A chart of ``rows`` [(label, value)]; values may be None (shown as "—").

    ``places``: decimals shown; ``maximum``: the value of a full bar (the largest value
    when not given); ``compact``: the overview screen's size."""
    width, left, right = (
        (COMPACT["width"], COMPACT["label"], COMPACT["value"]) if compact else (WIDTH, LABEL, VALUE)
    )
    values = [_number(value) for _label, value in rows]
    known = [v for v in values if v is not None]
    top = _number(maximum) if maximum is not None else max(known, default=Decimal(0))
    plot = width - left - right
    bars = []
    for index, ((label, _value), value) in enumerate(zip(rows, values, strict=True)):
        y = TOP + index * (ROW + GAP)
        length = 0.0
        if value is not None and top > 0:
            length = round(plot * float(min(value, top)) / float(top), 1)
        shown = "—" if value is None else f"{floatformat(value, f'{places}g')}{unit}"
        bars.append(
            {
                "label": _short(label),
                "full_label": str(label),
                "y": y,
                "text_y": y + ROW / 2,
                "width": max(length, 1.5 if value else 0),
                "value_x": left + length + 6,
                "value": shown,
            }
        )
    summary = "; ".join(f"{bar['full_label']}: {bar['value']}" for bar in bars)
    return {
        "empty": not bars,
        "title": title,
        "width": width,
        "height": TOP * 2 + len(bars) * (ROW + GAP),
        "left": left,
        "row": ROW,
        "bars": bars,
        "aria_label": f"{title}: {summary}",
    }


def state_chart(figures: dict) -> dict:
    """Projects by state at the end of the period (states with no project left out)."""
    by_state = (figures.get("projects") or {}).get("by_state") or {}
    rows = [
        (label, by_state.get(value, 0))
        for value, label in Project.Status.choices
        if by_state.get(value)
    ]
    return bar_chart(rows, _("Projects by state"))


def zone_charts(snapshots, compact=False) -> list[dict]:
    """Comparisons of the zones: on-time rate, proposals and their economic benefit."""
    zones = [s for s in snapshots if s.zone_id is not None]
    if not zones:
        return []

    def rows(path):
        from .summaries import figure

        return [(figure(s.figures, "scope.zone_name"), figure(s.figures, path)) for s in zones]

    return [
        bar_chart(
            rows("reports.on_time_rate"),
            _("On-time report rate"),
            "%",
            1,
            maximum=100,
            compact=compact,
        ),
        bar_chart(rows("proposals.count"), _("Rational proposals"), compact=compact),
        bar_chart(
            rows("proposals.benefit"), _("Economic benefit (yuan)"), places=2, compact=compact
        ),
    ]
