"""Sales API: the permission matrix (STYLE habit 9) over every route of ``tidecrm/sales/api``.

Each route answers every caller right: anonymous 401; a 普通员工 without the function
permission 403 (404 when the route names a record the 普通员工 may not even see); an employee
with every sales permission but the data scope 本人, naming a record another salesperson owns,
404; that salesperson and the super admin 2xx; and a record of the other enterprise 404. A
refusal changes nothing. The enterprise has no sales settings API (合同设置 is a page only).
"""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tests.matrix import Case, call, module_world, scoped_out_employee, snapshot, uncovered_routes
from tidecrm.core.models import ImportJob, TimelineEvent
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers.models import Followup
from tidecrm.office.models import ApprovalRequest
from tidecrm.sales import services
from tidecrm.sales.models import Product, ProductCategory
from tidecrm.sales.permissions import SALES

from . import support

NOT_FOUND = (404, "not_found")
DENIED = (403, "permission_denied")
# Records a data scope decides on: a customer, and what follows its owner.
SCOPED_KINDS = {"customer", "opportunity", "contract", "order"}
EVERY_SALES_PERMISSION = [
    *SALES,
    "opportunity.delete",
    "opportunity.settings",
    "product.manage",
    "contract.void",
    "contract.settings",
    "order.create",
]


@dataclass
class S(Case):
    """A sales case. The path names records as ``{opportunity}``, ``{draft}``, ... of world[side];
    a callable body is given those ids too, so a body that names a customer names the other
    enterprise's on the foreign side."""

    member: tuple | None = DENIED  # what a 普通员工 gets; None: the route is open to every employee
    upload: bool = False  # a multipart file upload instead of a JSON body

    def url(self, world, side="own"):
        return self.path.format(**world[side])

    def payload(self, world, side="own"):
        return self.body(world[side]) if callable(self.body) else self.body

    @property
    def scoped(self):
        return self.record in SCOPED_KINDS


PRODUCT_CSV = "名称,分类,SKU\n矩阵产品,{category},MX-1\n"


def _send(client, case, world, side="own"):
    if not case.upload:
        return call(client, case, world, side)
    content = PRODUCT_CSV.format(category=world["category_name"]).encode()
    return client.client.post(
        f"/api/v1{case.url(world, side)}",
        {"file": SimpleUploadedFile("产品.csv", content)},
        **client._headers(),
    )


def _populate(admin, prefix):
    """Records of every kind the sales routes name, in ``admin``'s enterprise, owned by a
    salesperson (so that a 本人-scoped caller cannot see them). Orders are switched on; the
    contract approval has ``admin`` as its one approver once the approved contract is made."""
    rep = factories.employee(admin, name=f"{prefix}销售", role_keys=("sales_manager",))
    with tenant_context(admin.tenant):
        settings = services.sales_settings()
        settings.orders_enabled = True
        settings.save()
        customer = support.customer(rep, name=f"{prefix}客户有限公司")
        opportunity = support.opportunity(rep, customer, name=f"{prefix}商机")
        won = support.opportunity(rep, customer, name=f"{prefix}已赢商机")
        services.opportunity_win(actor=rep, opportunity_id=won.pk)
        draft = support.contract(rep, customer, title=f"{prefix}草稿合同")
        approved = support.effective_contract(rep, customer, title=f"{prefix}生效合同")
        support.configure_approval(admin, level1=[admin])
        # Submitted by the admin: only the initiator may withdraw it.
        pending = support.contract(admin, customer, title=f"{prefix}审批中合同")
        services.contract_submit(actor=admin, contract_id=pending.pk)
        approval = ApprovalRequest.objects.get(object_type="contract", object_id=pending.pk)
        orders = [services.order_create(actor=rep, customer_id=customer.pk, amount="1000") for _ in range(3)]
        for order, steps in zip(orders[1:], (["confirm"], ["confirm", "ship"]), strict=True):
            for step in steps:
                services.order_transition(actor=rep, order_id=order.pk, action=step)
        category = services.category_create(actor=admin, name=f"{prefix}分类")
        empty = services.category_create(actor=admin, name=f"{prefix}空分类")
        product = services.product_create(
            actor=admin, name=f"{prefix}产品", category_id=category.pk, price="100"
        )
        spare = services.stage_create(actor=admin, name=f"{prefix}空阶段")
        return rep, {
            "customer": customer.pk,
            "opportunity": opportunity.pk,
            "won": won.pk,
            "draft": draft.pk,
            "approved": approved.pk,
            "pending": pending.pk,
            "approval": approval.pk,
            "order": orders[0].pk,
            "confirmed_order": orders[1].pk,
            "shipped_order": orders[2].pk,
            "category": category.pk,
            "empty_category": empty.pk,
            "product": product.pk,
            "stage": services.stages()[0].pk,
            "spare_stage": spare.pk,
        }


def _build():
    """Two enterprises with every kind of sales record, a 普通员工 and a 本人-scoped salesperson."""
    owner = factories.enterprise(name="矩阵销售企业")
    other_enterprise = factories.enterprise(name="矩阵外企")
    rep, own = _populate(owner, "本企业")
    _foreign_rep, foreign = _populate(other_enterprise, "外企")
    return {
        "owner": owner,
        "member": factories.employee(owner, name="普通员工", role_keys=("member",)),
        "scoped_out": scoped_out_employee(
            owner,
            name="本人范围销售",
            permissions=EVERY_SALES_PERMISSION,
            modules=("customer", "opportunity", "contract"),
        ),
        "rep": rep,
        "own": own,
        "foreign": foreign,
        "foreign_tenant": other_enterprise.tenant,
        "category_name": "本企业分类",
    }


# Built once for the module; each test's changes roll back (see tests.matrix.module_world).
shared_world = module_world(_build)


@pytest.fixture
def world(db, shared_world):
    return shared_world


PAYMENT = {"amount": "100", "received_on": "2026-12-01"}
INVOICE = {"amount": "100"}

CASES = [
    # stages (OPP-04)
    S("get", "/opportunity-stages", member=None),
    S("post", "/opportunity-stages", {"name": "新阶段", "win_probability": 30}, "opportunity.settings"),
    S("patch", "/opportunity-stages/{stage}", {"name": "改名阶段"}, "opportunity.settings", "stage"),
    S("delete", "/opportunity-stages/{spare_stage}", permission="opportunity.settings", record="stage"),
    # opportunities
    S("get", "/opportunities", member=None),
    S(
        "post",
        "/opportunities",
        lambda ids: {"name": "新商机", "customer_id": ids["customer"]},
        "opportunity.create",
        "customer",
    ),
    S("get", "/opportunities/{opportunity}", record="opportunity", member=NOT_FOUND),
    S("patch", "/opportunities/{opportunity}", {"note": "改"}, "opportunity.create", "opportunity"),
    S("delete", "/opportunities/{opportunity}", permission="opportunity.delete", record="opportunity"),
    S("post", "/opportunities/{opportunity}/win", {}, "opportunity.create", "opportunity"),
    S("post", "/opportunities/{opportunity}/lose", {"reason": "价格"}, "opportunity.create", "opportunity"),
    S("post", "/opportunities/{won}/reopen", {}, "opportunity.create", "opportunity"),
    S("get", "/opportunities/{opportunity}/stage-history", record="opportunity", member=NOT_FOUND),
    S(
        "post",
        "/opportunities/{opportunity}/followups",
        {"content": "电话沟通"},
        record="opportunity",
        member=NOT_FOUND,
    ),
    # contracts
    S("get", "/contracts", member=None),
    S(
        "post",
        "/contracts",
        lambda ids: {"customer_id": ids["customer"], "title": "新合同", "amount": "5000"},
        "contract.create",
        "customer",
    ),
    S("get", "/contracts/{draft}", record="contract", member=NOT_FOUND),
    S("patch", "/contracts/{draft}", {"remark": "改"}, "contract.create", "contract"),
    S("post", "/contracts/{draft}/submit", {}, "contract.create", "contract"),
    S("post", "/contracts/{pending}/withdraw", {}, record="contract", member=NOT_FOUND),
    S("post", "/contracts/{draft}/void", {"reason": "作废"}, "contract.void", "contract"),
    # a contract's money (CON-05..07)
    S("get", "/contracts/{approved}/payment-plans", record="contract", member=NOT_FOUND),
    S(
        "post",
        "/contracts/{approved}/payment-plans",
        {"due_on": "2027-01-01", "amount": "100"},
        "payment.create",
        "contract",
    ),
    S("get", "/contracts/{approved}/payments", record="contract", member=NOT_FOUND),
    S("post", "/contracts/{approved}/payments", PAYMENT, "payment.create", "contract"),
    S("get", "/contracts/{approved}/invoices", record="contract", member=NOT_FOUND),
    S("post", "/contracts/{approved}/invoices", INVOICE, "payment.create", "contract"),
    # approvals: the function permission is being the current level's approver; a request about
    # a contract the caller may not see (and is no part of) is 404
    S("get", "/approvals", member=None),
    S("post", "/approvals/{approval}/approve", {}, record="approval", member=NOT_FOUND),
    S(
        "post",
        "/approvals/{approval}/reject",
        {"comment": "不行"},
        record="approval",
        member=NOT_FOUND,
    ),
    # products (PROD-01/02/04)
    S("get", "/product-categories", member=None),
    S(
        "post",
        "/product-categories",
        lambda ids: {"name": "新分类", "parent_id": ids["category"]},
        "product.manage",
        "category",
    ),
    S("delete", "/product-categories/{empty_category}", permission="product.manage", record="category"),
    S("get", "/products", member=None),
    S(
        "post",
        "/products",
        lambda ids: {"name": "新产品", "category_id": ids["category"], "price": "9.90"},
        "product.manage",
    ),
    S("get", "/products/export", member=None),
    S("post", "/products/imports", permission="product.manage", upload=True, ok=(202,)),
    S("patch", "/products/{product}", {"price": "88"}, "product.manage", "product"),
    # orders (ORD-01), switched on
    S("get", "/orders", member=None),
    S(
        "post",
        "/orders",
        lambda ids: {"customer_id": ids["customer"], "amount": "300"},
        "order.create",
        "customer",
    ),
    S("get", "/orders/{order}", record="order", member=NOT_FOUND),
    S("post", "/orders/{order}/payments", PAYMENT, "payment.create", "order"),
    S("post", "/orders/{order}/invoices", INVOICE, "payment.create", "order"),
    S("post", "/orders/{order}/confirm", {}, "order.create", "order"),
    S("post", "/orders/{order}/reject", {}, "order.create", "order"),
    S("post", "/orders/{confirmed_order}/ship", {}, "order.create", "order"),
    S("post", "/orders/{shipped_order}/complete", {}, "order.create", "order"),
    S("post", "/orders/{order}/void", {}, "order.create", "order"),
]

MODELS = (
    *support.SNAPSHOT_MODELS,
    Product,
    ProductCategory,
    Followup,
    ImportJob,
    TimelineEvent,
)


def _snapshot(tenant):
    return snapshot(tenant, MODELS)


def test_every_sales_route_has_a_row():
    assert uncovered_routes("sales", [(c.method, c.path) for c in CASES]) == []


def _answer(response):
    return response.status_code, response.json().get("code")


RECORD_KEYS = (
    *("customer", "opportunity", "won", "draft", "approved", "pending", "approval"),
    *("order", "confirmed_order", "shipped_order", "category", "empty_category", "product"),
    *("stage", "spare_stage"),
)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_anonymous_gets_401(case, db, api):
    # Refused before any lookup: the ids need not exist, so no world is built.
    response = _send(api(), case, {"own": dict.fromkeys(RECORD_KEYS, 1), "category_name": "分类"})
    assert _answer(response) == (401, "not_authenticated"), response.content


@pytest.mark.parametrize("case", [c for c in CASES if c.member], ids=str)
def test_without_permission_gets_403_and_changes_nothing(case, world, api):
    before = _snapshot(world["owner"].tenant)
    response = _send(api(world["member"]), case, world)
    assert _answer(response) == case.member, response.content
    assert _snapshot(world["owner"].tenant) == before


@pytest.mark.parametrize("case", [c for c in CASES if c.scoped], ids=str)
def test_scoped_out_record_is_404_and_untouched(case, world, api):
    """Every sales permission, data scope 本人: another salesperson's record is not there."""
    before = _snapshot(world["owner"].tenant)
    response = _send(api(world["scoped_out"]), case, world)
    assert _answer(response) == NOT_FOUND, response.content
    assert _snapshot(world["owner"].tenant) == before


@pytest.mark.parametrize(
    "path", ["/opportunities", "/contracts", "/orders", "/approvals"], ids=lambda path: path
)
def test_scoped_out_lists_leave_others_records_out(path, world, api):
    response = api(world["scoped_out"]).get(path)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["items"] if isinstance(body, dict) else body) == []


@pytest.mark.parametrize("case", CASES, ids=str)
def test_allowed_caller_succeeds(case, world, api):
    response = _send(api(world["owner"]), case, world)
    assert response.status_code in case.ok, response.content


# The pending contract was submitted by the admin, and only the initiator withdraws.
@pytest.mark.parametrize("case", [c for c in CASES if c.scoped and "withdraw" not in c.path], ids=str)
def test_scoped_in_owner_succeeds(case, world, api):
    """The salesperson who owns the records (销售经理: every permission these routes check)."""
    response = _send(api(world["rep"]), case, world)
    assert response.status_code in case.ok, response.content


@pytest.mark.parametrize("case", [c for c in CASES if c.record], ids=str)
def test_other_enterprise_record_is_404_and_untouched(case, world, api):
    before = _snapshot(world["foreign_tenant"])
    response = _send(api(world["owner"]), case, world, side="foreign")
    assert _answer(response) == NOT_FOUND, response.content
    assert _snapshot(world["foreign_tenant"]) == before


def test_orders_switched_off_answer_feature_disabled(world, api):
    """The switch (ORD-04) closes reads and writes alike, before any record is looked up."""
    with tenant_context(world["owner"].tenant):
        settings = services.sales_settings()
        settings.orders_enabled = False
        settings.save()
    before = _snapshot(world["owner"].tenant)
    client = api(world["owner"])
    for case in [c for c in CASES if c.path.startswith("/orders")]:
        assert _answer(_send(client, case, world)) == (403, "feature_disabled"), case
    assert _snapshot(world["owner"].tenant) == before


def test_an_approval_decided_by_the_approver_is_gone_from_the_list(world, api):
    """The allowed approve really decides: the to-do list empties and the contract takes effect."""
    client = api(world["owner"])
    assert [a["id"] for a in client.get("/approvals").json()] == [world["own"]["approval"]]
    assert client.post(f"/approvals/{world['own']['approval']}/approve", {}).status_code == 200
    assert client.get("/approvals").json() == []
    assert client.get(f"/contracts/{world['own']['pending']}").json()["status"] == "approved"
