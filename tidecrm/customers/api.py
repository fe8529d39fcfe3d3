"""Open API: customers, contacts, collaborators, follow-ups and the journey (API.md "Customers"),
and the customer settings (API.md "Settings": libraries, pool rules, duplicate rules, stages,
tag groups)."""

from datetime import date, datetime

from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from tidecrm.core.api import BulkOut, DatetimeIn, ErrorOut, Id, IdsIn, PageOut
from tidecrm.core.errors import NotFound, ValidationFailed
from tidecrm.core.pagination import paginate
from tidecrm.core.permissions import check

from . import config, selectors, services
from .models import Collaborator, Contact, Customer, Followup, Library

router = Router(tags=["customers"])
settings_router = Router(tags=["customer settings"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# ---------------------------------------------------------------- schemas


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    mobile: str
    gender: str
    title: str
    email: str
    qq: str
    wechat: str
    remark: str
    is_primary: bool
    masked: bool
    created_at: datetime


class PrimaryContactOut(Schema):
    id: int
    name: str
    mobile: str


class CustomerOut(Schema):
    id: int
    name: str
    kind: str
    library_id: int
    owner_id: int | None
    owner_name: str | None
    state: str
    deal_status: str
    has_won: bool
    stage_id: int | None
    stage_name: str | None
    tag_ids: list[int]
    source: str
    remark: str
    primary_contact: PrimaryContactOut | None
    contacts_count: int
    collaborator_ids: list[int]
    masked: bool
    created_at: datetime
    updated_at: datetime
    acquired_at: datetime | None
    last_followup_at: datetime | None
    released_at: datetime | None
    previous_owner_id: int | None
    target_department_ids: list[int]  # 定向公海 (POOL-05): [] = the whole library's pool
    custom: dict


class PoolTargetIn(Schema):
    ids: list[Id] = Field(..., min_length=1, max_length=500)
    department_ids: list[Id] = Field(default_factory=list, max_length=50)


class ContactIn(Schema):
    name: str = Field(..., max_length=40)
    mobile: str = Field("", max_length=20)
    gender: str = "unknown"
    title: str = Field("", max_length=40)
    email: str = Field("", max_length=100)
    qq: str = Field("", max_length=20)
    wechat: str = Field("", max_length=40)
    remark: str = Field("", max_length=150)
    is_primary: bool = False


class ContactPatch(Schema):
    name: str | None = Field(None, max_length=40)
    mobile: str | None = Field(None, max_length=20)
    gender: str | None = None
    title: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=100)
    qq: str | None = Field(None, max_length=20)
    wechat: str | None = Field(None, max_length=40)
    remark: str | None = Field(None, max_length=150)
    is_primary: bool | None = None


class CustomerIn(Schema):
    name: str = Field(..., max_length=100)
    kind: str = Customer.Kind.ENTERPRISE
    source: str = Field("", max_length=40)
    remark: str = Field("", max_length=500)
    stage_id: Id | None = None
    tag_ids: list[Id] = []
    owner_id: Id | None = None
    to_pool: bool = False
    library_id: Id | None = None
    contacts: list[ContactIn] = Field(..., max_length=20)


class CustomerPatch(Schema):
    name: str | None = Field(None, max_length=100)
    kind: str | None = None
    source: str | None = Field(None, max_length=40)
    remark: str | None = Field(None, max_length=500)
    stage_id: Id | None = None


class CustomerQuery(Schema):
    scope: str = "mine"
    state: str = Customer.State.OWNED
    library_id: Id | None = None
    q: str | None = None
    tag_id: Id | None = None
    stage_id: Id | None = None
    owner_id: Id | None = None
    deal_status: str | None = None
    source: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    no_followup_days: int | None = Field(None, ge=1, le=3650)
    sort: str = "created"


class CustomerFilters(CustomerQuery):
    page: int = 1
    page_size: int = 20


class ReasonIdsIn(IdsIn):
    reason: str = Field("", max_length=200)


class EmployeeIdsIn(ReasonIdsIn):
    employee_id: Id


class TagIdsIn(IdsIn):
    tag_ids: list[Id]


class TagsIn(Schema):
    tag_ids: list[Id]


class CollaboratorIn(Schema):
    employee_id: Id
    access: str = Collaborator.Access.READ


class FollowupIn(Schema):
    content: str = Field(..., max_length=2000)
    method: str = Followup.Method.CALL
    contact_id: Id | None = None
    next_followup_at: DatetimeIn | None = None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class FollowupOut(Schema):
    id: int
    attachments: list[AttachmentOut]
    customer_id: int | None
    customer_name: str | None
    contact_id: int | None
    content: str
    method: str
    next_followup_at: datetime | None
    created_by_id: int | None
    created_by_name: str | None
    created_at: datetime


class TimelineItemOut(Schema):
    kind: str
    at: datetime
    actor: str
    detail: dict


# ---------------------------------------------------------------- serialisers


def customer_out(customer):
    primary = getattr(customer, "primary", None)
    return {
        "id": customer.pk,
        "name": customer.name,
        "kind": customer.kind,
        "library_id": customer.library_id,
        "owner_id": customer.owner_id,
        "owner_name": customer.owner.name if customer.owner_id else None,
        "state": customer.state,
        "deal_status": customer.deal_status,
        "has_won": customer.has_won,
        "stage_id": customer.stage_id,
        "stage_name": customer.stage.name if customer.stage_id else None,
        "tag_ids": [t.pk for t in customer.tags],
        "source": customer.source,
        "remark": customer.remark,
        "primary_contact": {"id": primary.pk, "name": primary.name, "mobile": primary.shown["mobile"]}
        if primary
        else None,
        "contacts_count": customer.contacts_count,
        "collaborator_ids": customer.collaborator_ids,
        "masked": customer.masked,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "acquired_at": customer.acquired_at if customer.state == Customer.State.OWNED else None,
        "last_followup_at": customer.last_followup_at,
        "released_at": customer.released_at,
        "previous_owner_id": customer.previous_owner_id,
        "target_department_ids": [d.pk for d in getattr(customer, "target_departments", [])],
        "custom": {},
    }


def contact_out(contact, masked):
    return {
        "id": contact.pk,
        "customer_id": contact.customer_id,
        "name": contact.name,
        "gender": contact.gender,
        "title": contact.title,
        "remark": contact.remark,
        "is_primary": contact.is_primary,
        "masked": masked,
        "created_at": contact.created_at,
        **selectors.shown_contact(contact, masked),
    }


def followup_out(followup):
    return {
        "id": followup.pk,
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "size": a.size,
                "content_type": a.content_type,
                "url": reverse("followup_attachment", args=[a.pk]),
            }
            for a in followup.attachments.all()
        ],
        "customer_id": followup.customer_id,
        "customer_name": followup.customer.name if followup.customer_id else None,
        "contact_id": followup.contact_id,
        "content": followup.content,
        "method": followup.method,
        "next_followup_at": followup.next_followup_at,
        "created_by_id": followup.created_by_id,
        "created_by_name": followup.created_by.name if followup.created_by_id else None,
        "created_at": followup.created_at,
    }


def _one(request, customer_id, *, include_deleted=False):
    customer = selectors.customer_get(
        actor=request.employee, customer_id=customer_id, include_deleted=include_deleted
    )
    return selectors.decorate([customer], request.employee)[0]


def _view(scope, state):
    if state == Customer.State.POOL:
        return "pool"
    if state == Customer.State.DELETED:
        return "bin"
    if scope not in ("mine", "team", "all", "collaborating"):
        raise ValidationFailed({"scope": ["mine, team, all, collaborating"]})
    return scope


# ---------------------------------------------------------------- customers


@router.get("/customers", response={200: PageOut[CustomerOut], **ERRORS})
def customer_list(request, filters: Query[CustomerFilters]):
    """Customers of one view: ``scope`` mine / team / all / collaborating for owned ones,
    ``state=pool`` for a library's pool (default: the caller's), ``state=deleted`` for the
    recycle bin. Contacts are masked in the pool, the bin and under data protection."""
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    view = _view(data.pop("scope"), data.pop("state"))
    customers = selectors.customer_list(actor=request.employee, view=view, **data)
    result = paginate(
        customers, page=page, page_size=page_size, count_limit=selectors.count_limit(data.get("q"))
    )
    result.items = selectors.decorate(result.items, request.employee)
    return result.as_dict(customer_out)


@router.post("/customers", response={201: CustomerOut, **ERRORS})
def customer_create(request, payload: CustomerIn):
    """新建客户 with its contacts (the first is primary); owned by the caller, by ``owner_id``
    (needs ``customer.transfer``), or into a pool with ``to_pool``. 409 ``duplicate_customer``
    (``details.owner`` names the holder), ``holding_limit_reached``."""
    data = payload.dict()
    owner_id, library_id = data.pop("owner_id"), data.pop("library_id")
    owner = services.active_employee(owner_id) if owner_id else None
    library = None
    if library_id:  # a named library only for a customer created into a pool (pool managers)
        check(request.employee, "customer.assign")
        library = _library(library_id)
    customer = services.customer_create(actor=request.employee, owner=owner, library=library, **data)
    return Status(201, customer_out(_one(request, customer.pk)))


@router.get("/customers/{int:customer_id}", response={200: CustomerOut, **ERRORS})
def customer_detail(request, customer_id: int):
    return customer_out(_one(request, customer_id, include_deleted=True))


@router.patch("/customers/{int:customer_id}", response={200: CustomerOut, **ERRORS})
def customer_update(request, customer_id: int, payload: CustomerPatch):
    """Edit fields; every change lands in the journey's 修改记录 (field, old → new)."""
    selectors.customer_get(actor=request.employee, customer_id=customer_id)
    services.customer_update(
        actor=request.employee, customer_id=customer_id, **payload.dict(exclude_unset=True)
    )
    return customer_out(_one(request, customer_id))


@router.delete("/customers/{int:customer_id}", response={204: None, **ERRORS})
def customer_delete(request, customer_id: int):
    """Move to the recycle bin (``customer.delete``; 403 ``deletion_forbidden`` when the
    enterprise forbids deleting customers)."""
    selectors.customer_get(actor=request.employee, customer_id=customer_id)
    services.customer_delete(actor=request.employee, customer_id=customer_id)
    return Status(204, None)


@router.post("/customers/{int:customer_id}/restore", response={200: CustomerOut, **ERRORS})
def customer_restore(request, customer_id: int):
    """Out of the recycle bin: to the former owner if active and under their limit, else the pool."""
    selectors.customer_get(actor=request.employee, customer_id=customer_id, include_deleted=True)
    services.customer_restore(actor=request.employee, customer_id=customer_id)
    return customer_out(_one(request, customer_id))


@router.put("/customers/{int:customer_id}/tags", response={200: CustomerOut, **ERRORS})
def customer_tags(request, customer_id: int, payload: TagsIn):
    """Replace the customer's tags (422 for two tags of one single-select group)."""
    selectors.customer_get(actor=request.employee, customer_id=customer_id)
    services.customer_set_tags(actor=request.employee, customer_id=customer_id, tag_ids=payload.tag_ids)
    return customer_out(_one(request, customer_id))


@router.post("/customers/release", response={200: BulkOut, **ERRORS})
def customers_release(request, payload: ReasonIdsIn):
    """移入公海: owned → its library's pool, with an optional reason."""
    return services.customers_release(actor=request.employee, ids=payload.ids, reason=payload.reason)


@router.post("/customers/claim", response={200: BulkOut, **ERRORS})
def customers_claim(request, payload: IdsIn):
    """领取: pool → owned by the caller; per-record ``reclaim_cooldown``,
    ``daily_claim_limit_reached``, ``holding_limit_reached``, ``already_claimed``."""
    return services.customers_claim(actor=request.employee, ids=payload.ids)


@router.post("/customers/transfer", response={200: BulkOut, **ERRORS})
def customers_transfer(request, payload: EmployeeIdsIn):
    """转移 to another employee of the same library (opportunities follow)."""
    return services.customers_transfer(
        actor=request.employee, ids=payload.ids, employee_id=payload.employee_id, reason=payload.reason
    )


@router.post("/customers/assign", response={200: BulkOut, **ERRORS})
def customers_assign(request, payload: EmployeeIdsIn):
    """分配 pool customers to an employee (``customer.assign``; only the holding limit applies)."""
    return services.customers_assign(
        actor=request.employee, ids=payload.ids, employee_id=payload.employee_id, reason=payload.reason
    )


@router.post("/customers/pool-target", response={200: BulkOut, **ERRORS})
def customers_pool_target(request, payload: PoolTargetIn):
    """定向 (POOL-05): send pool customers to departments -- only their members (with their
    sub-departments) may then see and claim them; ``department_ids: []`` opens them to the whole
    library again. Pool managers only (``customer.assign``); per-record ``invalid_transition``
    for a customer not in the pool."""
    return services.customers_pool_target(
        actor=request.employee, ids=payload.ids, department_ids=payload.department_ids
    )


@router.post("/customers/delete", response={200: BulkOut, **ERRORS})
def customers_delete(request, payload: IdsIn):
    return services.customers_delete(actor=request.employee, ids=payload.ids)


@router.post("/customers/restore", response={200: BulkOut, **ERRORS})
def customers_restore(request, payload: IdsIn):
    return services.customers_restore(actor=request.employee, ids=payload.ids)


@router.post("/customers/tags", response={200: BulkOut, **ERRORS})
def customers_add_tags(request, payload: TagIdsIn):
    """批量添加标签: adds the tags (a single-select group's new tag replaces its old one)."""
    return services.customers_add_tags(actor=request.employee, ids=payload.ids, tag_ids=payload.tag_ids)


# ---------------------------------------------------------------- collaborators


@router.post("/customers/{int:customer_id}/collaborators", response={200: CustomerOut, **ERRORS})
def collaborator_add(request, customer_id: int, payload: CollaboratorIn):
    """联合跟进人 with ``read`` or ``write`` access (409 ``collaborator_is_owner``)."""
    selectors.customer_get(actor=request.employee, customer_id=customer_id)
    services.collaborator_set(actor=request.employee, customer_id=customer_id, **payload.dict())
    return customer_out(_one(request, customer_id))


@router.delete("/customers/{int:customer_id}/collaborators/{int:employee_id}", response={204: None, **ERRORS})
def collaborator_remove(request, customer_id: int, employee_id: int):
    selectors.customer_get(actor=request.employee, customer_id=customer_id)
    services.collaborator_remove(actor=request.employee, customer_id=customer_id, employee_id=employee_id)
    return Status(204, None)


# ---------------------------------------------------------------- contacts


@router.get("/customers/{int:customer_id}/contacts", response={200: list[ContactOut], **ERRORS})
def contact_list(request, customer_id: int):
    customer = selectors.customer_get(actor=request.employee, customer_id=customer_id, include_deleted=True)
    masked = selectors.masker(request.employee)(customer)
    return [
        contact_out(c, masked)
        for c in Contact.objects.filter(customer=customer).order_by("-is_primary", "id")
    ]


@router.post("/customers/{int:customer_id}/contacts", response={201: ContactOut, **ERRORS})
def contact_create(request, customer_id: int, payload: ContactIn):
    """Add a contact (at most 10 → 409 ``contact_limit_reached``; ``is_primary`` moves the mark)."""
    customer = selectors.customer_get(actor=request.employee, customer_id=customer_id)
    contact = services.contact_add(actor=request.employee, customer_id=customer_id, **payload.dict())
    return Status(201, contact_out(contact, selectors.masker(request.employee)(customer)))


def _contact_customer(request, contact_id):
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise NotFound()
    customer = selectors.customer_get(actor=request.employee, customer_id=contact.customer_id)
    return contact, customer


@router.patch("/contacts/{int:contact_id}", response={200: ContactOut, **ERRORS})
def contact_update(request, contact_id: int, payload: ContactPatch):
    _contact, customer = _contact_customer(request, contact_id)
    contact = services.contact_update(
        actor=request.employee, contact_id=contact_id, **payload.dict(exclude_unset=True)
    )
    return contact_out(contact, selectors.masker(request.employee)(customer))


@router.delete("/contacts/{int:contact_id}", response={204: None, **ERRORS})
def contact_delete(request, contact_id: int, new_primary_id: Id | None = None):
    """Delete a contact; the primary needs ``new_primary_id`` (409 ``primary_contact_required``),
    the last one stays (409 ``last_contact``)."""
    _contact_customer(request, contact_id)
    services.contact_delete(actor=request.employee, contact_id=contact_id, new_primary_id=new_primary_id)
    return Status(204, None)


# ---------------------------------------------------------------- follow-ups and journey


@router.get("/customers/{int:customer_id}/followups", response={200: list[FollowupOut], **ERRORS})
def followup_list(request, customer_id: int):
    customer = selectors.customer_get(actor=request.employee, customer_id=customer_id, include_deleted=True)
    return [followup_out(f) for f in selectors.followups_of(customer).select_related("customer")[:200]]


@router.post("/customers/{int:customer_id}/followups", response={201: FollowupOut, **ERRORS})
def followup_create(request, customer_id: int, payload: FollowupIn):
    """添加跟进; updates ``last_followup_at`` (owner, managers in scope, collaborators)."""
    selectors.customer_get(actor=request.employee, customer_id=customer_id)
    followup = services.customer_followup_add(
        actor=request.employee, customer_id=customer_id, **payload.dict()
    )
    return Status(201, followup_out(followup))


@router.post("/customers/{int:customer_id}/followups/upload", response={201: FollowupOut, **ERRORS})
def followup_upload(
    request,
    customer_id: int,
    content: Form[str] = "",
    method: Form[str] = Followup.Method.CALL,
    contact_id: Form[Id | None] = None,
    files: File[list[UploadedFile]] = None,
):
    """添加跟进 with attachments (multipart ``files``: images, PDF, Word/Excel/PPT, recordings;
    ≤ 9 files of ≤ 10 MB, checked by content → 422 ``invalid_file``)."""
    selectors.customer_get(actor=request.employee, customer_id=customer_id)
    followup = services.customer_followup_add(
        actor=request.employee,
        customer_id=customer_id,
        content=content,
        method=method,
        contact_id=contact_id,
        files=[(f.name, f.read()) for f in (files or [])[:10]],
    )
    return Status(201, followup_out(followup))


@router.get("/customers/{int:customer_id}/timeline", response={200: list[TimelineItemOut], **ERRORS})
def customer_timeline(request, customer_id: int):
    """客户旅程: follow-ups, changes (old → new), contact events and ownership moves, newest first."""
    customer = selectors.customer_get(actor=request.employee, customer_id=customer_id, include_deleted=True)
    items = selectors.journey(customer, limit=100)
    return [
        {"kind": item["kind"], "at": item["at"], "actor": item["actor"], "detail": _plain_detail(item)}
        for item in items
    ]


def _plain_detail(item):
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in item.items()
        if k not in ("kind", "at", "actor")
    }


class FollowupQuery(Schema):
    employee_id: Id | None = None
    customer_id: Id | None = None
    method: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    page: int = 1
    page_size: int = 20


@router.get("/followups", response={200: PageOut[FollowupOut], **ERRORS})
def followups_all(request, filters: Query[FollowupQuery]):
    """联系记录 (FUP-05): every follow-up on customers the caller may see, newest first."""
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    return paginate(
        selectors.followup_list(actor=request.employee, **data), page=page, page_size=page_size
    ).as_dict(followup_out)


# ---------------------------------------------------------------- settings


class LibraryOut(Schema):
    id: int
    name: str
    is_default: bool
    department_ids: list[int]
    customer_count: int
    duplicate_fields: list[str]
    duplicate_match: str
    daily_claim_limit: int | None
    reclaim_cooldown_days: int | None


class LibraryIn(Schema):
    name: str = Field(..., max_length=40)
    department_ids: list[Id] = []


class LibraryPatch(Schema):
    name: str | None = Field(None, max_length=40)
    department_ids: list[Id] | None = None


class PoolRulesIO(Schema):
    daily_claim_limit: int | None = None
    reclaim_cooldown_days: int | None = None


class DuplicateRulesIO(Schema):
    fields: list[str]
    match: str = Library.Match.ANY


class StageOut(Schema):
    id: int
    name: str
    position: int
    is_terminal: bool


class StageIn(Schema):
    name: str = Field(..., max_length=20)


class StagePatch(Schema):
    name: str | None = Field(None, max_length=20)
    position: int | None = Field(None, ge=0, le=20)


class TagOut(Schema):
    id: int
    name: str


class TagGroupOut(Schema):
    id: int
    name: str
    color: str
    multiple: bool
    tags: list[TagOut]


class TagGroupIn(Schema):
    name: str = Field(..., max_length=20)
    color: str = "blue"
    multiple: bool = True
    tags: list[str] = Field([], max_length=50)


class TagGroupPatch(Schema):
    name: str | None = Field(None, max_length=20)
    color: str | None = None
    multiple: bool | None = None


class TagIn(Schema):
    name: str = Field(..., max_length=20)


class CustomerSettingsIO(Schema):
    cross_library_duplicates: bool = False
    masked_employee_ids: list[Id] = []
    forbid_delete: bool = False


def library_out(library):
    return {
        "id": library.pk,
        "name": library.name,
        "is_default": library.is_default,
        "department_ids": getattr(library, "department_ids", []),
        "customer_count": getattr(library, "customer_count", 0),
        "duplicate_fields": library.duplicate_fields,
        "duplicate_match": library.duplicate_match,
        "daily_claim_limit": library.daily_claim_limit,
        "reclaim_cooldown_days": library.reclaim_cooldown_days,
    }


def _library(library_id):
    if library_id is None:
        return config.default_library()
    library = Library.objects.filter(pk=library_id).first()
    if library is None:
        raise NotFound()
    return library


def _group_out(group):
    return {
        "id": group.pk,
        "name": group.name,
        "color": group.color,
        "multiple": group.multiple,
        "tags": [{"id": t.pk, "name": t.name} for t in group.tag_list],
    }


@settings_router.get("/customer-libraries", response={200: list[LibraryOut], **ERRORS})
def library_list(request):
    """Customer libraries (the default one first), each with its departments and customer count:
    for ``customer.settings``, and for pool managers (``customer.assign``), who name libraries
    when they file customers into a pool."""
    if not request.employee.has_permission("customer.assign"):
        check(request.employee, "customer.settings")
    return [library_out(library) for library in config.libraries()]


@settings_router.post("/customer-libraries", response={201: LibraryOut, **ERRORS})
def library_create(request, payload: LibraryIn):
    library = config.library_create(actor=request.employee, **payload.dict())
    return Status(201, library_out(next(x for x in config.libraries() if x.pk == library.pk)))


@settings_router.patch("/customer-libraries/{int:library_id}", response={200: LibraryOut, **ERRORS})
def library_update(request, library_id: int, payload: LibraryPatch):
    config.library_update(actor=request.employee, library_id=library_id, **payload.dict(exclude_unset=True))
    return library_out(next(x for x in config.libraries() if x.pk == library_id))


@settings_router.delete("/customer-libraries/{int:library_id}", response={204: None, **ERRORS})
def library_delete(request, library_id: int):
    """409 ``default_library`` for the default one, ``library_not_empty`` while it holds customers."""
    config.library_delete(actor=request.employee, library_id=library_id)
    return Status(204, None)


@settings_router.get("/settings/pool-rules", response={200: PoolRulesIO, **ERRORS})
def pool_rules_get(request, library_id: Id | None = None):
    check(request.employee, "customer.settings")
    library = _library(library_id)
    return {
        "daily_claim_limit": library.daily_claim_limit,
        "reclaim_cooldown_days": library.reclaim_cooldown_days,
    }


@settings_router.put("/settings/pool-rules", response={200: PoolRulesIO, **ERRORS})
def pool_rules_put(request, payload: PoolRulesIO, library_id: Id | None = None):
    """Daily claim limit (POOL-13) and re-claim cooldown days (POOL-12) of a library's pool; null = off."""
    library = _library(library_id)
    library = config.library_update(actor=request.employee, library_id=library.pk, **payload.dict())
    return {
        "daily_claim_limit": library.daily_claim_limit,
        "reclaim_cooldown_days": library.reclaim_cooldown_days,
    }


@settings_router.get("/settings/duplicate-rules", response={200: DuplicateRulesIO, **ERRORS})
def duplicate_rules_get(request, library_id: Id | None = None):
    check(request.employee, "customer.settings")
    library = _library(library_id)
    return {"fields": library.duplicate_fields, "match": library.duplicate_match}


@settings_router.put("/settings/duplicate-rules", response={200: DuplicateRulesIO, **ERRORS})
def duplicate_rules_put(request, payload: DuplicateRulesIO, library_id: Id | None = None):
    """``fields`` ⊆ customer_name, contact_name, contact_mobile; ``match`` any or all."""
    library = _library(library_id)
    library = config.library_update(
        actor=request.employee,
        library_id=library.pk,
        duplicate_fields=payload.fields,
        duplicate_match=payload.match,
    )
    return {"fields": library.duplicate_fields, "match": library.duplicate_match}


@settings_router.get("/settings/customer-stages", response={200: list[StageOut], **ERRORS})
def stage_list(request):
    return [
        {"id": s.pk, "name": s.name, "position": s.position, "is_terminal": s.is_terminal}
        for s in config.stages()
    ]


@settings_router.post("/settings/customer-stages", response={201: StageOut, **ERRORS})
def stage_create(request, payload: StageIn):
    """Add a stage before the terminal 已签约 (at most 10 → 409 ``stage_limit_reached``)."""
    stage = config.stage_create(actor=request.employee, name=payload.name)
    return Status(201, {"id": stage.pk, "name": stage.name, "position": stage.position, "is_terminal": False})


@settings_router.patch("/settings/customer-stages/{int:stage_id}", response={200: StageOut, **ERRORS})
def stage_update(request, stage_id: int, payload: StagePatch):
    """Rename or move; the terminal stage answers 409 ``terminal_stage``."""
    stage = config.stage_update(actor=request.employee, stage_id=stage_id, **payload.dict(exclude_unset=True))
    return {"id": stage.pk, "name": stage.name, "position": stage.position, "is_terminal": stage.is_terminal}


@settings_router.delete("/settings/customer-stages/{int:stage_id}", response={204: None, **ERRORS})
def stage_delete(request, stage_id: int, move_to_id: Id | None = None):
    """Delete; its customers move to ``move_to_id`` (409 ``stage_in_use`` without one)."""
    config.stage_delete(actor=request.employee, stage_id=stage_id, move_to_id=move_to_id)
    return Status(204, None)


@settings_router.get("/settings/tag-groups", response={200: list[TagGroupOut], **ERRORS})
def tag_group_list(request):
    return [_group_out(g) for g in config.tag_groups()]


@settings_router.post("/settings/tag-groups", response={201: TagGroupOut, **ERRORS})
def tag_group_create(request, payload: TagGroupIn):
    group = config.tag_group_create(actor=request.employee, **payload.dict())
    return Status(201, _group_out(next(g for g in config.tag_groups() if g.pk == group.pk)))


@settings_router.patch("/settings/tag-groups/{int:group_id}", response={200: TagGroupOut, **ERRORS})
def tag_group_update(request, group_id: int, payload: TagGroupPatch):
    config.tag_group_update(actor=request.employee, group_id=group_id, **payload.dict(exclude_unset=True))
    return _group_out(next(g for g in config.tag_groups() if g.pk == group_id))


@settings_router.delete("/settings/tag-groups/{int:group_id}", response={204: None, **ERRORS})
def tag_group_delete(request, group_id: int):
    config.tag_group_delete(actor=request.employee, group_id=group_id)
    return Status(204, None)


@settings_router.post("/settings/tag-groups/{int:group_id}/tags", response={201: TagOut, **ERRORS})
def tag_create(request, group_id: int, payload: TagIn):
    tag = config.tag_create(actor=request.employee, group_id=group_id, name=payload.name)
    return Status(201, {"id": tag.pk, "name": tag.name})


@settings_router.delete("/settings/tags/{int:tag_id}", response={204: None, **ERRORS})
def tag_delete(request, tag_id: int):
    config.tag_delete(actor=request.employee, tag_id=tag_id)
    return Status(204, None)


@settings_router.get("/settings/customers", response={200: CustomerSettingsIO, **ERRORS})
def customer_settings_get(request):
    check(request.employee, "customer.settings")
    settings = config.customer_settings()
    return {
        "cross_library_duplicates": settings.cross_library_duplicates,
        "masked_employee_ids": settings.masked_employee_ids,
        "forbid_delete": settings.forbid_delete,
    }


@settings_router.put("/settings/customers", response={200: CustomerSettingsIO, **ERRORS})
def customer_settings_put(request, payload: CustomerSettingsIO):
    """允许跨客户库重复, 资料保护 (employees who see contacts masked, CUST-15), 禁止删除客户."""
    config.settings_update(actor=request.employee, **payload.dict())
    return customer_settings_get(request)
