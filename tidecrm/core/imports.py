"""The import framework (GEN-06, BEYOND-04): upload, check, run in the background, report.

An app registers an :class:`Importer` per kind (employees, leads, customers ...) with its columns
(Chinese header and synonyms) and a ``import_rows`` that takes a chunk of mapped rows and answers
one outcome per row (``None`` or the failure reason). The framework checks an xlsx / xls / csv
upload by content (not by name) without parsing it, maps its headers, records an
:class:`ImportJob`, runs it in Huey -- where the file is parsed, in a child process under
limits -- keeps counts, and writes the failure file: the original rows plus a 失败原因 column.
A job is seen by its uploader and those whose data scope covers them (:func:`visible_jobs`).
"""

import contextvars
import io
import json
import re
import tempfile
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from . import clock, codes, hooks, logs, sheet_reader, sheets
from .errors import BusinessError, NotFound, ValidationFailed
from .models import ImportJob
from .permissions import check
from .tenancy import employee_context, tenant_context

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# A table as read from a file: its header row and its data rows, every cell as text.
Table = tuple[list[str], list[list[str]]]
# What an importer answers per row: None (imported) or the reason it was not.
Outcome = str | None

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
CHUNK_ROWS = 2_000
FAILURE_HEADER = "失败原因"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    hint: str = ""


@dataclass
class Importer:
    """What one kind of record needs to be imported. Subclass and override ``import_rows``."""

    kind: str
    label: "StrOrPromise"
    permission: str
    columns: tuple[Column, ...] = field(default_factory=tuple)
    max_rows: int = MAX_ROWS

    # Rows per chunk (one transaction each); 0 = the module's CHUNK_ROWS. Set-based importers
    # take bigger chunks: fewer round trips and commits per file.
    chunk_rows: int = 0

    # The data-scope module (org.scopes) that says whose jobs of this kind an employee sees:
    # their own and those of the uploaders it covers. The default, 员工管理, covers the people
    # one administers: for kinds whose records have no data scope of their own (products).
    scope_module: str = "employee"

    # Optional extra inputs on the upload form (e.g. 跟进员工 for leads): a template rendered in the
    # modal with ``options_context(actor)``, read back with ``options_from_form(post)``.
    options_template: str = ""

    def options_context(self, actor: Any) -> dict[str, Any]:
        return {}

    def options_from_form(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def prepare(self, actor: Any, options: Mapping[str, Any]) -> dict[str, Any]:
        """Validate the job options once (raise ValidationFailed); return a context for the rows."""
        return {}

    def import_rows(
        self, actor: Any, rows: list[dict[str, str]], context: dict[str, Any]
    ) -> "list[Outcome] | Future[list[Outcome]]":
        """Import a chunk of {key: text} rows; return one outcome per row: None or a reason.

        ``context`` (from ``prepare``) lives for the whole file; ``context["row_offset"]`` is the
        index of the chunk's first row in the file. ``context["writer"]`` (a :class:`ChunkWriter`)
        may run the chunk's writes in the background: return ``writer.run(write, ...)``, whose
        result (the outcomes, or a Future of them) the framework waits for in file order.
        """
        raise NotImplementedError

    def finish(self, actor: Any, context: dict[str, Any], job: ImportJob) -> None:
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

    def __init__(self) -> None:
        self.background = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._executor: ThreadPoolExecutor | None = None
        self._futures: list[Future[Any]] = []

    def run(self, write: Callable[..., Any], *args: Any) -> Any:
        """``write(*args)`` now, or a Future of it when writes run in the background."""
        if not self.background:
            return write(*args)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.WORKERS, thread_name_prefix="import-writer")
        future = self._executor.submit(contextvars.copy_context().run, _closing, write, *args)
        self._futures.append(future)
        return future

    def close(self, *, cancel: bool = False) -> None:
        """Wait for the writes handed over (with ``cancel``: only for those running)."""
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        if cancel:
            for future in self._futures:
                future.cancel()  # a write not started yet
        self._futures = []
        executor.shutdown()


def _closing(write: Callable[..., Any], *args: Any) -> Any:
    """Run one chunk's writes on this thread's own connection, then close it (a connection
    belongs to the thread that opened it; opening one costs little next to a chunk)."""
    try:
        return write(*args)
    finally:
        connections.close_all()


IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    """Make ``importer`` the one for its kind (at start-up); return it."""
    IMPORTERS[importer.kind] = importer
    return importer


def get_importer(kind: str) -> Importer:
    """Return the importer of ``kind``; 404 for a kind nobody registered."""
    if kind not in IMPORTERS:
        raise NotFound()
    return IMPORTERS[kind]


# ---------------------------------------------------------------- reading files
#
# A spreadsheet is never parsed in the web process: the upload is surveyed there (bounded checks
# that parse no cell, core.sheets.survey) and parsed in the job, by a child process under a
# memory and time limit (core.sheet_reader.parse_file): see core.sheets for why. Settings
# IMPORT_PARSE_MEMORY_BYTES / _CPU_SECONDS / _WALL_SECONDS override the limits.


def _limits() -> dict[str, int]:
    return {
        "memory_bytes": getattr(settings, "IMPORT_PARSE_MEMORY_BYTES", 2 * 1024**3),
        "cpu_seconds": getattr(settings, "IMPORT_PARSE_CPU_SECONDS", 60),
        "wall_seconds": getattr(settings, "IMPORT_PARSE_WALL_SECONDS", 120),
    }


def _refused(refusal: sheets.Refusal, max_rows: int) -> BusinessError:
    """The BusinessError (409, Chinese message) for a :class:`sheets.Refusal`."""
    code, details = refusal.code, refusal.details
    if code == codes.TOO_MANY_ROWS:
        message = _("单个文件最多 %(max)s 行数据，请拆分后分批导入") % {"max": f"{max_rows:,}"}
    elif code == codes.EMPTY_FILE:
        message = _("文件中没有数据：第一行应为表头，从第二行起为数据")
    elif code == codes.MERGED_CELLS:
        message = _("表格中有合并单元格，请取消合并后再导入")
    elif code == codes.FILE_ENCRYPTED:
        message = _("文件设置了密码保护，请在 Excel 中取消密码后再导入")
    elif code == codes.FILE_TOO_COMPLEX and details.get("reason") == "range":
        message = _(
            "表格的使用范围过大（%(rows)s 行 × %(columns)s 列），请删除数据以外的单元格，或拆分后分批导入"
        ) % {"rows": f"{details['rows']:,}", "columns": f"{details['columns']:,}"}
    elif code == codes.FILE_TOO_COMPLEX and details.get("reason") == "limits":
        message = _("文件过于复杂，读取超出了时间或内存限制，请删除多余的内容，或拆分后分批导入")
    elif code == codes.FILE_TOO_COMPLEX:
        message = _("文件解压后过大，无法导入，请删除多余的内容，或拆分后分批导入")
    else:
        return _unreadable()
    return BusinessError(code, message, details=details)


def _unreadable() -> BusinessError:
    return BusinessError(codes.INVALID_FILE, _("无法读取该文件，请上传 xlsx、xls 或 csv 格式的表格"))


def survey_table(content: bytes, *, max_rows: int = MAX_ROWS) -> sheets.Survey:
    """Check an upload without parsing it (in the request); return its :class:`sheets.Survey`.

    Refusals (409 with a Chinese message): ``file_too_large``, ``invalid_file``,
    ``file_encrypted``, ``file_too_complex``, ``empty_file``, ``too_many_rows``, ``merged_cells``.
    """
    if len(content) > MAX_FILE_BYTES:
        raise BusinessError(codes.FILE_TOO_LARGE, _("文件不能超过20MB"))
    try:
        return sheets.survey(content, max_rows=max_rows)
    except sheets.Refusal as refusal:
        raise _refused(refusal, max_rows) from None


def parse_table(path: str, *, max_rows: int = MAX_ROWS) -> Table:
    """Return (headers, rows) of a surveyed file, parsed in a child process under limits.

    Rows are padded or cut to the header's width; empty rows are left out. Refusals as
    :func:`survey_table` (``file_too_complex`` also when the parse overruns its limits).
    """
    try:
        return sheet_reader.parse_file(path, max_rows=max_rows, **_limits())
    except sheets.Refusal as refusal:
        raise _refused(refusal, max_rows) from None


def read_table(content: bytes, *, max_rows: int = MAX_ROWS) -> Table:
    """Return (headers, rows) of the first sheet of an xlsx/xls file or a csv, checked by content:
    :func:`survey_table`, then :func:`parse_table`."""
    survey_table(content, max_rows=max_rows)
    with tempfile.NamedTemporaryFile(prefix="tidecrm-table-") as file:
        file.write(content)
        file.flush()
        return parse_table(file.name, max_rows=max_rows)


def _header_key(text: str | None) -> str:
    return re.sub(r"[\s*＊:：（）()]", "", text or "").lower()


def map_headers(importer: Importer, headers: list[str]) -> dict[int, str]:
    """Return {column index: column key}; refuse files missing a required column."""
    lookup: dict[str, str] = {}
    for column in importer.columns:
        for name in (column.label, column.key, *column.synonyms):
            lookup[_header_key(name)] = column.key
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        key = lookup.get(_header_key(header))
        if key and key not in mapping.values():
            mapping[index] = key
    missing = [c.label for c in importer.columns if c.required and c.key not in mapping.values()]
    if missing:
        raise BusinessError(
            codes.MISSING_COLUMNS,
            _("缺少必填列：%(cols)s。请使用导入模板") % {"cols": "、".join(missing)},
            details={"missing": missing},
        )
    return mapping


# ---------------------------------------------------------------- jobs


def _storage_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_start(
    *, actor: Any, kind: str, file_name: str | None, content: bytes, options: dict[str, Any] | None = None
) -> ImportJob:
    """Check the file and options, record a queued job and schedule it; return the job."""
    importer = get_importer(kind)
    check(actor, importer.permission)
    surveyed = survey_table(content, max_rows=importer.max_rows)
    if surveyed.headers is not None:  # an xls has its columns checked by the job
        map_headers(importer, surveyed.headers)
    importer.prepare(actor, options or {})
    stored = _storage_dir() / f"{actor.tenant_id}-{uuid.uuid4().hex}"
    stored.write_bytes(content)
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            file_name=Path(file_name or "import").name[:200],
            file_path=str(stored),
            options=options or {},
            total=surveyed.rows or 0,  # at most; the job sets the exact count once parsed
            created_by=actor,
        )
        logs.imports.info("import %s queued job=%s rows<=%s", kind, job.pk, job.total)
        transaction.on_commit(lambda: _enqueue(job.pk, actor.tenant_id))
    return job


def _parsed_path(stored: str | Path) -> Path:
    """Where an earlier version kept the table it parsed at upload (read by the job, then removed)."""
    return Path(f"{stored}.rows.json")


def _job_table(job: ImportJob, importer: Importer) -> Table:
    """(headers, rows) of a job: its file parsed now, or the table parsed at upload by an earlier
    version (for a job queued before the upgrade)."""
    parsed = _parsed_path(job.file_path)
    if parsed.exists():
        headers, rows = json.loads(parsed.read_text(encoding="utf-8"))
        return headers, rows
    return parse_table(job.file_path, max_rows=importer.max_rows)


def _enqueue(job_id: int, tenant_id: int) -> None:
    from .tasks import run_import_task

    run_import_task(job_id, tenant_id)


def import_run(job_id: int) -> ImportJob | None:
    """Run a queued job (in the worker) within the bound tenant; safe to call twice."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING
    )
    if not claimed:
        logs.imports.info("import job=%s not queued any more: skipped", job_id)
        return None
    job = ImportJob.objects.select_related("created_by", "created_by__tenant").get(pk=job_id)
    with employee_context(job.created_by):  # the job acts for its uploader: log lines name them
        return _import_run(job)


def _import_run(job: ImportJob) -> ImportJob:
    importer = IMPORTERS[job.kind]
    logs.imports.info("import %s started job=%s", job.kind, job.pk)
    failures = []
    context = None
    writer = ChunkWriter()

    counted = {"processed": 0, "succeeded": 0}

    def record(start: int, chunk: list[list[str]], outcomes: Any) -> None:
        if isinstance(outcomes, Future):
            outcomes = outcomes.result()
        failed = [(row, reason) for row, reason in zip(chunk, outcomes, strict=True) if reason]
        failures.extend(failed)
        counted["processed"] = start + len(chunk)
        counted["succeeded"] += len(chunk) - len(failed)
        ImportJob.objects.filter(pk=job.pk).update(**counted, failed=len(failures))

    try:
        headers, rows = _job_table(job, importer)
        if len(rows) != job.total:
            job.total = len(rows)
            ImportJob.objects.filter(pk=job.pk).update(total=job.total)
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
        logs.imports.info(
            "import %s finished job=%s total=%s processed=%s succeeded=%s failed=%s",
            job.kind,
            job.pk,
            job.total,
            job.processed,
            job.succeeded,
            job.failed,
        )
    except Exception as error:  # noqa: BLE001 - record any crash on the job, never lose it silently
        job.refresh_from_db()
        if isinstance(error, BusinessError):  # a refused file (missing columns, too complex ...)
            logs.imports.warning("import %s refused job=%s code=%s", job.kind, job.pk, error.code)
        else:
            logs.imports.exception(
                "import %s failed job=%s processed=%s succeeded=%s failed=%s",
                job.kind,
                job.pk,
                job.processed,
                job.succeeded,
                job.failed,
            )
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


def _write_failures(headers: list[str], failures: list[tuple[list[str], str]]) -> str:
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


def failure_rows(job: ImportJob) -> Table:
    """Return the failure file as (headers, rows), for tests and previews."""
    return read_table(Path(job.failure_path).read_bytes(), max_rows=MAX_ROWS + 1)


def visible_jobs(*, actor: Any, kind: str) -> QuerySet[ImportJob]:
    """Return the jobs of ``kind`` the actor may see, newest first (``permission_denied`` without
    the kind's permission).

    A job (its counts, its page, its failure file: the uploader's rows as uploaded) is seen by
    its uploader, by those whose data scope for the kind's module covers the uploader (the
    manager of the uploader's department subtree, a whole-company scope: org.scopes), and by
    super admins. Every read of a job goes through here.
    """
    importer = get_importer(kind)
    check(actor, importer.permission)
    uploaders = hooks.get(hooks.OWNER_SCOPE)(  # org.scopes.visible_owner_q: the scope engine is above core
        actor,
        importer.scope_module,
        owner_field="created_by_id",
        # 员工管理 has no supervisor rule (ROLE-12); record modules let supervisors see.
        include_subordinates=importer.scope_module != "employee",
    )
    return (
        ImportJob.objects.filter(uploaders, kind=kind)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def import_get(*, actor: Any, job_id: int, kind: str | None = None) -> ImportJob:
    """Return one import job the actor may see (:func:`visible_jobs`); 404 otherwise."""
    job_kind = ImportJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if job_kind is None or job_kind not in IMPORTERS or (kind and job_kind != kind):
        raise NotFound()
    job = visible_jobs(actor=actor, kind=job_kind).filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return job


def import_list(*, actor: Any, kind: str) -> QuerySet[ImportJob]:
    """Return the jobs of ``kind`` the actor may see, newest first (导入记录)."""
    return visible_jobs(actor=actor, kind=kind)


def template_bytes(kind: str) -> bytes:
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


def run_in_tenant(job_id: int, tenant_id: int) -> ImportJob | None:
    """The worker's entry point: bind the job's tenant and uploader (for the log lines), then run it."""
    from .models import Tenant

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        queued = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
        uploader = queued.created_by if queued is not None else None
        with employee_context(uploader), logs.job("import", job=job_id) as outcome:
            job = import_run(job_id)
            outcome["status"] = job.status if job is not None else "skipped"
            return job


def validate_upload(uploaded: UploadedFile | None) -> bytes:
    """Refuse a missing upload before reading it."""
    if uploaded is None:
        raise ValidationFailed({"file": [_("请选择要导入的文件")]})
    if (uploaded.size or 0) > MAX_FILE_BYTES:
        raise BusinessError(codes.FILE_TOO_LARGE, _("文件不能超过20MB"))
    return uploaded.read()
