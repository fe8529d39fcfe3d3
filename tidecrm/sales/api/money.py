"""Sales API: a contract's money -- payment plans (回款计划), payments (回款) and invoices (开票)
(CON-05..07)."""

from ninja import Status

from .. import selectors, services
from ..access import access_contract
from ._common import ERRORS, Router, _invoice_out, _payment_out
from .schemas import InvoiceIn, InvoiceOut, PaymentIn, PaymentOut, PlanIn, PlanOut

router = Router()


def _plan_out(plan):
    return {
        "id": plan.pk,
        "period": plan.period,
        "due_on": plan.due_on,
        "amount": str(plan.amount),
        "paid": str(plan.paid),
        "status": plan.state,
        "remark": plan.remark,
    }


@router.get("/contracts/{int:contract_id}/payment-plans", response={200: list[PlanOut], **ERRORS})
def plan_list(request, contract_id: int):
    contract = access_contract(request.employee, contract_id)
    return [_plan_out(p) for p in selectors.money_of(contract=contract)["plans"]]


@router.post("/contracts/{int:contract_id}/payment-plans", response={201: PlanOut, **ERRORS})
def plan_create(request, contract_id: int, payload: PlanIn):
    """409 ``plan_exceeds_amount`` when Σ planned would pass the contract amount."""
    plan = services.plan_add(actor=request.employee, contract_id=contract_id, **payload.dict())
    contract = access_contract(request.employee, contract_id)
    return Status(
        201, _plan_out(next(p for p in selectors.money_of(contract=contract)["plans"] if p.pk == plan.pk))
    )


@router.get("/contracts/{int:contract_id}/payments", response={200: list[PaymentOut], **ERRORS})
def payment_list(request, contract_id: int):
    contract = access_contract(request.employee, contract_id)
    return [_payment_out(p) for p in selectors.money_of(contract=contract)["payments"]]


@router.post("/contracts/{int:contract_id}/payments", response={201: PaymentOut, **ERRORS})
def payment_create(request, contract_id: int, payload: PaymentIn):
    """On an approved contract; 409 ``payment_exceeds_amount`` above the amount unless
    ``confirm_overpay``."""
    return Status(
        201,
        _payment_out(services.payment_add(actor=request.employee, contract_id=contract_id, **payload.dict())),
    )


@router.get("/contracts/{int:contract_id}/invoices", response={200: list[InvoiceOut], **ERRORS})
def invoice_list(request, contract_id: int):
    contract = access_contract(request.employee, contract_id)
    return [_invoice_out(i) for i in selectors.money_of(contract=contract)["invoices"]]


@router.post("/contracts/{int:contract_id}/invoices", response={201: InvoiceOut, **ERRORS})
def invoice_create(request, contract_id: int, payload: InvoiceIn):
    """409 ``invoice_exceeds_amount`` when Σ invoiced would pass the amount."""
    return Status(
        201,
        _invoice_out(services.invoice_add(actor=request.employee, contract_id=contract_id, **payload.dict())),
    )
