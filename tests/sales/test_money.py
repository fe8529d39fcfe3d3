"""Money on contracts and orders (SPEC CON-05..07, ORD-01/04, Q-43): payment plans within the
amount, payments only on effective contracts with an over-payment confirmation, invoices within
the amount, derived plan statuses, and orders behind their feature switch."""

from datetime import date, datetime

import pytest

from tests import factories
from tidecrm.core import clock
from tidecrm.customers import services as customer_services
from tidecrm.office import approvals
from tidecrm.office.models import ApprovalRequest
from tidecrm.sales import selectors, services
from tidecrm.sales.access import access_order
from tidecrm.sales.models import Contract, Order

from . import support
from .support import D, fresh, refused

CStatus, OStatus = Contract.Status, Order.Status


@pytest.fixture
def people(bound):
    return support.make_people(bound)


@pytest.fixture
def customer(people):
    return support.customer(people["rep"])


@pytest.fixture
def effective(people, customer):
    """An effective (approved) contract of 10 000.00 held by 销售甲."""
    return support.effective_contract(people["rep"], customer, amount="10000")


def plan(actor, target, amount, due_on=date(2031, 6, 30), **kwargs):
    return services.plan_add(actor=actor, contract_id=target.pk, amount=amount, due_on=due_on, **kwargs)


def pay(actor, target, amount, received_on=date(2031, 6, 1), **kwargs):
    return services.payment_add(
        actor=actor, contract_id=target.pk, amount=amount, received_on=received_on, **kwargs
    )


def invoice(actor, target, amount, **kwargs):
    return services.invoice_add(actor=actor, contract_id=target.pk, amount=amount, **kwargs)


# ---------------------------------------------------------------- payment plans (CON-05)


def test_plans_sum_up_to_the_amount_and_no_further(people, effective):
    rep = people["rep"]
    first = plan(rep, effective, "4000")
    second = plan(rep, effective, "6000")
    assert (first.period, second.period) == (1, 2)
    refused("plan_exceeds_amount", plan, actor=rep, target=effective, amount="0.01")


def test_a_plan_over_the_remaining_amount_is_refused(people, effective):
    rep = people["rep"]
    plan(rep, effective, "9000")
    error = refused("plan_exceeds_amount", plan, actor=rep, target=effective, amount="1000.01")
    assert "9000" in error.message


def test_plans_may_be_added_to_a_draft_but_not_a_void_contract(people, customer):
    rep = people["rep"]
    draft = support.contract(rep, customer, amount="500")
    plan(rep, draft, "500")
    services.contract_void(actor=people["admin"], contract_id=draft.pk)
    refused("invalid_transition", plan, actor=rep, target=draft, amount="1")


def test_lowering_the_amount_below_the_plans_is_refused(people, customer):
    rep = people["rep"]
    draft = support.contract(rep, customer, amount="1000")
    plan(rep, draft, "800")
    refused("plan_exceeds_amount", services.contract_update, actor=rep, contract_id=draft.pk, amount="799.99")
    services.contract_update(actor=rep, contract_id=draft.pk, amount="800")
    assert fresh(draft).amount == D("800.00")


@pytest.mark.parametrize("amount", ["0", "-1", "0.001", "abc", None])
def test_amounts_must_be_positive(people, effective, amount):
    rep = people["rep"]
    refused("validation_error", plan, 422, actor=rep, target=effective, amount=amount)
    refused("validation_error", pay, 422, actor=rep, target=effective, amount=amount)
    refused("validation_error", invoice, 422, actor=rep, target=effective, amount=amount)


def test_dates_are_required(people, effective):
    rep = people["rep"]
    refused("validation_error", plan, 422, actor=rep, target=effective, amount="1", due_on=None)
    refused("validation_error", pay, 422, actor=rep, target=effective, amount="1", received_on=None)


# ---------------------------------------------------------------- payments (CON-06)


@pytest.mark.parametrize("status", ["draft", "pending_approval", "rejected", "void"])
def test_payments_and_invoices_only_on_effective_contracts(people, customer, status):
    rep, admin = people["rep"], people["admin"]
    approver = factories.employee(admin, name="审批人")
    made = support.contract(rep, customer)
    if status in ("pending_approval", "rejected"):
        support.configure_approval(admin, level1=[approver])
        services.contract_submit(actor=rep, contract_id=made.pk)
        if status == "rejected":
            request = ApprovalRequest.objects.get(object_id=made.pk)
            approvals.decide(actor=approver, request_id=request.pk, approve=False, comment="预算不足")
    elif status == "void":
        services.contract_void(actor=admin, contract_id=made.pk)
    assert fresh(made).status == status
    refused("invalid_transition", pay, actor=rep, target=made, amount="100")
    refused("invalid_transition", invoice, actor=rep, target=made, amount="100")


def test_received_outstanding_and_invoiced_amounts(people, effective):
    rep = people["rep"]
    assert (effective.received_amount, effective.outstanding_amount, effective.invoiced_amount) == (
        D("0"),
        D("10000"),
        D("0"),
    )
    pay(rep, effective, "1234.56", method="银行转账")
    pay(rep, effective, "765.44")
    invoice(rep, effective, "3000", title="甲公司", number="NO1", issued_on=date(2031, 6, 2))
    fresh(effective)
    assert effective.received_amount == D("2000.00")
    assert effective.outstanding_amount == D("8000.00")
    assert effective.invoiced_amount == D("3000.00")
    money = selectors.money_of(contract=effective)
    assert [p.amount for p in money["payments"]] == [D("1234.56"), D("765.44")]
    assert [(i.amount, i.status) for i in money["invoices"]] == [(D("3000.00"), "issued")]


def test_over_payment_needs_confirmation(people, effective):
    rep = people["rep"]
    pay(rep, effective, "9000")
    pay(rep, effective, "1000")  # exactly the amount: no confirmation needed
    error = refused("payment_exceeds_amount", pay, actor=rep, target=effective, amount="0.01")
    assert "10000.01" in error.message
    pay(rep, effective, "500", confirm_overpay=True)
    fresh(effective)
    assert (effective.received_amount, effective.outstanding_amount) == (D("10500.00"), D("-500.00"))


def test_a_payment_names_a_plan_of_the_same_contract(people, customer, effective):
    rep = people["rep"]
    other = support.effective_contract(rep, customer, amount="100")
    foreign = plan(rep, other, "100")
    refused("validation_error", pay, 422, actor=rep, target=effective, amount="10", plan_id=foreign.pk)


def test_someone_else_cannot_record_money_on_a_contract(people, effective):
    rep2 = people["rep2"]
    refused("not_found", plan, 404, actor=rep2, target=effective, amount="1")
    refused("not_found", pay, 404, actor=rep2, target=effective, amount="1")
    refused("not_found", invoice, 404, actor=rep2, target=effective, amount="1")


# ---------------------------------------------------------------- invoices (CON-07)


def test_invoices_sum_up_to_the_amount_and_no_further(people, effective):
    rep = people["rep"]
    applied = invoice(rep, effective, "6000", type="special", tax_number="91310000MA1")
    assert applied.status == "applied"
    invoice(rep, effective, "4000", type="electronic")
    refused("invoice_exceeds_amount", invoice, actor=rep, target=effective, amount="0.01")
    refused("validation_error", invoice, 422, actor=rep, target=effective, amount="1", type="receipt")
    assert fresh(effective).invoiced_amount == D("10000.00")


# ---------------------------------------------------------------- plan statuses


def statuses(target):
    return [(p.period, p.state, str(p.state_label)) for p in selectors.money_of(contract=target)["plans"]]


def test_plan_statuses(people, effective):
    rep = people["rep"]
    with clock.frozen(datetime(2031, 5, 1, 9, 0)):
        p1 = plan(rep, effective, "1000", due_on=date(2031, 5, 31))
        p2 = plan(rep, effective, "2000", due_on=date(2031, 6, 30))
        p3 = plan(rep, effective, "3000", due_on=date(2031, 7, 31))
        plan(rep, effective, "4000", due_on=date(2031, 8, 31))
        pay(rep, effective, "1000", plan_id=p1.pk)
        pay(rep, effective, "500", plan_id=p2.pk)
        pay(rep, effective, "300", plan_id=p3.pk)
        pay(rep, effective, "200")  # no period: counts for the contract only
        assert statuses(effective) == [
            (1, "paid", "已回款"),
            (2, "partial", "部分回款"),
            (3, "partial", "部分回款"),
            (4, "unpaid", "未回款"),
        ]
    with clock.frozen(datetime(2031, 7, 31, 23, 0)):  # the due day itself is not overdue
        assert [s for _p, s, _l in statuses(effective)] == ["paid", "overdue", "partial", "unpaid"]
    with clock.frozen(datetime(2031, 9, 1, 9, 0)):
        assert statuses(effective) == [
            (1, "paid", "已回款"),
            (2, "overdue", "逾期"),
            (3, "overdue", "逾期"),
            (4, "overdue", "逾期"),
        ]
        pay(rep, effective, "1500", plan_id=p2.pk)
        assert [s for _p, s, _l in statuses(effective)] == ["paid", "paid", "overdue", "overdue"]


# ---------------------------------------------------------------- orders (ORD-01, ORD-04)


def orders_on(enabled=True):
    settings = services.sales_settings()
    settings.orders_enabled = enabled
    settings.save()


def new_order(actor, customer, **values):
    values.setdefault("amount", "2000")
    return services.order_create(actor=actor, customer_id=customer.pk, **values)


def test_orders_are_off_until_enabled(people, customer):
    admin = people["admin"]
    refused("feature_disabled", new_order, 403, actor=admin, customer=customer)
    orders_on()
    made = new_order(admin, customer)
    assert (made.status, made.amount, made.owner_id) == (OStatus.PENDING, D("2000.00"), people["rep"].pk)
    assert made.number.startswith("DD")


def test_switching_orders_off_stops_work_on_existing_orders(people, customer):
    admin = people["admin"]
    orders_on()
    made = new_order(admin, customer)
    orders_on(False)
    refused(
        "feature_disabled", services.order_transition, 403, actor=admin, order_id=made.pk, action="confirm"
    )
    refused(
        "feature_disabled",
        services.payment_add,
        403,
        actor=admin,
        order_id=made.pk,
        amount="1",
        received_on=date(2031, 1, 1),
    )
    # Reads too (the API's list and detail, not only the pages).
    refused("feature_disabled", selectors.order_list, 403, actor=admin)
    refused("feature_disabled", lambda: access_order(admin, made.pk), 403)


def test_a_salesperson_without_order_permission_cannot_create(people, customer):
    orders_on()
    refused("permission_denied", new_order, 403, actor=people["rep"], customer=customer)


def test_order_amount_from_lines(people, customer):
    admin = people["admin"]
    orders_on()
    item = support.product(admin, "软件", price="300")
    made = new_order(admin, customer, amount=None, product_lines=[{"product_id": item.pk, "quantity": 3}])
    assert made.amount == D("900.00")
    assert [line.product_name for line in selectors.lines_of(order=made)] == ["软件"]


def test_an_order_contract_must_be_the_customers(people, customer):
    admin, rep = people["admin"], people["rep"]
    orders_on()
    elsewhere = support.contract(rep, support.customer(rep))
    refused("validation_error", new_order, 422, actor=admin, customer=customer, contract_id=elsewhere.pk)
    mine = support.contract(rep, customer)
    assert new_order(admin, customer, contract_id=mine.pk).contract_id == mine.pk


@pytest.mark.parametrize(
    "path, refused_actions",
    [
        (["confirm", "ship", "complete"], ["confirm", "ship", "complete", "reject", "void"]),
        (["reject"], ["confirm", "ship", "complete", "reject", "void"]),
        (["void"], ["confirm", "ship", "complete", "reject", "void"]),
        (["confirm", "void"], ["confirm", "ship", "complete", "reject", "void"]),
        (["confirm", "ship", "void"], ["confirm", "ship", "complete", "reject", "void"]),
    ],
)
def test_order_transitions(people, customer, path, refused_actions):
    admin = people["admin"]
    orders_on()
    made = new_order(admin, customer)
    for action in path:
        services.order_transition(actor=admin, order_id=made.pk, action=action)
    final = fresh(made).status
    for action in refused_actions:
        refused("invalid_transition", services.order_transition, actor=admin, order_id=made.pk, action=action)
    assert fresh(made).status == final


def test_order_steps_are_checked(people, customer):
    admin = people["admin"]
    orders_on()
    made = new_order(admin, customer)
    for action in ("ship", "complete"):
        refused("invalid_transition", services.order_transition, actor=admin, order_id=made.pk, action=action)
    refused(
        "validation_error", services.order_transition, 422, actor=admin, order_id=made.pk, action="explode"
    )
    services.order_transition(actor=admin, order_id=made.pk, action="confirm")
    refused("invalid_transition", services.order_transition, actor=admin, order_id=made.pk, action="reject")


def test_payments_plans_and_invoices_on_orders(people, customer):
    admin = people["admin"]
    orders_on()
    made = new_order(admin, customer, amount="1000")
    services.order_transition(actor=admin, order_id=made.pk, action="confirm")
    first = services.plan_add(actor=admin, order_id=made.pk, amount="600", due_on=date(2031, 1, 1))
    services.plan_add(actor=admin, order_id=made.pk, amount="400", due_on=date(2031, 2, 1))
    refused(
        "plan_exceeds_amount",
        services.plan_add,
        actor=admin,
        order_id=made.pk,
        amount="1",
        due_on=date(2031, 3, 1),
    )
    services.payment_add(
        actor=admin, order_id=made.pk, amount="600", received_on=date(2031, 1, 1), plan_id=first.pk
    )
    refused(
        "payment_exceeds_amount",
        services.payment_add,
        actor=admin,
        order_id=made.pk,
        amount="400.01",
        received_on=date(2031, 1, 2),
    )
    services.invoice_add(actor=admin, order_id=made.pk, amount="1000")
    refused("invoice_exceeds_amount", services.invoice_add, actor=admin, order_id=made.pk, amount="1")
    fresh(made)
    assert (made.received_amount, made.invoiced_amount) == (D("600.00"), D("1000.00"))
    with clock.frozen(datetime(2031, 1, 15, 9, 0)):
        money = selectors.money_of(order=made)
        assert [p.state for p in money["plans"]] == ["paid", "unpaid"]


@pytest.mark.parametrize("action", ["reject", "void"])
def test_no_money_on_a_rejected_or_void_order(people, customer, action):
    admin = people["admin"]
    orders_on()
    made = new_order(admin, customer, amount="1000")
    services.order_transition(actor=admin, order_id=made.pk, action=action)
    refused(
        "invalid_transition",
        services.payment_add,
        actor=admin,
        order_id=made.pk,
        amount="1",
        received_on=date(2031, 1, 1),
    )
    refused("invalid_transition", services.invoice_add, actor=admin, order_id=made.pk, amount="1")
    refused(
        "invalid_transition",
        services.plan_add,
        actor=admin,
        order_id=made.pk,
        amount="1",
        due_on=date(2031, 1, 1),
    )


def test_orders_of_others_are_404(people, customer):
    admin, rep2 = people["admin"], people["rep2"]
    orders_on()
    made = new_order(admin, customer)
    refused(
        "not_found",
        services.payment_add,
        404,
        actor=rep2,
        order_id=made.pk,
        amount="1",
        received_on=date(2031, 1, 1),
    )


def test_read_only_collaborators_look_at_contracts_and_orders_but_record_no_money(
    people, customer, effective
):
    rep, rep2 = people["rep"], people["rep2"]
    customer_services.collaborator_set(actor=rep, customer_id=customer.pk, employee_id=rep2.pk, access="read")
    refused("permission_denied", pay, 403, actor=rep2, target=effective, amount="1")
    orders_on()
    made = new_order(people["admin"], customer)
    refused(
        "permission_denied",
        services.payment_add,
        403,
        actor=rep2,
        order_id=made.pk,
        amount="1",
        received_on=date(2031, 1, 1),
    )
    assert access_order(rep2, made.pk) == made  # looking is allowed


def test_an_order_cannot_name_a_void_contract(people, customer, effective):
    orders_on()
    services.contract_void(actor=people["admin"], contract_id=effective.pk, reason="重签")
    refused(
        "validation_error", new_order, 422, actor=people["admin"], customer=customer, contract_id=effective.pk
    )
