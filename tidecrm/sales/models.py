"""Sales (SPEC 9–12): opportunity stages and opportunities with an immutable stage history,
products and categories, contracts with numbering and approval, payment plans, payments,
invoices, and orders behind a feature switch. Money is ``Decimal`` with two places."""

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tidecrm.core import clock
from tidecrm.core.models import TenantModel

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


def _employee_fk(**kwargs):
    return models.ForeignKey(
        "org.Employee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        **kwargs,
    )


class OpportunityStage(TenantModel):
    """商机阶段 (OPP-04): ordered, each with a win probability; the last one is the won stage."""

    MIN, MAX = 2, 20
    DEFAULTS = (("初步沟通", 10), ("需求确定", 30), ("方案/报价", 50), ("谈判审核", 70), ("成交", 100))

    name = models.CharField(_("阶段名称"), max_length=20)
    position = models.PositiveSmallIntegerField(default=0)
    win_probability = models.PositiveSmallIntegerField(_("成交概率"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="opportunity_stage_unique_name")
        ]

    def __str__(self):
        return self.name


class Opportunity(TenantModel):
    """An opportunity (商机, OPP-01..14) on a customer, followed by the customer's owner (OPP-03).

    ``status`` follows the OPP-09 state machine: ``open`` (未成交) → ``won`` (赢单: moved to the
    last, won stage, OPP-05) or ``lost`` (输单: stage kept, ``lose_reason``, OPP-07), and back to
    ``open`` by 取消赢单 / 取消输单 (OPP-06/08), which clears ``closed_on`` and ``closed_by``; any
    other move is ``invalid_transition``, and only an open one is edited. It is created only on an
    owned customer the caller may change. Every stage it enters is a :class:`StageHistory` row
    (BEYOND-06).

    It follows its customer's owner (sales.hooks, POOL-14): released into the pool with it
    (``owner`` cleared, ``released_owner`` remembered, OPP-14), handed to whoever claims, is assigned
    or restores it, moved on transfer and inheritance. Deletion is soft (``deleted_at``, OPP-10) and
    refused while a non-void contract names it (``opportunity_has_contract``). Each create, status
    change and delete recomputes the customer's ``deal_status`` and ``has_won`` (CUST-09)."""

    class Status(models.TextChoices):
        OPEN = "open", _("未成交")
        WON = "won", _("赢单")
        LOST = "lost", _("输单")

    name = models.CharField(_("商机名称"), max_length=100)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    owner = _employee_fk()  # 跟进人 = the customer's owner (OPP-03); None while released with it
    released_owner = _employee_fk()  # who held it when it went to the pool with its customer (OPP-14)
    stage = models.ForeignKey(OpportunityStage, on_delete=models.PROTECT, related_name="+", db_index=False)
    amount = models.DecimalField(_("商机金额"), default=ZERO, **MONEY)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    expected_close_date = models.DateField(_("预计成交日期"), null=True, blank=True)
    closed_on = models.DateField(_("结单日期"), null=True, blank=True)
    closed_by = _employee_fk()
    note = models.CharField(_("备注"), max_length=150, blank=True)
    lose_reason = models.CharField(_("输单原因"), max_length=200, blank=True)
    created_by = _employee_fk()
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "customer"], name="opportunity_customer"),
            models.Index(fields=["tenant", "owner", "status", "-created_at"], name="opportunity_owner"),
            # The kanban's newest per stage, and its count and amount per stage read from the
            # index alone (PostgreSQL; SQLite keeps the key columns only).
            models.Index(
                fields=["tenant", "stage", "status", "-updated_at", "-id"],
                name="opportunity_stage_recent",
                include=["amount", "owner", "deleted_at"],
            ),
            models.Index(fields=["tenant", "-created_at"], name="opportunity_recent"),
        ]

    def __str__(self):
        return self.name


class StageHistory(TenantModel):
    """Immutable record of an opportunity's stages: entered, left, by whom (BEYOND-06)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="+", db_index=False)
    stage = models.ForeignKey(
        OpportunityStage, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    stage_name = models.CharField(max_length=20)
    entered_at = models.DateTimeField(default=clock.now)
    entered_by = _employee_fk()
    left_at = models.DateTimeField(null=True, blank=True)
    left_by = _employee_fk()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "opportunity", "entered_at"], name="stage_history_opportunity")
        ]


class ProductCategory(TenantModel):
    """产品分类 (PROD-01): a tree of at most three levels, path "/1/4/"."""

    MAX_DEPTH = 3

    name = models.CharField(_("分类名称"), max_length=40)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    path = models.CharField(max_length=100, default="/")
    depth = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["path"]
        indexes = [models.Index(fields=["tenant", "path"], name="product_category_path")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "parent", "name"], name="product_category_unique"),
            models.UniqueConstraint(
                fields=["tenant", "name"],
                condition=Q(parent__isnull=True),
                name="product_category_unique_top",
            ),
        ]

    def __str__(self):
        return self.name


class Product(TenantModel):
    """A product (产品, PROD-01) in a :class:`ProductCategory`, kept by holders of ``product.manage``.

    The catalogue is the enterprise's, read by everyone in it. ``sku`` is optional but unique when
    given (``product_unique_sku``: ``duplicate_sku``). Only an on-sale product goes on an
    opportunity, contract or order line, and the line snapshots its name, unit and price (PROD-04),
    so editing a product or taking it off sale changes no existing line; its category cannot be
    deleted while it holds products (``category_not_empty``)."""

    name = models.CharField(_("产品名称"), max_length=100)
    category = models.ForeignKey(ProductCategory, on_delete=models.PROTECT, related_name="+", db_index=False)
    sku = models.CharField(_("产品编码"), max_length=40, blank=True)
    spec = models.CharField(_("规格"), max_length=100, blank=True)
    unit = models.CharField(_("单位"), max_length=10, blank=True)
    price = models.DecimalField(_("标准价格"), default=ZERO, **MONEY)
    on_sale = models.BooleanField(_("上架"), default=True)
    description = models.CharField(_("描述"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["tenant", "category"], name="product_category")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sku"], condition=~Q(sku=""), name="product_unique_sku")
        ]

    def __str__(self):
        return self.name


# ORD-02: the optional fields of the 新建订单 form, in their default display order (the customer
# is always first and required). ``ContractSettings.order_form`` orders them, hides some and
# marks some required; the keys are the form's fields, not the API's parameter names.
ORDER_FORM_FIELDS = {
    "contract": _("关联合同"),
    "order_date": _("下单日期"),
    "amount": _("订单金额"),
    "remark": _("备注"),
    "product_lines": _("产品明细"),
}


def default_order_form():
    """Return the default 新建订单 form layout (ORD-02): every field of ORDER_FORM_FIELDS,
    visible and optional, in display order."""
    return [{"field": field, "visible": True, "required": False} for field in ORDER_FORM_FIELDS]


class ContractSettings(TenantModel):
    """Per-enterprise sales settings: contract numbering, approval flow (CON-03), orders switch
    (ORD-04) and the order form layout (ORD-02)."""

    number_prefix = models.CharField(_("合同编号前缀"), max_length=10, default="HT")
    approval_enabled = models.BooleanField(default=False)
    level1_approver_ids = models.JSONField(default=list, blank=True)
    level2_approver_ids = models.JSONField(default=list, blank=True)
    cc_ids = models.JSONField(default=list, blank=True)
    orders_enabled = models.BooleanField(default=False)
    order_form = models.JSONField(default=default_order_form, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="contract_settings_one")]


class NumberSequence(TenantModel):
    """The next sequence number per (kind, day) for contract and order numbers."""

    kind = models.CharField(max_length=16)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "day"], name="number_sequence_one")]


class Contract(TenantModel):
    """A contract (合同, CON-01..09) of a customer, optionally made from one of its opportunities.

    ``number`` is ``<prefix><YYYYMMDD><sequence>``, unique per enterprise (CON-02); an opportunity
    has at most one non-void contract (``contract_one_per_opportunity``: ``opportunity_has_contract``).
    ``status``: ``draft`` is submitted to ``pending_approval`` when the enterprise has approvers
    (CON-03), else straight to ``approved`` (已生效); the approval ends it ``approved`` or
    ``rejected``, and its initiator may withdraw it back to ``draft``; any contract not yet void may
    be voided (a pending approval is withdrawn with it); anything else is ``invalid_transition``.
    Only a draft or rejected contract is edited or submitted. Taking effect moves the customer to the
    terminal progress stage.

    Payment plans go on any contract not void, payments and invoices on an approved one only, all
    within the caps of Q-43: Σ plans ≤ ``amount`` (``plan_exceeds_amount``), Σ invoiced ≤ ``amount``
    (``invoice_exceeds_amount``), Σ payments ≤ ``amount`` unless confirmed
    (``payment_exceeds_amount``); ``received_amount`` and ``invoiced_amount`` keep those sums. Its ``owner`` follows the customer's
    owner as an opportunity's does (``released_owner`` while in the pool, CON-09), and while it is
    pending the customer cannot be released (``contract_in_approval``)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PENDING = "pending_approval", _("审批中")
        APPROVED = "approved", _("已生效")
        REJECTED = "rejected", _("已驳回")
        VOID = "void", _("已作废")

    number = models.CharField(_("合同编号"), max_length=40)
    title = models.CharField(_("合同名称"), max_length=100)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    owner = _employee_fk()
    released_owner = _employee_fk()
    amount = models.DecimalField(_("合同金额"), **MONEY)
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    start_on = models.DateField(_("开始日期"), null=True, blank=True)
    end_on = models.DateField(_("结束日期"), null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    received_amount = models.DecimalField(default=ZERO, **MONEY)
    invoiced_amount = models.DecimalField(default=ZERO, **MONEY)
    remark = models.CharField(_("备注"), max_length=500, blank=True)
    created_by = _employee_fk()
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "customer"], name="contract_customer"),
            models.Index(fields=["tenant", "owner", "status", "-created_at"], name="contract_owner"),
            models.Index(fields=["tenant", "-created_at"], name="contract_recent"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="contract_unique_number"),
            # CON-01 / 004: one opportunity, at most one (non-void) contract.
            models.UniqueConstraint(
                fields=["tenant", "opportunity"],
                condition=Q(opportunity__isnull=False) & ~Q(status="void"),
                name="contract_one_per_opportunity",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def outstanding_amount(self):
        return self.amount - self.received_amount


class Order(TenantModel):
    """销售订单 (ORD-01), behind ``ContractSettings.orders_enabled``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        CONFIRMED = "confirmed", _("已确认")
        SHIPPED = "shipped", _("已发货")
        COMPLETED = "completed", _("已完成")
        REJECTED = "rejected", _("已驳回")
        VOID = "void", _("已作废")

    number = models.CharField(_("订单编号"), max_length=40)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    owner = _employee_fk()
    order_date = models.DateField(_("下单日期"), default=clock.today)
    amount = models.DecimalField(_("订单金额"), default=ZERO, **MONEY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    received_amount = models.DecimalField(default=ZERO, **MONEY)
    invoiced_amount = models.DecimalField(default=ZERO, **MONEY)
    remark = models.CharField(_("备注"), max_length=500, blank=True)
    created_by = _employee_fk()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "customer"], name="order_customer"),
            models.Index(fields=["tenant", "owner", "status", "-created_at"], name="order_owner"),
            models.Index(fields=["tenant", "-created_at"], name="order_recent"),
        ]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="order_unique_number")]

    def __str__(self):
        return self.number


class LineItem(TenantModel):
    """A product line on an opportunity, contract or order, with a snapshot of the product's
    name, unit and price at the time it was added (OPP-12, PROD-04)."""

    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    product = models.ForeignKey(
        Product, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    product_name = models.CharField(max_length=100)
    unit = models.CharField(max_length=10, blank=True)
    list_price = models.DecimalField(**MONEY)
    unit_price = models.DecimalField(**MONEY)
    quantity = models.DecimalField(max_digits=12, decimal_places=2)
    discount = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("100.00"))  # percent paid
    subtotal = models.DecimalField(**MONEY)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "opportunity"], name="line_opportunity"),
            models.Index(fields=["tenant", "contract"], name="line_contract"),
            models.Index(fields=["tenant", "order"], name="line_order"),
        ]


class PaymentPlan(TenantModel):
    """回款计划 (CON-05): one period of a contract or order."""

    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    period = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("计划回款日期"))
    amount = models.DecimalField(_("计划回款金额"), **MONEY)
    remark = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["period", "id"]
        indexes = [
            models.Index(fields=["tenant", "contract", "period"], name="plan_contract"),
            models.Index(fields=["tenant", "order", "period"], name="plan_order"),
        ]


class Payment(TenantModel):
    """回款记录 (CON-06)."""

    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    plan = models.ForeignKey(
        PaymentPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    amount = models.DecimalField(_("回款金额"), **MONEY)
    received_on = models.DateField(_("回款日期"))
    method = models.CharField(_("回款方式"), max_length=20, blank=True)
    remark = models.CharField(max_length=200, blank=True)
    created_by = _employee_fk()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["received_on", "id"]
        indexes = [
            models.Index(fields=["tenant", "contract", "received_on"], name="payment_contract"),
            models.Index(fields=["tenant", "order", "received_on"], name="payment_order"),
        ]


class Invoice(TenantModel):
    """开票 (CON-07): an application that becomes an issued invoice (number, date)."""

    class Type(models.TextChoices):
        NORMAL = "normal", _("增值税普通发票")
        SPECIAL = "special", _("增值税专用发票")
        ELECTRONIC = "electronic", _("电子普通发票")

    class Status(models.TextChoices):
        APPLIED = "applied", _("已申请")
        ISSUED = "issued", _("已开票")

    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    amount = models.DecimalField(_("开票金额"), **MONEY)
    type = models.CharField(_("发票类型"), max_length=12, choices=Type.choices, default=Type.NORMAL)
    title = models.CharField(_("发票抬头"), max_length=100, blank=True)
    tax_number = models.CharField(_("税号"), max_length=30, blank=True)
    number = models.CharField(_("发票号码"), max_length=40, blank=True)
    issued_on = models.DateField(_("开票日期"), null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.APPLIED)
    created_by = _employee_fk()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "contract"], name="invoice_contract"),
            models.Index(fields=["tenant", "order"], name="invoice_order"),
        ]
