"""Spreadsheet exports (GEN-06): one way for every module to hand out an xlsx of a list.

A module names its columns once, as ``(header label, getter)`` pairs, and passes the rows its
selector already scoped (tenant, data scope, container) — the export never builds its own
query, so it shows exactly what the list shows. A getter is a callable taking a row, or an
attribute path such as ``"owner.name"`` (a missing link gives an empty cell)::

    from django.utils.translation import gettext_lazy as _

    from tidecrm.core import exports

    COLUMNS = [
        (_("手机号"), lambda lead: selectors.contact_fields(lead)["phone"]),  # masked in the pool
        (_("客户名称"), "company_name"),
        (_("跟进人"), "owner.name"),  # select_related("owner") in the selector: no N+1
        (_("新建时间"), "created_at"),  # written as local time text
    ]

    @router.get("/things/export", response={200: None, **ERRORS})
    def thing_export(request, filters: Query[ThingFilters]):
        check(request.employee, "thing.export")
        things = selectors.thing_list(actor=request.employee, **filters.dict())
        return exports.export_response("客户.xlsx", COLUMNS, things)

The file is written to an anonymous temporary file (XlsxWriter ``constant_memory``: each row
goes to disk as it is written) and then streamed from there, so neither the workbook nor the
rows as model instances sit in memory (querysets are read with ``.iterator(chunk_size=2000)``).
Because the whole file is written before the response starts, a refusal — more than
``max_rows`` rows (409 ``export_too_large``), a getter raising — is a clean error answer,
never a truncated download.
"""

import tempfile
from collections.abc import Callable, Iterable, Sequence, Sized
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote

import xlsxwriter
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import BusinessError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 100_000  # per export; more is refused, not cut (a partial file would look complete)
CHUNK_SIZE = 2000
DATETIME_FORMAT = "%Y-%m-%d %H:%M"  # as the list pages show times

Getter = Callable[[Any], Any] | str
Column = tuple[Any, Getter]  # (header label, getter); the label may be a lazy translation


class ExportTooLarge(BusinessError):
    """More rows than one file may carry: the caller narrows the filters and exports again."""

    status = 409
    default_code = "export_too_large"

    def __init__(self, *, total: int, limit: int) -> None:
        super().__init__(
            message=_("导出数据超过 %(limit)s 条上限（当前 %(total)s 条），请缩小筛选范围后分批导出")
            % {"limit": limit, "total": total},
            details={"total": total, "limit": limit},
        )


def stamped_name(label: object) -> str:
    """The download name of an export: 销售线索-20261122-1530.xlsx (local time of the export)."""
    from django.utils import timezone

    from . import clock

    return f"{label}-{timezone.localtime(clock.now()).strftime('%Y%m%d-%H%M')}.xlsx"


def export_response(
    file_name: str,
    columns: Sequence[Column],
    rows: Iterable[Any],
    *,
    max_rows: int | None = None,
    sheet_name: str | None = None,
) -> FileResponse:
    """Return a download of ``rows`` as an xlsx named ``file_name`` (Chinese names welcome).

    ``rows`` is a queryset (counted first, then read in chunks) or any iterable of objects.
    Raise :class:`ExportTooLarge` when there are more than ``max_rows`` (default
    :data:`MAX_ROWS`) rows.
    """
    output = tempfile.TemporaryFile()  # closed by the response once sent (or below on a refusal)
    try:
        write_xlsx(output, columns, rows, max_rows=max_rows, sheet_name=sheet_name)
        output.seek(0)
    except BaseException:
        output.close()
        raise
    response = FileResponse(output, content_type=XLSX)
    response["Content-Disposition"] = content_disposition(file_name)
    return response


def write_xlsx(
    output: IO[bytes],
    columns: Sequence[Column],
    rows: Iterable[Any],
    *,
    max_rows: int | None = None,
    sheet_name: str | None = None,
) -> int:
    """Write a one-sheet workbook (bold header row, then one line per row) to the file object
    ``output`` and return the number of rows written."""
    max_rows = max_rows or MAX_ROWS
    if isinstance(rows, QuerySet):
        total = rows.count()
        rows = rows.iterator(chunk_size=CHUNK_SIZE)
    else:
        total = len(rows) if isinstance(rows, Sized) else 0
    if total > max_rows:
        raise ExportTooLarge(total=total, limit=max_rows)
    labels = [str(label) for label, _getter in columns]
    getters = [_as_callable(getter) for _label, getter in columns]
    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            # Cell text is data, never a formula, number or link: phones keep their digits,
            # "=..." stays text, and e-mails do not count against Excel's per-sheet link limit.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    try:
        sheet = workbook.add_worksheet(sheet_name)
        header = workbook.add_format({"bold": True, "bg_color": "#F1F5F9"})
        for index, label in enumerate(labels):
            sheet.set_column(index, index, _width(label))
        sheet.freeze_panes(1, 0)
        for index, label in enumerate(labels):
            sheet.write_string(0, index, label, header)
        written = 0
        for row in rows:
            written += 1
            if written > max_rows:  # a generator, or rows added since the count
                raise ExportTooLarge(total=written, limit=max_rows)
            for index, get in enumerate(getters):
                _write(sheet, written, index, cell_value(get(row)))
    finally:
        workbook.close()
    return written


def cell_value(value: Any) -> str | int | float | Decimal | None:
    """Return ``value`` as the cell shows it: local time text for datetimes, 是/否 for
    booleans, lists joined with 、, numbers as numbers, None as an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, list | tuple | set):
        return "、".join(str(item) for item in value if item is not None)
    return str(value)


def content_disposition(file_name: str) -> str:
    """Return an attachment header any browser names right: an ASCII fallback for old clients
    and the real (e.g. Chinese) name as RFC 5987 ``filename*=UTF-8''...``."""
    _stem, dot, extension = file_name.rpartition(".")
    if file_name.isascii() and file_name.isprintable():
        fallback = file_name.replace('"', "").replace("\\", "")
    else:
        fallback = f"export.{extension}" if dot and extension.isascii() else "export"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _as_callable(getter: Getter) -> Callable[[Any], Any]:
    if callable(getter):
        return getter
    path = getter.split(".")

    def get(row: Any) -> Any:
        for name in path:
            row = getattr(row, name, None)
            if row is None:
                return None
        return row

    return get


def _write(sheet: Any, row: int, col: int, value: Any) -> None:
    if value is None or value == "":
        return
    if isinstance(value, str):
        sheet.write_string(row, col, value)
    else:
        sheet.write_number(row, col, value)


def _width(label: str) -> int:
    """Return a column width fitting the header (CJK characters are two columns wide)."""
    wide = sum(2 if ord(char) > 0x2E80 else 1 for char in label)
    return max(wide + 4, 12)
