"""Customer API: bulk actions on selected customers, answered per record -- release to the pool,
claim, transfer, assign, target pool departments, delete, restore, add tags (CUST-10, CUST-18,
CUST-19, CUST-21, CUST-22, POOL-02..05)."""

from tidecrm.core.api import BulkOut, IdsIn

from .. import services
from ._common import ERRORS, Router
from .schemas import EmployeeIdsIn, PoolTargetIn, ReasonIdsIn, TagIdsIn

router = Router()


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
