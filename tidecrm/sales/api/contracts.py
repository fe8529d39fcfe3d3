"""Sales API: contracts -- list, create, edit, submit for approval, withdraw, void (CON-01..03,
CON-08). Their payment plans, payments and invoices are in ``money``."""

from ninja import Query, Status

from tidecrm.core.api import PageOut
from tidecrm.core.pagination import paginate

from .. import selectors, services
from ..access import access_contract
from ._common import ERRORS, Router, _line_dicts, _lines
from .schemas import ContractIn, ContractOut, ContractPatch, ContractQuery, LoseIn

router = Router()


def contract_out(contract, *, lines=True):
    return {
        "id": contract.pk,
        "number": contract.number,
        "title": contract.title,
        "customer_id": contract.customer_id,
        "customer_name": contract.customer.name,
        "opportunity_id": contract.opportunity_id,
        "owner_id": contract.owner_id,
        "amount": str(contract.amount),
        "received_amount": str(contract.received_amount),
        "outstanding_amount": str(contract.outstanding_amount),
        "invoiced_amount": str(contract.invoiced_amount),
        "signed_on": contract.signed_on,
        "start_on": contract.start_on,
        "end_on": contract.end_on,
        "status": contract.status,
        "remark": contract.remark,
        "created_at": contract.created_at,
        "product_lines": _lines(contract=contract) if lines else [],
    }


@router.get("/contracts", response={200: PageOut[ContractOut], **ERRORS})
def contract_list(request, filters: Query[ContractQuery]):
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    result = paginate(selectors.contract_list(actor=request.employee, **data), page=page, page_size=page_size)
    return result.as_dict(lambda c: contract_out(c, lines=False))


@router.post("/contracts", response={201: ContractOut, **ERRORS})
def contract_create(request, payload: ContractIn):
    """A draft contract (number generated); 409 ``opportunity_has_contract``."""
    data = payload.dict()
    data["product_lines"] = _line_dicts(payload.product_lines)
    contract = services.contract_create(actor=request.employee, **data)
    return Status(201, contract_out(access_contract(request.employee, contract.pk)))


@router.get("/contracts/{int:contract_id}", response={200: ContractOut, **ERRORS})
def contract_detail(request, contract_id: int):
    return contract_out(access_contract(request.employee, contract_id))


@router.patch("/contracts/{int:contract_id}", response={200: ContractOut, **ERRORS})
def contract_update(request, contract_id: int, payload: ContractPatch):
    """Edit a draft or rejected contract (409 ``invalid_transition`` otherwise)."""
    data = payload.dict(exclude_unset=True)
    if "product_lines" in data:
        data["product_lines"] = _line_dicts(payload.product_lines)
    services.contract_update(actor=request.employee, contract_id=contract_id, **data)
    return contract_out(access_contract(request.employee, contract_id))


@router.post("/contracts/{int:contract_id}/submit", response={200: ContractOut, **ERRORS})
def contract_submit(request, contract_id: int):
    """draft/rejected → pending_approval (approvers configured) or approved."""
    services.contract_submit(actor=request.employee, contract_id=contract_id)
    return contract_out(access_contract(request.employee, contract_id))


@router.post("/contracts/{int:contract_id}/withdraw", response={200: ContractOut, **ERRORS})
def contract_withdraw(request, contract_id: int):
    services.contract_withdraw(actor=request.employee, contract_id=contract_id)
    return contract_out(access_contract(request.employee, contract_id))


@router.post("/contracts/{int:contract_id}/void", response={200: ContractOut, **ERRORS})
def contract_void(request, contract_id: int, payload: LoseIn):
    services.contract_void(actor=request.employee, contract_id=contract_id, reason=payload.reason)
    return contract_out(access_contract(request.employee, contract_id))
