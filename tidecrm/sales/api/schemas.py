"""The Schema classes of the sales API: request bodies (``*In``, ``*Patch``), query strings
(``*Query``) and responses (``*Out``) of stages, opportunities, products, contracts with their
payment plans, payments and invoices, approvals and orders (OPP-01..13, CON-01..07, PROD-01..04,
ORD-01, OFF-08). A class name is its OpenAPI component name: rename one only on purpose."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from tidecrm.core.api import DatetimeIn, Id, enum_of
from tidecrm.customers.models import Followup
from tidecrm.office.models import ApprovalRequest

from ..models import Contract, Invoice, Opportunity, Order

# The ``status`` of a payment plan is computed (sales.selectors), not stored: these are its values.
PLAN_STATUSES = ("unpaid", "partial", "paid", "overdue")


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
    status: str = enum_of(Opportunity.Status.choices)
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
    status: str | None = enum_of(Opportunity.Status.choices, None)
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
    method: str = enum_of(Followup.Method.choices, Followup.Method.CALL)
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
    status: str = enum_of(Contract.Status.choices)
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
    status: str | None = enum_of(Contract.Status.choices, None)
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
    status: str = enum_of(PLAN_STATUSES)
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
    type: str = enum_of(Invoice.Type.choices, Invoice.Type.NORMAL)
    title: str = Field("", max_length=100)
    tax_number: str = Field("", max_length=30)
    number: str = Field("", max_length=40)
    issued_on: date | None = None


class InvoiceOut(Schema):
    id: int
    amount: str
    type: str = enum_of(Invoice.Type.choices)
    title: str
    tax_number: str
    number: str
    issued_on: date | None
    status: str = enum_of(Invoice.Status.choices)


class ApprovalOut(Schema):
    id: int
    object_type: str
    object_id: int
    title: str
    initiator_id: int
    current_level: int
    levels: list[list[int]]
    status: str = enum_of(ApprovalRequest.Status.choices)
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
    status: str = enum_of(Order.Status.choices)


class ProductQuery(Schema):
    q: str | None = None
    category_id: Id | None = None
    on_sale: bool | None = None
    page: int = 1
    page_size: int = 20


class ProductExportQuery(Schema):
    q: str | None = None
    category_id: Id | None = None
    on_sale: bool | None = None
