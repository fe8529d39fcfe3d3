"""Open API: leads (API.md "Leads") and the lead-pool settings."""

from datetime import date, datetime

from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from tidecrm.core import imports
from tidecrm.core.api import BulkOut, DatetimeIn, ErrorOut, Id, IdsIn, PageOut, enum_of
from tidecrm.core.imports_api import ImportJobOut, failure_download, job_out
from tidecrm.core.pagination import paginate
from tidecrm.core.permissions import check
from tidecrm.customers.models import Customer, Followup

from . import exports, selectors, services
from .access import access_lead
from .models import Lead

router = Router(tags=["leads"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class LeadOut(Schema):
    id: int
    phone: str
    name: str
    company_name: str
    qq: str
    email: str
    wechat: str
    source: str
    remark: str
    tag_ids: list[int]
    owner_id: int | None
    owner_name: str | None
    state: str = enum_of(Lead.State.choices)
    status: str | None = enum_of(Lead.Status.choices)
    recycled: bool
    masked: bool
    created_at: datetime
    allocated_at: datetime | None
    claimed_at: datetime | None
    released_at: datetime | None
    recycled_at: datetime | None
    previous_owner_id: int | None


class LeadIn(Schema):
    phone: str
    name: str = Field("", max_length=40)
    company_name: str = Field("", max_length=100)
    qq: str = Field("", max_length=20)
    email: str = Field("", max_length=100)
    wechat: str = Field("", max_length=40)
    source: str = Field("", max_length=40)
    remark: str = Field("", max_length=500)
    tag_ids: list[Id] = []
    owner_id: Id | None = None


class LeadPatch(Schema):
    phone: str | None = None
    name: str | None = Field(None, max_length=40)
    company_name: str | None = Field(None, max_length=100)
    qq: str | None = Field(None, max_length=20)
    email: str | None = Field(None, max_length=100)
    wechat: str | None = Field(None, max_length=40)
    source: str | None = Field(None, max_length=40)
    remark: str | None = Field(None, max_length=500)


class AllocateIn(IdsIn):
    employee_id: Id


class ReasonIdsIn(IdsIn):
    reason: str = Field("", max_length=200)


class StatusIn(Schema):
    status: str = enum_of(Lead.Status.choices)


class LeadQuery(Schema):
    """What selects the leads of a list, and of its export."""

    state: str = enum_of(Lead.State.choices, Lead.State.OWNED)
    q: str | None = None
    status: str | None = enum_of(Lead.Status.choices, None)
    owner_id: Id | None = None
    recycled: bool | None = None
    created_from: date | None = None
    created_to: date | None = None


class LeadFilters(LeadQuery):
    page: int = 1
    page_size: int = 20


class LeadRulesIO(Schema):
    daily_claim_limit: int | None = None
    reclaim_cooldown_days: int | None = None
    timeout_recycle_hours: int | None = None


def lead_out(lead):
    return {
        "id": lead.pk,
        **selectors.contact_fields(lead),
        "name": lead.name,
        "company_name": lead.company_name,
        "wechat": lead.wechat,
        "source": lead.source,
        "remark": lead.remark,
        "tag_ids": lead.tag_ids,
        "owner_id": lead.owner_id,
        "owner_name": lead.owner.name if lead.owner_id else None,
        "state": lead.state,
        "status": lead.status or None,
        "recycled": lead.recycled,
        "masked": selectors.is_masked(lead),
        "created_at": lead.created_at,
        "allocated_at": lead.allocated_at,
        "claimed_at": lead.claimed_at,
        "released_at": lead.released_at,
        "recycled_at": lead.recycled_at,
        "previous_owner_id": lead.previous_owner_id,
    }


@router.get("/leads", response={200: PageOut[LeadOut], **ERRORS})
def lead_list(request, filters: Query[LeadFilters]):
    """Leads of one container (``state``) within the caller's visibility; pool contacts are masked."""
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    leads = selectors.lead_list(actor=request.employee, **data)
    return paginate(leads, page=page, page_size=page_size).as_dict(lead_out)


@router.get("/leads/export", response={200: None, **ERRORS})
def lead_export(request, filters: Query[LeadQuery]):
    """xlsx of the leads ``GET /leads`` would list for the same filters, every page (``lead.export``;
    pool contacts masked; over 100,000 leads → 409 ``export_too_large``)."""
    return exports.lead_export(actor=request.employee, **filters.dict())


@router.post("/leads", response={201: LeadOut, **ERRORS})
def lead_create(request, payload: LeadIn):
    """Create a lead: unallocated by default, owned with ``owner_id`` (409 ``duplicate_lead``)."""
    lead = services.lead_create(actor=request.employee, **payload.dict())
    return Status(201, lead_out(access_lead(request.employee, lead.pk)))


@router.get("/leads/{int:lead_id}", response={200: LeadOut, **ERRORS})
def lead_detail(request, lead_id: int):
    return lead_out(access_lead(request.employee, lead_id))


@router.patch("/leads/{int:lead_id}", response={200: LeadOut, **ERRORS})
def lead_update(request, lead_id: int, payload: LeadPatch):
    services.lead_update(actor=request.employee, lead_id=lead_id, **payload.dict(exclude_unset=True))
    return lead_out(access_lead(request.employee, lead_id))


@router.delete("/leads/{int:lead_id}", response={204: None, **ERRORS})
def lead_delete(request, lead_id: int):
    services.lead_delete(actor=request.employee, lead_id=lead_id)
    return Status(204, None)


@router.post("/leads/{int:lead_id}/status", response={200: LeadOut, **ERRORS})
def lead_status(request, lead_id: int, payload: StatusIn):
    """待回访 (from pending, invalid, claimed_pending) or 无效 (from pending, callback)."""
    services.lead_set_status(actor=request.employee, lead_id=lead_id, status=payload.status)
    return lead_out(access_lead(request.employee, lead_id))


class ConvertIn(Schema):
    customer_name: str | None = Field(None, max_length=100)
    contact_name: str | None = Field(None, max_length=40)


class CustomerBriefOut(Schema):
    id: int
    name: str
    owner_id: int | None
    state: str = enum_of(Customer.State.choices)
    primary_contact: str
    created_at: datetime


class ConvertOut(Schema):
    customer: CustomerBriefOut


@router.post("/leads/{int:lead_id}/convert", response={201: ConvertOut, **ERRORS})
def lead_convert(request, lead_id: int, payload: ConvertIn):
    """转客户: the owned lead becomes a customer of its owner (422 without customer or contact name;
    409 ``duplicate_customer``, ``holding_limit_reached``, ``invalid_transition`` for 无效 leads)."""
    customer = services.lead_convert(actor=request.employee, lead_id=lead_id, **payload.dict())
    contact = customer.contacts.get(is_primary=True)
    return Status(
        201,
        {
            "customer": {
                "id": customer.pk,
                "name": customer.name,
                "owner_id": customer.owner_id,
                "state": customer.state,
                "primary_contact": contact.name,
                "created_at": customer.created_at,
            }
        },
    )


class FollowupIn(Schema):
    content: str = Field(..., max_length=2000)
    method: str = enum_of(Followup.Method.choices, Followup.Method.CALL)
    next_followup_at: DatetimeIn | None = None


class FollowupOut(Schema):
    id: int
    content: str
    method: str = enum_of(Followup.Method.choices)
    next_followup_at: datetime | None
    created_by_id: int | None
    created_at: datetime


@router.get("/leads/{int:lead_id}/followups", response={200: list[FollowupOut], **ERRORS})
def lead_followups(request, lead_id: int):
    """The lead's follow-up records, newest first."""
    lead = access_lead(request.employee, lead_id)
    return list(selectors.followups_of(lead))


@router.post("/leads/{int:lead_id}/followups", response={201: FollowupOut, **ERRORS})
def lead_followup_add(request, lead_id: int, payload: FollowupIn):
    """添加跟进: text, method (call, wechat, visit, meeting, email, sms, other), next follow-up time."""
    return Status(201, services.lead_followup_add(actor=request.employee, lead_id=lead_id, **payload.dict()))


@router.post("/leads/allocate", response={200: BulkOut, **ERRORS})
def leads_allocate(request, payload: AllocateIn):
    """Batch 分配 to one employee; per lead ``holding_limit_reached``, ``invalid_transition`` ..."""
    return services.leads_allocate(actor=request.employee, ids=payload.ids, employee_id=payload.employee_id)


@router.post("/leads/recycle", response={200: BulkOut, **ERRORS})
def leads_recycle(request, payload: ReasonIdsIn):
    """Owned → 回收待分配."""
    return services.leads_recycle(actor=request.employee, ids=payload.ids, reason=payload.reason)


@router.post("/leads/release", response={200: BulkOut, **ERRORS})
def leads_release(request, payload: ReasonIdsIn):
    """Owned → 公共线索池 (放弃)."""
    return services.leads_release(actor=request.employee, ids=payload.ids, reason=payload.reason)


@router.post("/leads/claim", response={200: BulkOut, **ERRORS})
def leads_claim(request, payload: IdsIn):
    """Pool → owned by the caller; ``already_claimed``, ``daily_claim_limit_reached``, ``reclaim_cooldown``."""
    return services.leads_claim(actor=request.employee, ids=payload.ids)


@router.post("/leads/delete", response={200: BulkOut, **ERRORS})
def leads_delete(request, payload: IdsIn):
    return services.leads_delete(actor=request.employee, ids=payload.ids)


@router.post("/leads/imports", response={202: ImportJobOut, **ERRORS})
def lead_import(
    request,
    file: File[UploadedFile],
    owner_id: Form[Id | None] = None,
    owner_ids: Form[list[Id]] = None,
    tag_ids: Form[list[Id]] = None,
):
    """Import leads from xlsx / xls / csv (LEAD-04): without owners they wait in 待分配; with
    several owners they are dealt round-robin, skipping anyone at their holding limit."""
    owners = list(owner_ids or []) + ([owner_id] if owner_id else [])
    job = imports.import_start(
        actor=request.employee,
        kind="lead",
        file_name=file.name,
        content=imports.validate_upload(file),
        options={"owner_ids": owners, "tag_ids": list(tag_ids or [])},
    )
    return Status(202, job_out(job))


@router.get("/leads/imports/{int:job_id}", response={200: ImportJobOut, **ERRORS})
def lead_import_detail(request, job_id: int):
    """Progress of a lead import: ``queued``, ``running``, ``done`` or ``failed``."""
    return job_out(imports.import_get(actor=request.employee, job_id=job_id, kind="lead"))


@router.get("/leads/imports/{int:job_id}/failures", response={200: None, **ERRORS})
def lead_import_failures(request, job_id: int):
    """The failed rows as uploaded plus 失败原因 (xlsx)."""
    return failure_download(imports.import_get(actor=request.employee, job_id=job_id, kind="lead"))


@router.get("/settings/lead-rules", response={200: LeadRulesIO, **ERRORS})
def lead_rules(request):
    """The lead pools' rules, to those who may change them (``lead.settings``)."""
    check(request.employee, "lead.settings")
    return services.lead_settings()


@router.put("/settings/lead-rules", response={200: LeadRulesIO, **ERRORS})
def lead_rules_update(request, payload: LeadRulesIO):
    return services.lead_settings_update(actor=request.employee, **payload.dict())
