"""The import framework (GEN-06, BEYOND-04): upload, check, run in the background, report.

An app registers an :class:`Importer` per kind (employees, leads, customers ...) with its columns
(Chinese header and synonyms) and a ``import_rows`` that takes a chunk of mapped rows and answers
one outcome per row (``None`` or the failure reason). The framework reads xlsx / xls / csv
(checked by content, not by name), maps headers, records an :class:`ImportJob`, runs it in Huey,
keeps counts, and writes the failure file: the original rows plus a 失败原因 column.
"""

import contextvars
import csv
import io
import json
import re
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine
import xlsxwriter
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils.translation import gettext as _

from . import clock
from .errors import BusinessError, NotFound, ValidationFailed
from .models import ImportJob
from .permissions import check
from .tenancy import tenant_context

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
CHUNK_ROWS = 2_000
FAILURE_HEADER = "失败原因"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    synonyms: tuple = ()
    hint: str = ""


@dataclass
class Importer:
    """What one kind of record needs to be imported. Subclass and override ``import_rows``."""

    kind: str
    label: str
    permission: str
    columns: tuple = field(default_factory=tuple)
    max_rows: int = MAX_ROWS

    # Rows per chunk (one transaction each); 0 = the module's CHUNK_ROWS. Set-based importers
    # take bigger chunks: fewer round trips and commits per file.
    chunk_rows: int = 0

    # Optional extra inputs on the upload form (e.g. 跟进员工 for leads): a template rendered in the
    # modal with ``options_context(actor)``, read back with ``options_from_form(post)``.
    options_template: str = ""

    def options_context(self, actor):
        return {}

    def options_from_form(self, data):
        return {}

    def prepare(self, actor, options):
        """Validate the job options once (raise ValidationFailed); return a context for the rows."""
        return {}

    def import_rows(self, actor, rows, context):
        """Import a chunk of {key: text} rows; return one outcome per row: None or a reason.

        ``context`` (from ``prepare``) lives for the whole file; ``context["row_offset"]`` is the
        index of the chunk's first row in the file. ``context["writer"]`` (a :class:`ChunkWriter`)
        may run the chunk's writes in the background: return ``writer.run(write, ...)``, whose
        result (the outcomes, or a Future of them) the framework waits for in file order.
        """
        raise NotImplementedError

    def finish(self, actor, context, job):
        """Called once after the last chunk (also after a crash, for what was imported), with the
        job's final counts: e.g. one timeline event summarising the import."""


class ChunkWriter:
    """Writes one chunk while the next one is checked (bench/lead_import.py: reading, normalising
    and the duplicate lookups take about as long as inserting and committing).

    Background threads (WORKERS), each with its own database connection, run the chunks' writes;
    the caller's thread goes on with the next chunk meanwhile and takes the outcomes in file order.
    Chunks hold no duplicates of each other (the importer checks the whole file), and an importer
    that must serialise its writes locks rows (the lead importer locks the owners it deals to). Only on
    PostgreSQL (SQLite has one writer at a time) and outside a transaction: inside one -- a test
    -- a second connection would not see its uncommitted rows, so writes run inline. The thread
    sees the caller's context (tenant, language) as it was when the chunk was handed over.
    """

    WORKERS = 2

    def __init__(self):
        self.background = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._executor = None
        self._futures = []

    def run(self, write, *args):
        """``write(*args)`` now, or a Future of it when writes run in the background."""
        if not self.background:
            return write(*args)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.WORKERS, thread_name_prefix="import-writer")
        future = self._executor.submit(contextvars.copy_context().run, _closing, write, *args)
        self._futures.append(future)
        return future

    def close(self, *, cancel=False):
        """Wait for the writes handed over (with ``cancel``: only for those running)."""
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        if cancel:
            for future in self._futures:
                future.cancel()  # a write not started yet
        self._futures = []
        executor.shutdown()


def _closing(write, *args):
    """Run one chunk's writes on this thread's own connection, then close it (a connection
    belongs to the thread that opened it; opening one costs little next to a chunk)."""
    try:
        return write(*args)
    finally:
        connections.close_all()


IMPORTERS: dict[str, Importer] = {}


def register(importer):
    IMPORTERS[importer.kind] = importer
    return importer


def get_importer(kind):
    if kind not in IMPORTERS:
        raise NotFound()
    return IMPORTERS[kind]


# ---------------------------------------------------------------- reading files


def _cell_text(value):
    if type(value) is str:  # the common case first: most cells are text
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 13800000000.0 from Excel is a phone, not a float
    return str(value).strip()


def read_table(content, *, max_rows=MAX_ROWS):
    """Return (headers, rows) of the first sheet of an xlsx/xls file or a csv, checked by content.

    Refusals (409 with a Chinese message): ``file_too_large``, ``invalid_file``, ``empty_file``,
    ``too_many_rows``, ``merged_cells``.
    """
    if len(content) > MAX_FILE_BYTES:
        raise BusinessError("file_too_large", _("文件不能超过20MB"))
    if content[:4] == b"PK\x03\x04" or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        table = _read_workbook(content, max_rows)
    else:
        table = _read_csv(content, max_rows)
    table = [row for row in table if any(row)]
    if len(table) < 2:
        raise BusinessError("empty_file", _("文件中没有数据：第一行应为表头，从第二行起为数据"))
    if len(table) - 1 > max_rows:
        raise BusinessError(
            "too_many_rows", _("单个文件最多 %(max)s 行数据，请拆分后分批导入") % {"max": f"{max_rows:,}"}
        )
    width = len(table[0])
    rows = [(row + [""] * width)[:width] for row in table[1:]]
    return table[0], rows


def _unreadable():
    return BusinessError("invalid_file", _("无法读取该文件，请上传 xlsx、xls 或 csv 格式的表格"))


def _read_workbook(content, max_rows):
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet = workbook.get_sheet_by_index(0)
    except Exception:  # noqa: BLE001 - any parser failure means "not a spreadsheet we can read"
        raise _unreadable()
    if sheet.merged_cell_ranges:
        raise BusinessError("merged_cells", _("表格中有合并单元格，请取消合并后再导入"))
    table = []
    for row in sheet.iter_rows():
        table.append([_cell_text(value) for value in row])
        if len(table) > max_rows + 1:
            break
    return table


def _read_csv(content, max_rows):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _unreadable()
    if "\x00" in text:
        raise _unreadable()
    table = []
    for row in csv.reader(io.StringIO(text)):
        table.append([cell.strip() for cell in row])
        if len(table) > max_rows + 1:
            break
    return table


def _header_key(text):
    return re.sub(r"[\s*＊:：（）()]", "", text or "").lower()


def map_headers(importer, headers):
    """Return {column index: column key}; refuse files missing a required column."""
    lookup = {}
    for column in importer.columns:
        for name in (column.label, column.key, *column.synonyms):
            lookup[_header_key(name)] = column.key
    mapping = {}
    for index, header in enumerate(headers):
        key = lookup.get(_header_key(header))
        if key and key not in mapping.values():
            mapping[index] = key
    missing = [c.label for c in importer.columns if c.required and c.key not in mapping.values()]
    if missing:
        raise BusinessError(
            "missing_columns",
            _("缺少必填列：%(cols)s。请使用导入模板") % {"cols": "、".join(missing)},
            details={"missing": missing},
        )
    return mapping


# ---------------------------------------------------------------- jobs


def _storage_dir():
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_start(*, actor, kind, file_name, content, options=None):
    """Check the file and options, record a queued job and schedule it; return the job."""
    importer = get_importer(kind)
    check(actor, importer.permission)
    headers, rows = read_table(content, max_rows=importer.max_rows)
    map_headers(importer, headers)
    importer.prepare(actor, options or {})
    stored = _storage_dir() / f"{actor.tenant_id}-{uuid.uuid4().hex}"
    stored.write_bytes(content)
    # The checked table too, so the worker need not parse the spreadsheet a second time.
    _parsed_path(stored).write_text(json.dumps([headers, rows], ensure_ascii=False), encoding="utf-8")
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            file_name=Path(file_name or "import").name[:200],
            file_path=str(stored),
            options=options or {},
            total=len(rows),
            created_by=actor,
        )
        transaction.on_commit(lambda: _enqueue(job.pk, actor.tenant_id))
    return job


def _parsed_path(stored):
    return Path(f"{stored}.rows.json")


def _job_table(job, importer):
    """(headers, rows) of a job: the table checked at upload, else the file read again."""
    parsed = _parsed_path(job.file_path)
    if parsed.exists():
        headers, rows = json.loads(parsed.read_text(encoding="utf-8"))
        return headers, rows
    return read_table(Path(job.file_path).read_bytes(), max_rows=importer.max_rows)


def _enqueue(job_id, tenant_id):
    from .tasks import run_import_task

    run_import_task(job_id, tenant_id)


def import_run(job_id):
    """Run a queued job (in the worker) within the bound tenant; safe to call twice."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING
    )
    if not claimed:
        return
    job = ImportJob.objects.select_related("created_by", "created_by__tenant").get(pk=job_id)
    importer = IMPORTERS[job.kind]
    failures = []
    context = None
    writer = ChunkWriter()

    counted = {"processed": 0, "succeeded": 0}

    def record(start, chunk, outcomes):
        if isinstance(outcomes, Future):
            outcomes = outcomes.result()
        failed = [(row, reason) for row, reason in zip(chunk, outcomes, strict=True) if reason]
        failures.extend(failed)
        counted["processed"] = start + len(chunk)
        counted["succeeded"] += len(chunk) - len(failed)
        ImportJob.objects.filter(pk=job.pk).update(**counted, failed=len(failures))

    try:
        headers, rows = _job_table(job, importer)
        mapping = map_headers(importer, headers)
        context = importer.prepare(job.created_by, job.options)
        context["writer"] = writer
        size = importer.chunk_rows or CHUNK_ROWS
        handed = []  # chunks not counted yet, their writes perhaps still running
        try:
            for start in range(0, len(rows), size):
                chunk = rows[start : start + size]
                mapped = [{key: row[index] for index, key in mapping.items()} for row in chunk]
                context["row_offset"] = start  # lets an importer name file rows ("第 N 行") across chunks
                handed.append((start, chunk, importer.import_rows(job.created_by, mapped, context)))
                while len(handed) > 1:  # one chunk ahead: checked while the one before is written
                    record(*handed[0])
                    handed.pop(0)
            while handed:
                record(*handed[0])
                handed.pop(0)
        except Exception:
            writer.close(cancel=True)  # writes not started are dropped; running ones end
            # Every chunk handed over is counted, in order: written ones as they went, the rest
            # (the crashed one, the cancelled ones) as failed rows in the failure file, so that
            # processed = succeeded + failed and no row goes unaccounted for.
            interrupted = _("导入中断，此行未导入")
            for start, chunk, outcomes in handed:
                try:
                    outcomes = outcomes.result() if isinstance(outcomes, Future) else outcomes
                except BaseException:  # noqa: BLE001 - the crash itself, or a cancelled write
                    outcomes = [interrupted] * len(chunk)
                with suppress(Exception):
                    record(start, chunk, outcomes)
            raise
        finally:
            writer.close()
        job.refresh_from_db()
        finishing, context = context, None  # a crash in finish() must not call it twice
        importer.finish(job.created_by, finishing, job)
        if failures:
            job.failure_path = _write_failures(headers, failures)
        job.status = ImportJob.Status.DONE
    except Exception as error:  # noqa: BLE001 - record any crash on the job, never lose it silently
        job.refresh_from_db()
        if context is not None and job.succeeded:
            importer.finish(job.created_by, context, job)
        job.status = ImportJob.Status.FAILED
        job.error = (
            error.message if isinstance(error, BusinessError) else _("导入中断，请重试或联系管理员")
        )[:500]
        if failures:
            job.failure_path = _write_failures(headers, failures)
    job.finished_at = clock.now()
    job.save(update_fields=["status", "error", "failure_path", "finished_at"])
    _parsed_path(job.file_path).unlink(missing_ok=True)  # the uploaded file itself stays
    return job


def _write_failures(headers, failures):
    """Write the failed rows as they were, plus a 失败原因 column; return the file path."""
    path = _storage_dir() / f"failures-{uuid.uuid4().hex}.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("失败记录")
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, [*headers, FAILURE_HEADER], bold)
    for number, (row, reason) in enumerate(failures, start=1):
        sheet.write_row(number, 0, [*row, reason])
    workbook.close()
    return str(path)


def failure_rows(job):
    """Return the failure file as (headers, rows), for tests and previews."""
    return read_table(Path(job.failure_path).read_bytes(), max_rows=MAX_ROWS + 1)


def import_get(*, actor, job_id, kind=None):
    """Return one import job of the enterprise the actor may see (404 otherwise)."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or (kind and job.kind != kind):
        raise NotFound()
    check(actor, IMPORTERS[job.kind].permission)
    return job


def import_list(*, actor, kind):
    check(actor, get_importer(kind).permission)
    return ImportJob.objects.filter(kind=kind).select_related("created_by").order_by("-created_at", "-id")


def template_bytes(kind):
    """Return the xlsx template of ``kind``: the headers (required ones marked *, hints as comments)."""
    importer = get_importer(kind)
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet(str(importer.label))
    header = workbook.add_format({"bold": True, "bg_color": "#E8F1FD"})
    for index, column in enumerate(importer.columns):
        sheet.write(0, index, f"{column.label}{'*' if column.required else ''}", header)
        sheet.set_column(index, index, max(12, len(column.label) * 3))
        if column.hint:
            sheet.write_comment(0, index, column.hint)
    workbook.close()
    return output.getvalue()


def run_in_tenant(job_id, tenant_id):
    """The worker's entry point: bind the job's tenant, then run it."""
    from .models import Tenant

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        return import_run(job_id)


def validate_upload(uploaded):
    """Refuse a missing upload before reading it."""
    if uploaded is None:
        raise ValidationFailed({"file": [_("请选择要导入的文件")]})
    if uploaded.size > MAX_FILE_BYTES:
        raise BusinessError("file_too_large", _("文件不能超过20MB"))
    return uploaded.read()
