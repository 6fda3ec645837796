"""Excel imports and exports of skill contests: contestants, theory exam sheets, heat results.

The import workbooks are a file format shared with union offices: their sheet names and column
headers are Chinese whatever the interface language (as in :mod:`competitions.imports`), so
they are constants here; everything said *about* a file goes through gettext. The result
exports follow the reader's language (headers, 是/否, anonymised judges 裁判1 / Judge 1).

Reading is done with openpyxl. The contestant import checks every row before anything is
saved, loading what exists in a handful of queries (units, people and registrations for the
names in the sheet, the heats of the first tier), and saves in bulk in one transaction.
"""

import io
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from competitions import queries as competition_queries
from competitions.audit import log_bulk
from competitions.excel import header_row
from competitions.imports import MAX_ROWS, Column, ImportRow, cell_text
from competitions.models import Person, Unit
from scoring import engine

from . import queries, services
from .models import Component, ComponentScore, Contestant, Heat, HeatEntry, HeatJudge

CONTESTANT_SHEET = "报名"
THEORY_SHEET = "理论成绩"
GUIDE_SHEET = "填写说明"

CONTESTANT_COLUMNS = (
    Column("姓名", "name", 12),
    # Required of staff; a unit liaison may leave it empty for their own unit.
    Column("单位", "unit", 32, required=False),
    Column("工种", "trade", 12, required=False),
    Column("岗位", "job_title", 12, required=False),
    Column("场次", "heat", 24, required=False),
)
THEORY_COLUMNS = (
    Column("工位号", "station", 10),
    Column("理论成绩", "score", 10),
)
#: Rows of a template that get the text format and drop-down lists.
TEMPLATE_ROWS = 1000
#: Excel refuses an inline drop-down list longer than this.
MAX_LIST_CHARS = 255

BOLD = Font(bold=True)


# Reading ---------------------------------------------------------------------------------


@dataclass
class SheetData:
    """The rows of one worksheet, with the fields whose column it has and file-wide errors."""

    title: str = ""
    present: set[str] = field(default_factory=set)
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_sheet(file, preferred: str, columns: tuple[Column, ...], row_class=ImportRow):
    """Read the sheet ``preferred`` (or else the first sheet) of an uploaded workbook: the
    first row holds the headers, empty rows are skipped, cells become stripped text."""
    data = SheetData()
    unreadable = _("The file could not be read as an Excel workbook.")
    try:
        file.seek(0)
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on damaged files
        data.errors.append(unreadable)
        return data
    try:
        names = workbook.sheetnames
        sheet = workbook[preferred] if preferred in names else workbook.worksheets[0]
        data.title = sheet.title
        rows = sheet.iter_rows(values_only=True)
        headers = [cell_text(value) for value in next(rows, None) or ()]
        positions = {c.field: headers.index(c.header) for c in columns if c.header in headers}
        data.present = set(positions)
        for number, values in enumerate(rows, start=2):
            texts = [cell_text(value) for value in values]
            if not any(texts):
                continue
            if len(data.rows) >= MAX_ROWS:
                data.errors.append(
                    _("The sheet %(sheet)s has more than %(limit)d rows; please split the file.")
                    % {"sheet": data.title, "limit": MAX_ROWS}
                )
                return data
            cells = {name: texts[i] if i < len(texts) else "" for name, i in positions.items()}
            data.rows.append(row_class(number, cells, columns))
    except Exception:
        data.errors.append(unreadable)
        return data
    finally:
        workbook.close()
    if data.rows:
        for column in columns:
            if column.required and column.field not in positions:
                data.errors.append(
                    _("The sheet %(sheet)s has no column %(column)s.")
                    % {"sheet": data.title, "column": column.header}
                )
    return data


def _workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _template_sheet(workbook: Workbook, title: str, columns: tuple[Column, ...], text_fields=()):
    sheet = workbook.create_sheet(title)
    sheet.append([column.header for column in columns])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index).font = BOLD
        sheet.column_dimensions[get_column_letter(index)].width = column.width
        if column.field in text_fields:
            # Text, so that Excel keeps station numbers and all-digit codes as typed (01, not 1).
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    return sheet


# Contestant import -----------------------------------------------------------------------


@dataclass
class ContestantRow(ImportRow):
    unit: Unit | None = None
    person: Person | None = None
    heat: Heat | None = None


class ContestantImport:
    """Registering the contestants of one workbook for ``event`` on behalf of ``user``.

    Building it reads and checks every row without writing anything; ``save()`` then writes
    it all in one transaction, and only when ``is_valid``.

    ``user`` is staff who run the event (people of any unit in their scope, and heats of the
    first tier), or a unit liaison (people of their own unit; no heats). The rules are those
    of :func:`services.register` and :func:`services.enter_contestants`.
    """

    def __init__(self, event, user, file):
        self.event = event
        self.user = user
        self.staff = queries.runs_event(user, event)
        role = competition_queries.user_role(user)
        if not self.staff and role != "unit":
            raise PermissionDenied(_("Only units and the competition office register contestants."))
        self.file_errors: list[str] = []
        self.rows: list[ContestantRow] = []
        try:
            services.check_registration_open(event)
        except ValidationError as error:
            self.file_errors = error.messages
            return
        data = read_sheet(file, CONTESTANT_SHEET, CONTESTANT_COLUMNS, ContestantRow)
        self.rows, self.file_errors = data.rows, data.errors
        if self.staff and data.rows and "unit" not in data.present:
            self.file_errors.append(
                _("The sheet %(sheet)s has no column %(column)s.")
                % {"sheet": data.title, "column": "单位"}
            )
        if not self.file_errors and not self.rows:
            self.file_errors.append(_("The file has no rows to import."))
        if not self.file_errors:
            self._plan()

    # Checks ------------------------------------------------------------------------------

    def _plan(self) -> None:
        if self.staff:
            self._units_of_staff()
        else:
            self._units_of_liaison()
        people, registered = self._load_people()
        heats, tier = self._load_heats()
        blank_name = Person._meta.get_field("name").error_messages["blank"]
        first_row: dict[tuple[int, str], int] = {}
        for row in self.rows:
            cells = row.cells
            name = cells.get("name", "")
            if not name:
                row.add_error("name", blank_name)
            unit = row.unit
            if unit is not None and name:
                key = (unit.pk, name)
                matches = people.get(key, [])
                if key in first_row:
                    row.add_error(
                        "name",
                        _("This person already appears in row %(row)d.") % {"row": first_row[key]},
                    )
                elif len(matches) > 1:
                    row.add_error(
                        "name",
                        _(
                            "The unit has several people of this name; register them on the "
                            "site instead."
                        ),
                    )
                elif matches and matches[0].pk in registered:
                    row.add_error(
                        "name",
                        _("%(person)s is already registered for %(event)s.")
                        % {"person": matches[0], "event": self.event},
                    )
                first_row.setdefault(key, row.number)
                if len(matches) == 1:
                    row.person = matches[0]
                else:
                    row.person = Person(
                        unit=unit,
                        name=name,
                        trade=cells.get("trade", ""),
                        job_title=cells.get("job_title", ""),
                    )
                    try:
                        row.person.full_clean(
                            exclude=["unit", "team", *row.error_fields],
                            validate_unique=False,
                            validate_constraints=False,
                        )
                    except ValidationError as error:
                        row.add_validation_error(error)
            self._check_heat(row, heats, tier)

    def _units_of_liaison(self) -> None:
        own = self.user.unit
        for row in self.rows:
            text = row.cells.get("unit", "")
            if text and text != own.name and text.upper() != own.credit_code:
                row.add_error("unit", _("A unit registers only its own people."))
            else:
                row.unit = own

    def _units_of_staff(self) -> None:
        texts = {row.cells.get("unit", "") for row in self.rows} - {""}
        codes = {text.upper() for text in texts}
        by_code, by_name = {}, defaultdict(list)
        if texts:
            scope = competition_queries.units_for_user(self.user)
            for unit in scope.filter(Q(name__in=texts) | Q(credit_code__in=codes)):
                by_code[unit.credit_code] = unit
                by_name[unit.name].append(unit)
        missing = {text for text in texts if text.upper() not in by_code and text not in by_name}
        elsewhere = set()
        if missing:
            for name, code in Unit.objects.filter(
                Q(name__in=missing) | Q(credit_code__in={text.upper() for text in missing})
            ).values_list("name", "credit_code"):
                elsewhere |= {name, code}
        blank = Person._meta.get_field("unit").error_messages["blank"]
        for row in self.rows:
            text = row.cells.get("unit", "")
            named = by_name.get(text, [])
            if not text:
                row.add_error("unit", blank)
            elif text.upper() in by_code:
                row.unit = by_code[text.upper()]
            elif len(named) == 1:
                row.unit = named[0]
            elif named:
                row.add_error(
                    "unit",
                    _("Several units in your scope have this name; give the credit code instead."),
                )
            elif text in elsewhere or text.upper() in elsewhere:
                row.add_error("unit", _("This unit is outside your scope."))
            else:
                row.add_error("unit", _("No unit has this name or credit code."))

    def _load_people(self):
        """The people of the sheet's units with the sheet's names, by (unit, name), and the ids
        of those already registered for the event: two queries."""
        unit_ids = {row.unit.pk for row in self.rows if row.unit is not None}
        names = {row.cells.get("name", "") for row in self.rows} - {""}
        people = defaultdict(list)
        if not unit_ids or not names:
            return people, set()
        for person in Person.objects.filter(unit_id__in=unit_ids, name__in=names):
            people[(person.unit_id, person.name)].append(person)
        found = [p.pk for group in people.values() for p in group]
        registered = set(
            Contestant.objects.filter(event=self.event, person_id__in=found).values_list(
                "person_id", flat=True
            )
        )
        return people, registered

    def _load_heats(self):
        if not any(row.cells.get("heat") for row in self.rows) or not self.staff:
            return {}, None
        tier = services.first_tier(self.event)
        if tier is None:
            return {}, None
        return {heat.name: heat for heat in tier.heats.all()}, tier

    def _check_heat(self, row: ContestantRow, heats: dict, tier) -> None:
        name = row.cells.get("heat", "")
        if not name:
            return
        if not self.staff:
            row.add_error("heat", _("Only the competition office puts contestants into heats."))
            return
        heat = heats.get(name)
        if heat is None:
            row.add_error(
                "heat",
                _("The first tier of this event has no heat named %(heat)s.") % {"heat": name},
            )
        elif heat.locked_at is not None:
            row.add_error(
                "heat", _("The heat %(heat)s is locked; no one can enter it.") % {"heat": heat}
            )
        else:
            row.heat = heat

    # Results -----------------------------------------------------------------------------

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and not any(row.errors for row in self.rows)

    @property
    def error_lines(self) -> list[str]:
        return [*self.file_errors, *(line for row in self.rows for line in row.error_lines)]

    @transaction.atomic
    def save(self) -> tuple[int, int]:
        """Create the new people, register everyone and enter them into their heats.

        All or nothing: refuses an invalid plan and runs in one transaction (a heat locked
        meanwhile raises the ValidationError of :func:`services.enter_contestants`, a person
        registered meanwhile an IntegrityError). Returns the number of contestants registered
        and of those entered into a heat.
        """
        if not self.is_valid:
            raise ValueError("An import with errors cannot be saved.")
        new_people = [row.person for row in self.rows if row.person.pk is None]
        Person.objects.bulk_create(new_people)
        contestants = Contestant.objects.bulk_create(
            Contestant(event=self.event, person=row.person, unit_id=row.person.unit_id)
            for row in self.rows
        )
        # bulk_create sends no signals: write the audit entries auditlog would have.
        for model, created in ((Person, new_people), (Contestant, contestants)):
            if created:
                log_bulk(model, [(None, obj) for obj in created], self.user)
        by_heat: dict[int, tuple[Heat, list[Contestant]]] = {}
        for row, contestant in zip(self.rows, contestants, strict=True):
            if row.heat is not None:
                by_heat.setdefault(row.heat.pk, (row.heat, []))[1].append(contestant)
        entered = 0
        for heat, group in by_heat.values():
            entered += len(services.enter_contestants(heat, group, self.user))
        return len(contestants), entered


def contestant_template(event, user) -> bytes:
    """A blank contestant workbook: the headers, a drop-down list of the first tier's heats for
    staff, and a sheet of instructions."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet = _template_sheet(workbook, CONTESTANT_SHEET, CONTESTANT_COLUMNS, ("unit",))
    tier = services.first_tier(event)
    heat_names = []
    if tier is not None and queries.runs_event(user, event):
        heat_names = list(
            tier.heats.filter(locked_at__isnull=True)
            .order_by("name")
            .values_list("name", flat=True)
        )
    choices = ",".join(heat_names)
    if (
        heat_names
        and len(choices) <= MAX_LIST_CHARS
        and not re.search(r'[,"]', "".join(heat_names))
    ):
        letter = get_column_letter(len(CONTESTANT_COLUMNS))
        validation = DataValidation(
            type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=True
        )
        validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)
    guide = workbook.create_sheet(GUIDE_SHEET)
    guide.column_dimensions["A"].width = 100
    for line in (
        f"竞赛工种:{event.trade}",
        "在“报名”工作表中每行填写一名选手,第一行为表头,请勿修改。",
        "姓名:必填;按单位和姓名查找职工,找不到时新建职工(同时记录工种、岗位)。",
        "单位:填写单位名称或统一社会信用代码;竞赛办公室填写时必填,单位联络员可不填(默认本单位)。",
        "场次:选填,仅竞赛办公室可填,须为第一级赛事的场次名称;工位号按顺序自动编排。",
        "任何一行有错误时,整个文件都不会导入。",
    ):
        guide.append([line])
    return _workbook_bytes(workbook)


# Theory exam sheets ----------------------------------------------------------------------


def _station(text: str, stations: set[str]) -> str:
    """A station as typed, or the heat's station it stands for when Excel dropped the leading
    zeros of a number (1 for 01)."""
    # isdecimal(), not isdigit(): int() refuses digits such as "²".
    if text in stations or not text.isdecimal():
        return text
    same = [s for s in stations if s.isdecimal() and int(s) == int(text)]
    return same[0] if len(same) == 1 else text


def read_theory_rows(file, stations=()) -> tuple[list[tuple[int, str, str]], list[str]]:
    """The (row number, station, score) rows of a theory exam sheet, for
    :func:`services.import_theory`, and the file's errors. Rows without a score are skipped
    (the template lists every station)."""
    data = read_sheet(file, THEORY_SHEET, THEORY_COLUMNS)
    if data.errors:
        return [], data.errors
    stations = set(stations)
    rows = [
        (row.number, _station(row.cells.get("station", ""), stations), row.cells["score"])
        for row in data.rows
        if row.cells.get("score", "")
    ]
    return rows, []


def theory_template(heat: Heat) -> bytes:
    """The theory exam sheet of a heat: its station numbers, the scores to fill in."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet = _template_sheet(workbook, THEORY_SHEET, THEORY_COLUMNS, ("station",))
    stations = heat.entries.order_by("station_number").values_list("station_number", flat=True)
    for number, station in enumerate(stations, start=2):
        sheet.cell(row=number, column=1, value=station)
    return _workbook_bytes(workbook)


# Result exports --------------------------------------------------------------------------

_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
MAX_TITLE = 31


def sheet_titles(names) -> list[str]:
    """Worksheet titles Excel accepts for ``names``: at most 31 characters, none of
    ``[]:*?/\\``, not starting or ending with an apostrophe, unique (ignoring case)."""
    used, titles = set(), []
    for name in names:
        base = _BAD_TITLE.sub("_", str(name)).strip().strip("'")[:MAX_TITLE].strip("'")
        if not base or base.lower() == "history":  # Excel reserves History
            base = f"{base or 'Sheet'}_"
        title, number = base, 2
        while title.lower() in used:
            suffix = f"({number})"
            title = base[: MAX_TITLE - len(suffix)] + suffix
            number += 1
        used.add(title.lower())
        titles.append(title)
    return titles


@dataclass
class ExportRow:
    entry: HeatEntry
    theory: object
    practical: object
    total: object
    rank: int | None
    advanced: bool
    prize: str


def _stored_rows(entries) -> list[ExportRow]:
    entries = sorted(entries, key=lambda e: (e.rank is None, e.rank or 0, e.station_number))
    return [
        ExportRow(e, e.theory, e.practical, e.total, e.rank, e.advanced, e.prize) for e in entries
    ]


def _live_rows(heat: Heat) -> list[ExportRow]:
    """The heat's results as they stand, with who would advance and the prizes (in the last
    tier) if it were locked now."""
    results = services.heat_results(heat)
    going = {entry.pk for entry in services.advancing(heat, results)}
    prizes = {}
    if services.next_tier(heat.tier) is None:
        prizes = {award.entry.pk: award.prize for award in services.award_prizes(heat, results)}

    def rounded(value):
        return None if value is None else engine.round_half_up(value)

    return [
        ExportRow(
            row.entry,
            rounded(row.theory),
            rounded(row.practical),
            row.total_rounded,
            row.rank,
            row.entry.pk in going,
            prizes.get(row.entry.pk, ""),
        )
        for row in results
    ]


def _mark_columns(heat_judges, marks) -> list[tuple[str, int | None]]:
    """(component, judge id or None for an imported score) for each mark column of a heat:
    theory first, judges in their order in the heat, then anyone else who left a mark."""
    columns = []
    for component in (Component.THEORY, Component.PRACTICAL):
        judges = [judge for judge, c in heat_judges if c == component]
        others = sorted(
            {j for (_e, c, j) in marks if c == component and j is not None} - set(judges)
        )
        imported = any(c == component and j is None for (_e, c, j) in marks)
        if imported or (component == Component.THEORY and not judges):
            columns.append((component, None))
        columns += [(component, judge) for judge in [*judges, *others]]
    return columns


def build_results_workbook(heats, user) -> Workbook:
    """One worksheet per heat (all of one event) with every entry's marks per judge (judges
    anonymised), aggregates, total, rank, advancement and prize.

    A locked heat shows the values stored on its entries; an unlocked one the live values of
    :func:`services.heat_results` (the caller lets only the staff who run the event export
    it). Names and units are filled in only where :func:`queries.shows_names` allows. A
    constant number of queries per heat.
    """
    heats = list(heats)
    ids = [heat.pk for heat in heats]
    entries = defaultdict(list)
    for entry in (
        HeatEntry.objects.filter(heat_id__in=ids)
        .select_related("contestant__person", "contestant__unit")
        .order_by("station_number")
    ):
        entries[entry.heat_id].append(entry)
    marks = defaultdict(dict)  # heat id -> {(entry id, component, judge id): value}
    for heat_id, entry_id, component, judge_id, value in ComponentScore.objects.filter(
        entry__heat_id__in=ids
    ).values_list("entry__heat_id", "entry_id", "component", "judge_id", "value"):
        marks[heat_id][(entry_id, component, judge_id)] = value
    heat_judges = defaultdict(list)
    for heat_id, judge_id, component in (
        HeatJudge.objects.filter(heat_id__in=ids)
        .order_by("pk")
        .values_list("heat_id", "judge_id", "component")
    ):
        heat_judges[heat_id].append((judge_id, component))

    workbook = Workbook(write_only=True)
    components = dict(Component.choices)
    yes, no = _("Yes"), _("No")
    titles = sheet_titles(heat.name for heat in heats)
    if not heats:
        sheet = workbook.create_sheet(_("Results"))
        sheet.append([_("No heat has results to export yet.")])
    for heat, title in zip(heats, titles, strict=True):
        columns = _mark_columns(heat_judges[heat.pk], marks[heat.pk])
        numbers = {}
        for _component, judge in columns:
            if judge is not None and judge not in numbers:
                numbers[judge] = len(numbers) + 1
        mark_headers = [
            f"{components[component]} · "
            + (
                _("Imported")
                if judge is None
                else _("Judge %(number)d") % {"number": numbers[judge]}
            )
            for component, judge in columns
        ]
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "D2"
        header_row(
            sheet,
            [
                _("Tier"),
                _("Heat"),
                _("Station number"),
                _("Name"),
                _("Unit"),
                _("Completion time (seconds)"),
                *mark_headers,
                _("Theory score"),
                _("Practical score"),
                _("Total"),
                _("Rank"),
                _("Advanced"),
                _("Prize"),
            ],
        )
        locked = heat.locked_at is not None
        rows = _stored_rows(entries[heat.pk]) if locked else _live_rows(heat)
        names = queries.shows_names(heat, user)
        tier = heat.tier.get_level_display()
        heat_marks = marks[heat.pk]
        for row in rows:
            entry = row.entry
            contestant = entry.contestant
            sheet.append(
                [
                    tier,
                    heat.name,
                    entry.station_number,
                    contestant.person.name if names else None,
                    contestant.unit.name if names else None,
                    entry.completion_seconds,
                    *(heat_marks.get((entry.pk, c, judge)) for c, judge in columns),
                    row.theory,
                    row.practical,
                    row.total,
                    row.rank,
                    yes if row.advanced else no,
                    row.prize or None,
                ]
            )
    return workbook
