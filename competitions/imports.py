"""Bulk import of units (参赛单位) and their people (职工) from an Excel workbook.

The workbook is a file format shared with union offices: its sheet names, column headers and
是/否 answers are Chinese whatever the interface language, so they are constants here and not
translated; everything said *about* the file goes through gettext.

Reading is done with openpyxl; validation loads what already exists in a handful of queries
(organisations by name, units by credit code, teams and people of those units) and saving uses
``bulk_create``/``bulk_update``. Bulk operations bypass django-auditlog's signals, so the audit
entries are written here, in bulk, with the same diff the library would record.
"""

import copy
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .audit import diff, log_bulk
from .models import Organisation, Person, Team, Unit
from .queries import organisations_for_user, units_for_user

UNIT_SHEET = "单位"
PERSON_SHEET = "职工"
#: Rows per sheet; a larger file should be split so that the preview stays usable.
MAX_ROWS = 5000
#: Where uploaded workbooks wait for confirmation, inside the default storage (MEDIA_ROOT).
UPLOAD_DIR = "imports"
#: How long an uploaded workbook may wait for confirmation, in seconds.
CONFIRM_MAX_AGE = 60 * 60

YES = {"是", "Y", "YES", "1", "TRUE", "√"}
NO = {"否", "N", "NO", "0", "FALSE", ""}


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    width: int = 14
    required: bool = True  # the header must be present when the sheet has data


UNIT_COLUMNS = (
    Column("单位名称", "name", 32),
    Column("统一社会信用代码", "credit_code", 22),
    Column("所有制", "ownership"),
    Column("行业", "industry"),
    Column("规模", "size", 8),
    Column("所属工会", "organisation", 20),
    Column("地址", "address", 36, required=False),
)
PERSON_COLUMNS = (
    Column("姓名", "name", 12),
    Column("单位统一社会信用代码", "unit", 22),
    Column("班组", "team", 16, required=False),
    Column("工种", "trade", 12, required=False),
    Column("职务", "job_title", 12, required=False),
    Column("一线职工", "is_front_line", 10, required=False),
    Column("单位负责人", "is_leader", 10, required=False),
    Column("产业工人", "is_industrial_worker", 10, required=False),
    Column("农民工", "is_migrant_worker", 10, required=False),
    Column("手机号", "phone", 14, required=False),
    Column("身份证号", "id_number", 22, required=False),
)
FLAG_FIELDS = ("is_front_line", "is_leader", "is_industrial_worker", "is_migrant_worker")
UNIT_FIELDS = ("name", "ownership", "industry", "size", "organisation", "address")
PERSON_FIELDS = ("name", "team", "trade", "job_title", *FLAG_FIELDS, "phone", "id_number")

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
ACTION_LABELS = {
    CREATE: gettext_lazy("New"),
    UPDATE: gettext_lazy("Update"),
    UNCHANGED: gettext_lazy("Unchanged"),
}


def choice_labels(choices) -> dict[str, str]:
    """Value -> Chinese label of a model's choices: the words the workbook uses."""
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in choices.choices}


def cell_text(value) -> str:
    """A cell's value as the stripped text the user typed (18-digit codes stay digits)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


@dataclass
class ImportRow:
    """One row of a sheet: what the user wrote, what will happen to it, what is wrong."""

    number: int
    cells: dict[str, str]
    columns: tuple[Column, ...]
    action: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)
    instance: object = None
    original: object = None  # the stored state of an updated record, for the audit diff

    @property
    def values(self) -> list[str]:
        return [self.cells.get(column.field, "") for column in self.columns]

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, "")

    def header(self, field_name: str) -> str:
        return next((c.header for c in self.columns if c.field == field_name), "")

    def add_error(self, field_name: str, message) -> None:
        """Record a problem with the column holding ``field_name`` ("" for the whole row)."""
        self.errors.append((self.header(field_name), str(message)))

    def add_validation_error(self, error: ValidationError) -> None:
        for field_name, messages in error.message_dict.items():
            for message in messages:
                self.add_error("" if field_name == "__all__" else field_name, message)

    @property
    def error_fields(self) -> set[str]:
        headers = {header for header, _message in self.errors}
        return {c.field for c in self.columns if c.header in headers}

    @property
    def sorted_errors(self) -> list[tuple[str, str]]:
        """The errors in the order of the sheet's columns, row-wide ones first."""
        order = {column.header: index for index, column in enumerate(self.columns)}
        return sorted(self.errors, key=lambda error: order.get(error[0], -1))

    @property
    def error_texts(self) -> list[str]:
        return [
            f"{header}:{message}" if header else message for header, message in self.sorted_errors
        ]

    @property
    def error_lines(self) -> list[str]:
        """The errors as sentences naming the row, e.g. 第 5 行 统一社会信用代码:……"""
        lines = []
        for header, message in self.sorted_errors:
            if header:
                lines.append(
                    _("Row %(row)d, %(column)s: %(message)s")
                    % {"row": self.number, "column": header, "message": message}
                )
            else:
                lines.append(
                    _("Row %(row)d: %(message)s") % {"row": self.number, "message": message}
                )
        return lines


@dataclass
class ImportSheet:
    name: str
    columns: tuple[Column, ...]
    rows: list[ImportRow] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # fields whose column the sheet has

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    @property
    def error_lines(self) -> list[str]:
        return [line for row in self.rows for line in row.error_lines]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


def _read_sheet(workbook, sheet: ImportSheet, file_errors: list[str]) -> None:
    if sheet.name not in workbook.sheetnames:
        return
    rows = workbook[sheet.name].iter_rows(values_only=True)
    header_row = next(rows, None) or ()
    headers = [cell_text(value) for value in header_row]
    positions = {c.field: headers.index(c.header) for c in sheet.columns if c.header in headers}
    sheet.present = set(positions)
    for number, values in enumerate(rows, start=2):
        texts = [cell_text(value) for value in values]
        if not any(texts):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            file_errors.append(
                _("The sheet %(sheet)s has more than %(limit)d rows; please split the file.")
                % {"sheet": sheet.name, "limit": MAX_ROWS}
            )
            return
        cells = {name: texts[i] if i < len(texts) else "" for name, i in positions.items()}
        sheet.rows.append(ImportRow(number, cells, sheet.columns))
    if sheet.rows:
        for column in sheet.columns:
            if column.required and column.field not in positions:
                file_errors.append(
                    _("The sheet %(sheet)s has no column %(column)s.")
                    % {"sheet": sheet.name, "column": column.header}
                )


class UnitImport:
    """The plan for importing one workbook on behalf of ``user``.

    Building it reads and validates every row without writing anything; ``save()`` then
    applies the plan in one transaction, and only when ``is_valid``.
    """

    def __init__(self, user, file):
        self.user = user
        self.file_errors: list[str] = []
        self.units = ImportSheet(UNIT_SHEET, UNIT_COLUMNS)
        self.people = ImportSheet(PERSON_SHEET, PERSON_COLUMNS)
        self.new_teams: list[Team] = []
        self._read(file)
        if not self.file_errors:
            self._plan()

    # Reading ---------------------------------------------------------------------------

    def _read(self, file) -> None:
        from openpyxl import load_workbook

        try:
            file.seek(0)
            workbook = load_workbook(file, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds of errors on damaged files
            self.file_errors.append(_("The file could not be read as an Excel workbook."))
            return
        try:
            _read_sheet(workbook, self.units, self.file_errors)
            _read_sheet(workbook, self.people, self.file_errors)
        except Exception:
            self.file_errors.append(_("The file could not be read as an Excel workbook."))
        finally:
            workbook.close()
        if not self.file_errors and not self.units.rows and not self.people.rows:
            self.file_errors.append(
                _("The file has no rows in the sheets %(units)s and %(people)s.")
                % {"units": UNIT_SHEET, "people": PERSON_SHEET}
            )

    # Validation ------------------------------------------------------------------------

    def _plan(self) -> None:
        for row in self.units.rows:
            row.cells["credit_code"] = row.cells.get("credit_code", "").upper()
        for row in self.people.rows:
            row.cells["unit"] = row.cells.get("unit", "").upper()
        codes = {row.cells["credit_code"] for row in self.units.rows}
        codes |= {row.cells["unit"] for row in self.people.rows}
        codes.discard("")
        in_scope = units_for_user(self.user).filter(pk=OuterRef("pk"))
        self.existing = {
            unit.credit_code: unit
            for unit in Unit.objects.filter(credit_code__in=codes).annotate(
                in_scope=Exists(in_scope)
            )
        }
        planned = self._plan_units()
        self._plan_people(planned)

    def _load_organisations(self) -> tuple[dict[str, list[Organisation]], set[str]]:
        names = {row.cells.get("organisation", "") for row in self.units.rows} - {""}
        if not names:
            return {}, set()
        in_scope = defaultdict(list)
        for organisation in organisations_for_user(self.user).filter(name__in=names):
            in_scope[organisation.name].append(organisation)
        elsewhere = set(
            Organisation.objects.filter(name__in=names - set(in_scope)).values_list(
                "name", flat=True
            )
        )
        return in_scope, elsewhere

    def _choice(self, row: ImportRow, name: str, labels: dict[str, str]) -> str:
        text = row.cells.get(name, "")
        if not text:
            return ""
        for value, label in labels.items():
            if text in (label, value):
                return value
        row.add_error(
            name, _("Choose one of: %(choices)s.") % {"choices": "、".join(labels.values())}
        )
        return ""

    def _plan_units(self) -> dict[str, Unit]:
        organisations, elsewhere = self._load_organisations()
        ownership_labels = choice_labels(Unit.Ownership)
        size_labels = choice_labels(Unit.Size)
        blank = Unit._meta.get_field("organisation").error_messages["blank"]
        first_row: dict[str, int] = {}
        planned: dict[str, Unit] = {}
        for row in self.units.rows:
            cells = row.cells
            code = cells["credit_code"]
            ownership = self._choice(row, "ownership", ownership_labels)
            size = self._choice(row, "size", size_labels)

            organisation = None
            organisation_name = cells.get("organisation", "")
            matches = organisations.get(organisation_name, [])
            if not organisation_name:
                row.add_error("organisation", blank)
            elif len(matches) == 1:
                organisation = matches[0]
            elif matches:
                row.add_error(
                    "organisation",
                    _("Several union organisations in your scope have this name."),
                )
            elif organisation_name in elsewhere:
                row.add_error("organisation", _("This union organisation is outside your scope."))
            else:
                row.add_error("organisation", _("No union organisation has this name."))

            existing = self.existing.get(code)
            if code and code in first_row:
                row.add_error(
                    "credit_code",
                    _("This credit code already appears in row %(row)d.")
                    % {"row": first_row[code]},
                )
            elif existing is not None and not existing.in_scope:
                row.add_error(
                    "credit_code",
                    _("A unit with this credit code is registered outside your scope."),
                )
            first_row.setdefault(code, row.number)

            if existing is not None and existing.in_scope and code not in planned:
                unit, row.original = existing, copy.copy(existing)
            else:
                unit = Unit()
            unit.name = cells.get("name", "")
            unit.credit_code = code
            unit.ownership = ownership
            unit.industry = cells.get("industry", "")
            unit.size = size
            if organisation is not None:
                unit.organisation = organisation
            if "address" in self.units.present:
                unit.address = cells.get("address", "")
            try:
                # Uniqueness and the organisation were checked above without a query per row.
                unit.full_clean(
                    exclude=["organisation", *row.error_fields],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                row.add_validation_error(error)
            row.instance = unit
            row.action = self._action(row)
            if code and code not in planned:
                planned[code] = unit
        return planned

    def _plan_people(self, planned: dict[str, Unit]) -> None:
        involved = [unit for unit in self.existing.values() if unit.in_scope]
        code_of = {unit.pk: unit.credit_code for unit in involved}
        team_names = {row.cells.get("team", "") for row in self.people.rows} - {""}
        names = {row.cells.get("name", "") for row in self.people.rows} - {""}
        self._teams: dict[tuple[str, str], Team] = {}
        people: dict[tuple[str, str], list[Person]] = defaultdict(list)
        if involved and team_names:
            for team in Team.objects.filter(unit__in=involved, name__in=team_names):
                self._teams[(code_of[team.unit_id], team.name)] = team
        if involved and names:
            for person in Person.objects.filter(unit__in=involved, name__in=names):
                people[(code_of[person.unit_id], person.name)].append(person)

        blank = Person._meta.get_field("unit").error_messages["blank"]
        first_row: dict[tuple[str, str], int] = {}
        for row in self.people.rows:
            cells = row.cells
            code, name = cells["unit"], cells.get("name", "")
            existing = self.existing.get(code)
            unit = None
            if existing is not None and not existing.in_scope:
                row.add_error("unit", _("This unit is outside your scope."))
            else:
                unit = planned.get(code) or existing
                if unit is None:
                    row.add_error(
                        "unit",
                        _("No unit with this credit code in this file or in your scope.")
                        if code
                        else blank,
                    )

            key = (code, name)
            matches = people.get(key, []) if unit is not None and name else []
            if name and unit is not None and key in first_row:
                row.add_error(
                    "name",
                    _("This person already appears in row %(row)d.") % {"row": first_row[key]},
                )
            elif len(matches) > 1:
                row.add_error(
                    "name",
                    _("The unit has several people of this name; edit them on the site instead."),
                )
            first_row.setdefault(key, row.number)

            flags = {}
            for flag in FLAG_FIELDS:
                text = cells.get(flag, "").upper()
                if text in YES:
                    flags[flag] = True
                elif text in NO:
                    flags[flag] = False
                else:
                    row.add_error(flag, _("Enter 是 or 否 (also Y/N or 1/0), or leave it empty."))

            if len(matches) == 1:
                person, row.original = matches[0], copy.copy(matches[0])
            else:
                person = Person(unit=unit) if unit is not None else Person()
            person.name = name
            if "team" in self.people.present:
                person.team = self._team(row, unit, code) if unit is not None else None
            for attribute in ("trade", "job_title", "phone", "id_number"):
                if attribute in self.people.present:
                    setattr(person, attribute, cells.get(attribute, ""))
            for flag, value in flags.items():
                if flag in self.people.present:
                    setattr(person, flag, value)
            try:
                person.full_clean(
                    exclude=["unit", "team", *row.error_fields],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                row.add_validation_error(error)
            row.instance = person
            row.action = self._action(row)

    def _team(self, row: ImportRow, unit: Unit, code: str) -> Team | None:
        """The team named in the row, existing or to be created (班组 is created when missing)."""
        name = row.cells.get("team", "")
        if not name:
            return None
        team = self._teams.get((code, name))
        if team is None:
            team = Team(unit=unit, name=name)
            try:
                team.full_clean(exclude=["unit"], validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                for messages in error.message_dict.values():
                    for message in messages:
                        row.add_error("team", message)
                return None
            self._teams[(code, name)] = team
            self.new_teams.append(team)
        return team

    @staticmethod
    def _action(row: ImportRow) -> str:
        if row.original is None:
            return CREATE
        return UPDATE if diff(row.original, row.instance) else UNCHANGED

    # Results ---------------------------------------------------------------------------

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and not any(
            row.errors for sheet in (self.units, self.people) for row in sheet.rows
        )

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(
            len(row.errors) for sheet in (self.units, self.people) for row in sheet.rows
        )

    @property
    def sheets(self) -> list[ImportSheet]:
        return [self.units, self.people]

    @property
    def summary(self) -> dict[str, int]:
        return {
            "units_new": self.units.count(CREATE),
            "units_updated": self.units.count(UPDATE),
            "units_unchanged": self.units.count(UNCHANGED),
            "teams_new": len(self.new_teams),
            "people_new": self.people.count(CREATE),
            "people_updated": self.people.count(UPDATE),
            "people_unchanged": self.people.count(UNCHANGED),
        }

    # Saving ----------------------------------------------------------------------------

    @transaction.atomic
    def save(self, actor) -> tuple[int, int]:
        """Create and update everything the plan holds, with one audit entry per record.

        Guarantees all or nothing: refuses an invalid plan and runs in one transaction.
        Returns the number of units and of people created or updated.
        """
        if not self.is_valid:
            raise ValueError("An import with errors cannot be saved.")
        units_new = [row.instance for row in self.units.rows if row.action == CREATE]
        units_changed = [row for row in self.units.rows if row.action == UPDATE]
        people_new = [row.instance for row in self.people.rows if row.action == CREATE]
        people_changed = [row for row in self.people.rows if row.action == UPDATE]

        Unit.objects.bulk_create(units_new)
        if units_changed:
            Unit.objects.bulk_update([row.instance for row in units_changed], UNIT_FIELDS)
        # The new teams and people point at units and teams that only now have primary keys;
        # bulk_create and bulk_update copy those keys over from the related objects.
        Team.objects.bulk_create(self.new_teams)
        Person.objects.bulk_create(people_new)
        if people_changed:
            Person.objects.bulk_update([row.instance for row in people_changed], PERSON_FIELDS)

        for model, changes in (
            (Unit, [(None, unit) for unit in units_new]),
            (Team, [(None, team) for team in self.new_teams]),
            (Person, [(None, person) for person in people_new]),
            (Unit, [(row.original, row.instance) for row in units_changed]),
            (Person, [(row.original, row.instance) for row in people_changed]),
        ):
            if changes:
                log_bulk(model, changes, actor)
        return len(units_new) + len(units_changed), len(people_new) + len(people_changed)


# Files waiting for confirmation ----------------------------------------------------------


def store_upload(file) -> str:
    """Keep an uploaded workbook until it is confirmed; returns its key (a UUID)."""
    purge_stale_uploads()
    key = uuid.uuid4().hex
    file.seek(0)
    default_storage.save(upload_path(key), file)
    return key


def upload_path(key: str) -> str:
    return f"{UPLOAD_DIR}/{uuid.UUID(hex=key).hex}.xlsx"


def discard_upload(key: str) -> None:
    default_storage.delete(upload_path(key))


def purge_stale_uploads() -> None:
    """Delete workbooks whose confirmation can no longer arrive (abandoned previews)."""
    try:
        _dirs, names = default_storage.listdir(UPLOAD_DIR)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - timedelta(seconds=CONFIRM_MAX_AGE * 2)
    for name in names:
        path = f"{UPLOAD_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except FileNotFoundError:
            pass


# The blank workbook users fill in ---------------------------------------------------------

EXAMPLE_CREDIT_CODE = "91440300708461136T"
TEMPLATE_ROWS = 1000  # rows that get the drop-down lists


def build_template(user) -> bytes:
    """An .xlsx with both sheets, bold headers, one example row each and drop-down lists."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    organisation = organisations_for_user(user).order_by("path").first()
    ownership = choice_labels(Unit.Ownership)
    size = choice_labels(Unit.Size)
    examples = {
        UNIT_SHEET: {
            "name": "示例建设工程有限公司",
            "credit_code": EXAMPLE_CREDIT_CODE,
            "ownership": ownership[Unit.Ownership.STATE],
            "industry": "建筑业",
            "size": size[Unit.Size.MEDIUM],
            "organisation": organisation.name if organisation else "",
            "address": "示例路 1 号",
        },
        PERSON_SHEET: {
            "name": "王建国",
            "unit": EXAMPLE_CREDIT_CODE,
            "team": "钢筋班组",
            "trade": "钢筋工",
            "job_title": "班组长",
            "is_front_line": "是",
            "is_leader": "否",
            "is_industrial_worker": "是",
            "is_migrant_worker": "否",
            # Personal data: left empty in the example rather than made up.
            "phone": "",
            "id_number": "",
        },
    }
    lists = {
        "ownership": list(ownership.values()),
        "size": list(size.values()),
        **{flag: ["是", "否"] for flag in FLAG_FIELDS},
    }

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for name, columns in ((UNIT_SHEET, UNIT_COLUMNS), (PERSON_SHEET, PERSON_COLUMNS)):
        sheet = workbook.create_sheet(name)
        sheet.append([column.header for column in columns])
        sheet.append([examples[name][column.field] for column in columns])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.cell(row=1, column=index).font = bold
            sheet.column_dimensions[letter].width = column.width
            if column.field in ("credit_code", "unit", "phone", "id_number"):
                # Text, so that Excel keeps an all-digit code exactly as typed.
                for row in range(2, TEMPLATE_ROWS + 2):
                    sheet.cell(row=row, column=index).number_format = "@"
            if column.field in lists:
                validation = DataValidation(
                    type="list",
                    formula1='"{}"'.format(",".join(lists[column.field])),
                    allow_blank=True,
                    showErrorMessage=True,
                )
                validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
                sheet.add_data_validation(validation)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
