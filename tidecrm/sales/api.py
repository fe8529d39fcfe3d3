"""Open API: sales (API.md "Sales") — opportunity stages, opportunities, products, contracts with
their payment plans, payments and invoices, approvals, orders."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from tidecrm.core import imports
from tidecrm.core.api import DatetimeIn, ErrorOut, Id, PageOut
from tidecrm.core.imports_api import ImportJobOut, job_out
from tidecrm.core.pagination import paginate
from tidecrm.office import approvals

from . import exports, selectors, services
from .models import Invoice

router = Router(tags=["sales"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# ---------------------------------------------------------------- schemas


class LineIn(Schema):
    product_id: Id
    quantity: Decimal = Decimal("1")
    unit_price: Decimal | None = None
    discount: Decimal = Decimal("100")


class LineOut(Schema):
    id: int
    product_id: int | None
    product_name: str
    unit: str
    list_price: str
    unit_price: str
    quantity: str
    discount: str
    subtotal: str


class StageOut(Schema):
    id: int
    name: str
    position: int
    win_probability: int


class StageIn(Schema):
    name: str = Field(..., max_length=20)
    win_probability: int = 0


class StagePatch(Schema):
    name: str | None = Field(None, max_length=20)
    win_probability: int | None = None
    position: int | None = Field(None, ge=0, le=30)


class OpportunityOut(Schema):
    id: int
    name: str
    customer_id: int
    customer_name: str
    owner_id: int | None
    owner_name: str | None
    stage_id: int
    stage_name: str
    win_probability: int
    amount: str
    status: str
    expected_close_date: date | None
    closed_at: date | None
    closed_by_id: int | None
    note: str
    lose_reason: str
    created_at: datetime
    product_lines: list[LineOut]


class OpportunityIn(Schema):
    name: str = Field(..., max_length=100)
    customer_id: Id
    amount: Decimal = Decimal("0")
    stage_id: Id | None = None
    expected_close_date: date | None = None
    note: str = Field("", max_length=500)
    product_lines: list[LineIn] = Field([], max_length=100)


class OpportunityPatch(Schema):
    name: str | None = Field(None, max_length=100)
    amount: Decimal | None = None
    stage_id: Id | None = None
    expected_close_date: date | None = None
    note: str | None = Field(None, max_length=500)
    product_lines: list[LineIn] | None = Field(None, max_length=100)


class OpportunityQuery(Schema):
    q: str | None = None
    status: str | None = None
    stage_id: Id | None = None
    owner_id: Id | None = None
    customer_id: Id | None = None
    created_from: date | None = None
    created_to: date | None = None
    page: int = 1
    page_size: int = 20


class LoseIn(Schema):
    reason: str = Field("", max_length=200)


class StageHistoryOut(Schema):
    stage_id: int | None
    stage_name: str
    entered_at: datetime
    entered_by_id: int | None
    left_at: datetime | None
    left_by_id: int | None


class FollowupIn(Schema):
    content: str = Field(..., max_length=2000)
    method: str = "call"
    next_followup_at: DatetimeIn | None = None


class ContractOut(Schema):
    id: int
    number: str
    title: str
    customer_id: int
    customer_name: str
    opportunity_id: int | None
    owner_id: int | None
    amount: str
    received_amount: str
    outstanding_amount: str
    invoiced_amount: str
    signed_on: date | None
    start_on: date | None
    end_on: date | None
    status: str
    remark: str
    created_at: datetime
    product_lines: list[LineOut]


class ContractIn(Schema):
    customer_id: Id
    title: str = Field(..., max_length=100)
    amount: Decimal
    opportunity_id: Id | None = None
    signed_on: date | None = None
    start_on: date | None = None
    end_on: date | None = None
    remark: str = Field("", max_length=500)
    product_lines: list[LineIn] = Field([], max_length=100)


class ContractPatch(Schema):
    title: str | None = Field(None, max_length=100)
    amount: Decimal | None = None
    signed_on: date | None = None
    start_on: date | None = None
    end_on: date | None = None
    remark: str | None = Field(None, max_length=500)
    product_lines: list[LineIn] | None = Field(None, max_length=100)


class ContractQuery(Schema):
    q: str | None = None
    status: str | None = None
    owner_id: Id | None = None
    customer_id: Id | None = None
    signed_from: date | None = None
    signed_to: date | None = None
    page: int = 1
    page_size: int = 20


class PlanIn(Schema):
    due_on: date
    amount: Decimal
    remark: str = Field("", max_length=200)


class PlanOut(Schema):
    id: int
    period: int
    due_on: date
    amount: str
    paid: str
    status: str
    remark: str


class PaymentIn(Schema):
    amount: Decimal
    received_on: date
    plan_id: Id | None = None
    method: str = Field("", max_length=20)
    remark: str = Field("", max_length=200)
    confirm_overpay: bool = False


class PaymentOut(Schema):
    id: int
    amount: str
    received_on: date
    plan_id: int | None
    method: str
    remark: str
    created_at: datetime


class InvoiceIn(Schema):
    amount: Decimal
    type: str = Invoice.Type.NORMAL
    title: str = Field("", max_length=100)
    tax_number: str = Field("", max_length=30)
    number: str = Field("", max_length=40)
    issued_on: date | None = None


class InvoiceOut(Schema):
    id: int
    amount: str
    type: str
    title: str
    tax_number: str
    number: str
    issued_on: date | None
    status: str


class ApprovalOut(Schema):
    id: int
    object_type: str
    object_id: int
    title: str
    initiator_id: int
    current_level: int
    levels: list[list[int]]
    status: str
    created_at: datetime


class DecisionIn(Schema):
    comment: str = Field("", max_length=500)


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None
    depth: int


class CategoryIn(Schema):
    name: str = Field(..., max_length=40)
    parent_id: Id | None = None


class ProductOut(Schema):
    id: int
    name: str
    category_id: int
    sku: str
    spec: str
    unit: str
    price: str
    on_sale: bool
    description: str


class ProductIn(Schema):
    name: str = Field(..., max_length=100)
    category_id: Id
    sku: str = Field("", max_length=40)
    spec: str = Field("", max_length=100)
    unit: str = Field("", max_length=10)
    price: Decimal = Decimal("0")
    on_sale: bool = True
    description: str = Field("", max_length=500)


class ProductPatch(Schema):
    name: str | None = Field(None, max_length=100)
    category_id: Id | None = None
    sku: str | None = Field(None, max_length=40)
    spec: str | None = Field(None, max_length=100)
    unit: str | None = Field(None, max_length=10)
    price: Decimal | None = None
    on_sale: bool | None = None
    description: str | None = Field(None, max_length=500)


class OrderIn(Schema):
    customer_id: Id
    amount: Decimal | None = None
    order_date: date | None = None
    contract_id: Id | None = None
    remark: str = Field("", max_length=500)
    product_lines: list[LineIn] = Field([], max_length=100)


class OrderOut(Schema):
    id: int
    number: str
    customer_id: int
    contract_id: int | None
    owner_id: int | None
    order_date: date
    amount: str
    received_amount: str
    invoiced_amount: str
    status: str


# ---------------------------------------------------------------- serialisers


def _lines(**owner):
    return [
        {
            "id": line.pk,
            "product_id": line.product_id,
            "product_name": line.product_name,
            "unit": line.unit,
            "list_price": str(line.list_price),
            "unit_price": str(line.unit_price),
            "quantity": str(line.quantity),
            "discount": str(line.discount),
            "subtotal": str(line.subtotal),
        }
        for line in selectors.lines_of(**owner)
    ]


def _line_dicts(lines):
    return None if lines is None else [line.dict() for line in lines]


def opportunity_out(opportunity, *, lines=True):
    return {
        "id": opportunity.pk,
        "name": opportunity.name,
        "customer_id": opportunity.customer_id,
        "customer_name": opportunity.customer.name,
        "owner_id": opportunity.owner_id,
        "owner_name": opportunity.owner.name if opportunity.owner_id else None,
        "stage_id": opportunity.stage_id,
        "stage_name": opportunity.stage.name,
        "win_probability": opportunity.stage.win_probability,
        "amount": str(opportunity.amount),
        "status": opportunity.status,
        "expected_close_date": opportunity.expected_close_date,
        "closed_at": opportunity.closed_on,
        "closed_by_id": opportunity.closed_by_id,
        "note": opportunity.note,
        "lose_reason": opportunity.lose_reason,
        "created_at": opportunity.created_at,
        "product_lines": _lines(opportunity=opportunity) if lines else [],
    }


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


def _stage_out(stage):
    return {
        "id": stage.pk,
        "name": stage.name,
        "position": stage.position,
        "win_probability": stage.win_probability,
    }


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


def _payment_out(payment):
    return {
        "id": payment.pk,
        "amount": str(payment.amount),
        "received_on": payment.received_on,
        "plan_id": payment.plan_id,
        "method": payment.method,
        "remark": payment.remark,
        "created_at": payment.created_at,
    }


def _invoice_out(invoice):
    return {
        "id": invoice.pk,
        "amount": str(invoice.amount),
        "type": invoice.type,
        "title": invoice.title,
        "tax_number": invoice.tax_number,
        "number": invoice.number,
        "issued_on": invoice.issued_on,
        "status": invoice.status,
    }


def _product_out(product):
    return {
        "id": product.pk,
        "name": product.name,
        "category_id": product.category_id,
        "sku": product.sku,
        "spec": product.spec,
        "unit": product.unit,
        "price": str(product.price),
        "on_sale": product.on_sale,
        "description": product.description,
    }


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


# ---------------------------------------------------------------- stages


@router.get("/opportunity-stages", response={200: list[StageOut], **ERRORS})
def stage_list(request):
    """Ordered stages with ``win_probability``; the last one is the won stage."""
    return [_stage_out(s) for s in services.stages()]


@router.post("/opportunity-stages", response={201: StageOut, **ERRORS})
def stage_create(request, payload: StageIn):
    """Add a stage before the won stage (at most 20 → 409 ``stage_limit_reached``)."""
    return Status(201, _stage_out(services.stage_create(actor=request.employee, **payload.dict())))


@router.patch("/opportunity-stages/{int:opportunity_stage_id}", response={200: StageOut, **ERRORS})
def stage_update(request, opportunity_stage_id: int, payload: StagePatch):
    return _stage_out(
        services.stage_update(
            actor=request.employee, stage_id=opportunity_stage_id, **payload.dict(exclude_unset=True)
        )
    )


@router.delete("/opportunity-stages/{int:opportunity_stage_id}", response={204: None, **ERRORS})
def stage_delete(request, opportunity_stage_id: int, move_to_id: Id | None = None):
    """409 ``last_stage`` for the won stage; ``stage_in_use`` without ``move_to_id``."""
    services.stage_delete(actor=request.employee, stage_id=opportunity_stage_id, move_to_id=move_to_id)
    return Status(204, None)


# ---------------------------------------------------------------- opportunities


@router.get("/opportunities", response={200: PageOut[OpportunityOut], **ERRORS})
def opportunity_list(request, filters: Query[OpportunityQuery]):
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    result = paginate(
        selectors.opportunity_list(actor=request.employee, **data), page=page, page_size=page_size
    )
    return result.as_dict(lambda o: opportunity_out(o, lines=False))


@router.post("/opportunities", response={201: OpportunityOut, **ERRORS})
def opportunity_create(request, payload: OpportunityIn):
    """Create on a customer the caller works on; owner = the customer's owner; status ``open``."""
    data = payload.dict()
    data["product_lines"] = _line_dicts(payload.product_lines)
    opportunity = services.opportunity_create(actor=request.employee, **data)
    return Status(
        201, opportunity_out(selectors.opportunity_get(actor=request.employee, opportunity_id=opportunity.pk))
    )


@router.get("/opportunities/{int:opportunity_id}", response={200: OpportunityOut, **ERRORS})
def opportunity_detail(request, opportunity_id: int):
    return opportunity_out(selectors.opportunity_get(actor=request.employee, opportunity_id=opportunity_id))


@router.patch("/opportunities/{int:opportunity_id}", response={200: OpportunityOut, **ERRORS})
def opportunity_update(request, opportunity_id: int, payload: OpportunityPatch):
    """Edit an open opportunity (409 ``invalid_transition`` when won or lost)."""
    data = payload.dict(exclude_unset=True)
    if "product_lines" in data:
        data["product_lines"] = _line_dicts(payload.product_lines)
    services.opportunity_update(actor=request.employee, opportunity_id=opportunity_id, **data)
    return opportunity_out(selectors.opportunity_get(actor=request.employee, opportunity_id=opportunity_id))


@router.delete("/opportunities/{int:opportunity_id}", response={204: None, **ERRORS})
def opportunity_delete(request, opportunity_id: int):
    """Soft delete (409 ``opportunity_has_contract`` while a contract is linked)."""
    services.opportunity_delete(actor=request.employee, opportunity_id=opportunity_id)
    return Status(204, None)


@router.post("/opportunities/{int:opportunity_id}/win", response={200: OpportunityOut, **ERRORS})
def opportunity_win(request, opportunity_id: int):
    """open → won, stage becomes the last; anything else 409 ``invalid_transition``."""
    services.opportunity_win(actor=request.employee, opportunity_id=opportunity_id)
    return opportunity_out(selectors.opportunity_get(actor=request.employee, opportunity_id=opportunity_id))


@router.post("/opportunities/{int:opportunity_id}/lose", response={200: OpportunityOut, **ERRORS})
def opportunity_lose(request, opportunity_id: int, payload: LoseIn):
    """open → lost, stage kept."""
    services.opportunity_lose(actor=request.employee, opportunity_id=opportunity_id, reason=payload.reason)
    return opportunity_out(selectors.opportunity_get(actor=request.employee, opportunity_id=opportunity_id))


@router.post("/opportunities/{int:opportunity_id}/reopen", response={200: OpportunityOut, **ERRORS})
def opportunity_reopen(request, opportunity_id: int):
    """won or lost → open, stage kept."""
    services.opportunity_reopen(actor=request.employee, opportunity_id=opportunity_id)
    return opportunity_out(selectors.opportunity_get(actor=request.employee, opportunity_id=opportunity_id))


@router.get(
    "/opportunities/{int:opportunity_id}/stage-history", response={200: list[StageHistoryOut], **ERRORS}
)
def opportunity_history(request, opportunity_id: int):
    """The immutable stage history: entered, left, by whom."""
    opportunity = selectors.opportunity_get(actor=request.employee, opportunity_id=opportunity_id)
    return [
        {
            "stage_id": h.stage_id,
            "stage_name": h.stage_name,
            "entered_at": h.entered_at,
            "entered_by_id": h.entered_by_id,
            "left_at": h.left_at,
            "left_by_id": h.left_by_id,
        }
        for h in selectors.history_of(opportunity)
    ]


@router.post("/opportunities/{int:opportunity_id}/followups", response={201: dict, **ERRORS})
def opportunity_followup(request, opportunity_id: int, payload: FollowupIn):
    """商机跟进: recorded on the customer's journey too (FUP-02)."""
    followup = services.opportunity_followup_add(
        actor=request.employee, opportunity_id=opportunity_id, **payload.dict()
    )
    return Status(
        201, {"id": followup.pk, "customer_id": followup.customer_id, "opportunity_id": opportunity_id}
    )


# ---------------------------------------------------------------- contracts


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
    return Status(201, contract_out(selectors.contract_get(actor=request.employee, contract_id=contract.pk)))


@router.get("/contracts/{int:contract_id}", response={200: ContractOut, **ERRORS})
def contract_detail(request, contract_id: int):
    return contract_out(selectors.contract_get(actor=request.employee, contract_id=contract_id))


@router.patch("/contracts/{int:contract_id}", response={200: ContractOut, **ERRORS})
def contract_update(request, contract_id: int, payload: ContractPatch):
    """Edit a draft or rejected contract (409 ``invalid_transition`` otherwise)."""
    data = payload.dict(exclude_unset=True)
    if "product_lines" in data:
        data["product_lines"] = _line_dicts(payload.product_lines)
    services.contract_update(actor=request.employee, contract_id=contract_id, **data)
    return contract_out(selectors.contract_get(actor=request.employee, contract_id=contract_id))


@router.post("/contracts/{int:contract_id}/submit", response={200: ContractOut, **ERRORS})
def contract_submit(request, contract_id: int):
    """draft/rejected → pending_approval (approvers configured) or approved."""
    services.contract_submit(actor=request.employee, contract_id=contract_id)
    return contract_out(selectors.contract_get(actor=request.employee, contract_id=contract_id))


@router.post("/contracts/{int:contract_id}/withdraw", response={200: ContractOut, **ERRORS})
def contract_withdraw(request, contract_id: int):
    services.contract_withdraw(actor=request.employee, contract_id=contract_id)
    return contract_out(selectors.contract_get(actor=request.employee, contract_id=contract_id))


@router.post("/contracts/{int:contract_id}/void", response={200: ContractOut, **ERRORS})
def contract_void(request, contract_id: int, payload: LoseIn):
    services.contract_void(actor=request.employee, contract_id=contract_id, reason=payload.reason)
    return contract_out(selectors.contract_get(actor=request.employee, contract_id=contract_id))


@router.get("/contracts/{int:contract_id}/payment-plans", response={200: list[PlanOut], **ERRORS})
def plan_list(request, contract_id: int):
    contract = selectors.contract_get(actor=request.employee, contract_id=contract_id)
    return [_plan_out(p) for p in selectors.money_of(contract=contract)["plans"]]


@router.post("/contracts/{int:contract_id}/payment-plans", response={201: PlanOut, **ERRORS})
def plan_create(request, contract_id: int, payload: PlanIn):
    """409 ``plan_exceeds_amount`` when Σ planned would pass the contract amount."""
    plan = services.plan_add(actor=request.employee, contract_id=contract_id, **payload.dict())
    contract = selectors.contract_get(actor=request.employee, contract_id=contract_id)
    return Status(
        201, _plan_out(next(p for p in selectors.money_of(contract=contract)["plans"] if p.pk == plan.pk))
    )


@router.get("/contracts/{int:contract_id}/payments", response={200: list[PaymentOut], **ERRORS})
def payment_list(request, contract_id: int):
    contract = selectors.contract_get(actor=request.employee, contract_id=contract_id)
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
    contract = selectors.contract_get(actor=request.employee, contract_id=contract_id)
    return [_invoice_out(i) for i in selectors.money_of(contract=contract)["invoices"]]


@router.post("/contracts/{int:contract_id}/invoices", response={201: InvoiceOut, **ERRORS})
def invoice_create(request, contract_id: int, payload: InvoiceIn):
    """409 ``invoice_exceeds_amount`` when Σ invoiced would pass the amount."""
    return Status(
        201,
        _invoice_out(services.invoice_add(actor=request.employee, contract_id=contract_id, **payload.dict())),
    )


# ---------------------------------------------------------------- approvals


def _approval_out(request):
    return {
        "id": request.pk,
        "object_type": request.object_type,
        "object_id": request.object_id,
        "title": request.title,
        "initiator_id": request.initiator_id,
        "current_level": request.current_level,
        "levels": request.levels,
        "status": request.status,
        "created_at": request.created_at,
    }


@router.get("/approvals", response={200: list[ApprovalOut], **ERRORS})
def approval_todo(request):
    """审批待办: pending approvals whose current level names the caller."""
    return [_approval_out(r) for r in approvals.pending_for(request.employee)]


@router.post("/approvals/{int:approval_id}/approve", response={200: ApprovalOut, **ERRORS})
def approval_approve(request, approval_id: int, payload: DecisionIn):
    """Or-sign: one approver decides for the level; 403 ``not_approver``, 409 ``already_decided``."""
    return _approval_out(
        approvals.decide(
            actor=request.employee, request_id=approval_id, approve=True, comment=payload.comment
        )
    )


@router.post("/approvals/{int:approval_id}/reject", response={200: ApprovalOut, **ERRORS})
def approval_reject(request, approval_id: int, payload: DecisionIn):
    return _approval_out(
        approvals.decide(
            actor=request.employee, request_id=approval_id, approve=False, comment=payload.comment
        )
    )


# ---------------------------------------------------------------- products


@router.get("/product-categories", response={200: list[CategoryOut], **ERRORS})
def category_list(request):
    return [
        {"id": c.pk, "name": c.name, "parent_id": c.parent_id, "depth": c.depth}
        for c in selectors.categories()
    ]


@router.post("/product-categories", response={201: CategoryOut, **ERRORS})
def category_create(request, payload: CategoryIn):
    """At most 3 levels (409 ``category_too_deep``); names unique among siblings."""
    category = services.category_create(actor=request.employee, **payload.dict())
    return Status(
        201,
        {"id": category.pk, "name": category.name, "parent_id": category.parent_id, "depth": category.depth},
    )


@router.delete("/product-categories/{int:category_id}", response={204: None, **ERRORS})
def category_delete(request, category_id: int):
    """409 ``category_not_empty`` while it has sub-categories or products."""
    services.category_delete(actor=request.employee, category_id=category_id)
    return Status(204, None)


class ProductQuery(Schema):
    q: str | None = None
    category_id: Id | None = None
    on_sale: bool | None = None
    page: int = 1
    page_size: int = 20


@router.get("/products", response={200: PageOut[ProductOut], **ERRORS})
def product_list(request, filters: Query[ProductQuery]):
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    return paginate(selectors.product_list(**data), page=page, page_size=page_size).as_dict(_product_out)


@router.post("/products", response={201: ProductOut, **ERRORS})
def product_create(request, payload: ProductIn):
    """409 ``duplicate_sku``; 422 without a category."""
    return Status(201, _product_out(services.product_create(actor=request.employee, **payload.dict())))


class ProductExportQuery(Schema):
    q: str | None = None
    category_id: Id | None = None
    on_sale: bool | None = None


@router.get("/products/export", response={200: None, **ERRORS})
def product_export(request, filters: Query[ProductExportQuery]):
    """xlsx of the products ``GET /products`` would list for the same filters, every page: 产品名称,
    产品分类 (full path), 产品编码, 规格, 单位, 标准价格, 状态, 描述 — the import's columns. Any
    employee may export (products are readable by all); over 100,000 → 409 ``export_too_large``."""
    return exports.product_export(actor=request.employee, **filters.dict())


@router.post("/products/imports", response={202: ImportJobOut, **ERRORS})
def product_import(request, file: File[UploadedFile]):
    """Import products from xlsx / xls / csv (``product.manage``) in the background; poll
    ``GET /imports/{id}``, failed rows with their 失败原因 at ``GET /imports/{id}/failures``.
    Categories must exist (full path "软件/CRM" or a unique name); SKUs unique."""
    job = imports.import_start(
        actor=request.employee,
        kind="product",
        file_name=file.name,
        content=imports.validate_upload(file),
    )
    return Status(202, job_out(job))


@router.patch("/products/{int:product_id}", response={200: ProductOut, **ERRORS})
def product_update(request, product_id: int, payload: ProductPatch):
    """Editing a product never changes the lines that already reference it (PROD-04)."""
    return _product_out(
        services.product_update(
            actor=request.employee, product_id=product_id, **payload.dict(exclude_unset=True)
        )
    )


# ---------------------------------------------------------------- orders


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
    return _order_out(selectors.order_get(actor=request.employee, order_id=order_id))


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
