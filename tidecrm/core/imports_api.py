"""Open API of the import framework: job status, failure file, templates.

Each app adds its own start endpoint (e.g. ``POST /employees/imports``, ``POST /leads/imports``)
with :func:`start_endpoint_answer`.
"""

from datetime import datetime
from pathlib import Path

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema

from . import imports
from .api import ErrorOut, enum_of
from .errors import NotFound
from .exports import XLSX, content_disposition
from .models import ImportJob

router = Router(tags=["imports"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ImportJobOut(Schema):
    id: int
    kind: str
    file_name: str
    status: str = enum_of(ImportJob.Status.choices)
    total: int
    processed: int
    succeeded: int
    failed: int
    error: str
    has_failure_file: bool
    created_at: datetime
    finished_at: datetime | None


def job_out(job):
    return {
        "id": job.pk,
        "kind": job.kind,
        "file_name": job.file_name,
        "status": job.status,
        "total": job.total,
        "processed": job.processed,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "error": job.error,
        "has_failure_file": bool(job.failure_path),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def xlsx_response(content, file_name):
    """Answer xlsx bytes made in memory (templates, failure files) as a download named like exports."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition(file_name)
    return response


@router.get("/imports/{int:job_id}", response={200: ImportJobOut, **ERRORS})
def import_detail(request, job_id: int):
    """Progress and outcome of an import: queued, running, done or failed."""
    return job_out(imports.import_get(actor=request.employee, job_id=job_id))


def failure_download(job):
    """Answer the failure file of ``job`` (404 when every row went in)."""
    if not job.failure_path:
        raise NotFound(message=_("该导入没有失败记录"))
    return xlsx_response(Path(job.failure_path).read_bytes(), f"失败记录-{Path(job.file_name).stem}.xlsx")


@router.get("/imports/{int:job_id}/failures", response={200: None, **ERRORS})
def import_failures(request, job_id: int):
    """The failed rows as uploaded, plus a 失败原因 column (xlsx)."""
    return failure_download(imports.import_get(actor=request.employee, job_id=job_id))


@router.get("/imports/templates/{kind}", response={200: None, **ERRORS})
def import_template(request, kind: str):
    """The xlsx template of a kind (employee, lead, customer ...)."""
    importer = imports.get_importer(kind)
    return xlsx_response(imports.template_bytes(kind), f"{importer.label}导入模板.xlsx")
