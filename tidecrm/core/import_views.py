"""Pages of the import framework, shared by every kind: upload modal with live progress,
import records (导入记录) with the failure download, and the template download."""

from django.shortcuts import render
from django.urls import reverse

from . import imports
from .errors import BusinessError
from .imports_api import failure_download, xlsx_response
from .pagination import paginate
from .web import login_required


def _importer(kind):
    return imports.get_importer(kind)


@login_required
def import_modal(request, kind):
    """GET: the upload form; POST: start the job and show its progress in the same modal."""
    importer = _importer(kind)
    context = {
        "importer": importer,
        "kind": kind,
        "records_url": reverse("import_records", args=[kind]),
        "values": request.POST,
        **importer.options_context(request.employee),
    }
    if request.method == "POST":
        try:
            content = imports.validate_upload(request.FILES.get("file"))
            job = imports.import_start(
                actor=request.employee,
                kind=kind,
                file_name=request.FILES["file"].name,
                content=content,
                options=importer.options_from_form(request.POST),
            )
        except BusinessError as error:
            context["error"] = error
            context["field_errors"] = getattr(error, "fields", {})
            return render(request, "imports/_modal.html", context, status=422)
        context["job"] = job
        return render(request, "imports/_modal.html", context)
    return render(request, "imports/_modal.html", context)


@login_required
def import_status(request, job_id):
    """The progress partial; polls itself while the job is queued or running."""
    job = imports.import_get(actor=request.employee, job_id=job_id)
    return render(request, "imports/_status.html", {"job": job})


@login_required
def import_records(request, kind):
    """导入记录: the enterprise's imports of one kind, newest first."""
    importer = _importer(kind)
    jobs = imports.import_list(actor=request.employee, kind=kind)
    page = paginate(jobs, page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    return render(request, "imports/records.html", {"importer": importer, "kind": kind, "page": page})


@login_required
def import_failures(request, job_id):
    return failure_download(imports.import_get(actor=request.employee, job_id=job_id))


@login_required
def import_template(request, kind):
    importer = _importer(kind)
    return xlsx_response(imports.template_bytes(kind), f"{importer.label}导入模板.xlsx")
