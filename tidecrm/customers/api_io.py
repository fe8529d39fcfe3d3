"""Open API: customer import (CUST-20), pool import (POOL-06) and customer export (GEN-06).

Imports run in the background on the shared framework: poll the job with ``GET /imports/{id}``
and download the failed rows with their 失败原因 from ``GET /imports/{id}/failures``.
"""

from ninja import File, Form, Query, Router, Status, UploadedFile

from tidecrm.core import imports
from tidecrm.core.api import Id
from tidecrm.core.imports_api import ImportJobOut, job_out

from . import exports
from .api._common import ERRORS, _view
from .api.schemas import CustomerQuery

router = Router(tags=["customers"])


@router.post("/customers/imports", response={202: ImportJobOut, **ERRORS})
def customer_import(
    request,
    file: File[UploadedFile],
    owner_id: Form[Id | None] = None,
    owner_ids: Form[list[Id]] = None,
):
    """Import customers from xlsx / xls / csv (``customer.import``): owned by the caller, or dealt
    round-robin over ``owner_ids`` (needs ``customer.transfer``), skipping anyone at their holding
    limit. Duplicates per the library's rule, bad rows and unknown tags fail with a reason."""
    owners = list(owner_ids or []) + ([owner_id] if owner_id else [])
    job = imports.import_start(
        actor=request.employee,
        kind="customer",
        file_name=file.name,
        content=imports.validate_upload(file),
        options={"owner_ids": owners},
    )
    return Status(202, job_out(job))


@router.post("/customers/pool-imports", response={202: ImportJobOut, **ERRORS})
def customer_pool_import(request, file: File[UploadedFile], library_id: Form[Id | None] = None):
    """Import customers ownerless into a library's pool (``customer.import`` and
    ``customer.assign``; default library: the caller's)."""
    job = imports.import_start(
        actor=request.employee,
        kind="customer_pool",
        file_name=file.name,
        content=imports.validate_upload(file),
        options={"library_id": library_id},
    )
    return Status(202, job_out(job))


@router.get("/customers/export", response={200: None, **ERRORS})
def customer_export(request, filters: Query[CustomerQuery]):
    """xlsx of the customers ``GET /customers`` would list for the same filters, every page
    (``customer.export``; contacts masked as in the list: pool, recycle bin, data protection;
    no follow-up records; over 100,000 customers → 409 ``export_too_large``)."""
    data = filters.dict()
    view = _view(data.pop("scope"), data.pop("state"))
    return exports.customer_export(actor=request.employee, view=view, **data)
