"""Customer API: customers -- the list views (mine / team / all / collaborating, pool, recycle
bin), create, detail, edit, delete, restore and tags of one customer (CUST-02..06, CUST-10,
CUST-15, CUST-21, CUST-22, POOL-01)."""

from ninja import Query, Status

from tidecrm.core.api import PageOut
from tidecrm.core.pagination import paginate
from tidecrm.core.permissions import check

from .. import selectors, services
from ._common import ERRORS, Router, _library, _one, _view, customer_out
from .schemas import CustomerFilters, CustomerIn, CustomerOut, CustomerPatch, TagsIn

router = Router()


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
        customers, page=page, page_size=page_size, **selectors.count_options(data.get("q"), view)
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
    services.customer_update(
        actor=request.employee, customer_id=customer_id, **payload.dict(exclude_unset=True)
    )
    return customer_out(_one(request, customer_id))


@router.delete("/customers/{int:customer_id}", response={204: None, **ERRORS})
def customer_delete(request, customer_id: int):
    """Move to the recycle bin (``customer.delete``; 403 ``deletion_forbidden`` when the
    enterprise forbids deleting customers)."""
    services.customer_delete(actor=request.employee, customer_id=customer_id)
    return Status(204, None)


@router.post("/customers/{int:customer_id}/restore", response={200: CustomerOut, **ERRORS})
def customer_restore(request, customer_id: int):
    """Out of the recycle bin: to the former owner if active and under their limit, else the pool."""
    services.customer_restore(actor=request.employee, customer_id=customer_id)
    return customer_out(_one(request, customer_id))


@router.put("/customers/{int:customer_id}/tags", response={200: CustomerOut, **ERRORS})
def customer_tags(request, customer_id: int, payload: TagsIn):
    """Replace the customer's tags (422 for two tags of one single-select group)."""
    services.customer_set_tags(actor=request.employee, customer_id=customer_id, tag_ids=payload.tag_ids)
    return customer_out(_one(request, customer_id))
