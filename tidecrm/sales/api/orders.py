"""Sales API: sales orders (销售订单) with their payments, invoices and status moves (ORD-01)."""

from ninja import Status

from tidecrm.core.api import PageOut
from tidecrm.core.pagination import paginate

from .. import selectors, services
from ..access import access_order
from ._common import ERRORS, Router, _invoice_out, _line_dicts, _payment_out
from .schemas import InvoiceIn, InvoiceOut, OrderIn, OrderOut, PaymentIn, PaymentOut

router = Router()


def _order_out(order):
    return {
        "id": order.pk,
        "number": order.number,
        "customer_id": order.customer_id,
        "contract_id": order.contract_id,
        "owner_id": order.owner_id,
        "order_date": order.order_date,
        "amount": str(order.amount),
        "received_amount": str(order.received_amount),
        "invoiced_amount": str(order.invoiced_amount),
        "status": order.status,
    }


@router.get("/orders", response={200: PageOut[OrderOut], **ERRORS})
def order_list(request, page: int = 1, page_size: int = 20):
    return paginate(selectors.order_list(actor=request.employee), page=page, page_size=page_size).as_dict(
        _order_out
    )


@router.post("/orders", response={201: OrderOut, **ERRORS})
def order_create(request, payload: OrderIn):
    """403 ``feature_disabled`` unless the enterprise turned orders on."""
    data = payload.dict()
    data["product_lines"] = _line_dicts(payload.product_lines)
    return Status(201, _order_out(services.order_create(actor=request.employee, **data)))


@router.get("/orders/{int:order_id}", response={200: OrderOut, **ERRORS})
def order_detail(request, order_id: int):
    return _order_out(access_order(request.employee, order_id))


@router.post("/orders/{int:order_id}/payments", response={201: PaymentOut, **ERRORS})
def order_payment(request, order_id: int, payload: PaymentIn):
    """Orders share payment records with contracts (ORD-01)."""
    return Status(
        201, _payment_out(services.payment_add(actor=request.employee, order_id=order_id, **payload.dict()))
    )


@router.post("/orders/{int:order_id}/invoices", response={201: InvoiceOut, **ERRORS})
def order_invoice(request, order_id: int, payload: InvoiceIn):
    return Status(
        201, _invoice_out(services.invoice_add(actor=request.employee, order_id=order_id, **payload.dict()))
    )


@router.post("/orders/{int:order_id}/{action}", response={200: OrderOut, **ERRORS})
def order_action(request, order_id: int, action: str):
    """confirm / reject (from pending), ship (confirmed), complete (shipped), void."""
    return _order_out(services.order_transition(actor=request.employee, order_id=order_id, action=action))
