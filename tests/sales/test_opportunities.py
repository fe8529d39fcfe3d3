"""Opportunity rules (SPEC OPP-01..14, Q-10, Q-19): the OPP-09 state machine, the immutable stage
history, product lines with snapshot prices, deletion and the customer's derived deal status,
visibility."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from tidecrm.core import clock
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.customers import services as customer_services
from tidecrm.customers.models import Customer
from tidecrm.sales import selectors, services
from tidecrm.sales.access import access_opportunity
from tidecrm.sales.models import LineItem, Opportunity, StageHistory

from . import support
from .support import D, fresh, refused

Status = Opportunity.Status


@pytest.fixture
def people(bound):
    return support.make_people(bound)


@pytest.fixture
def stages(people):
    return services.stages()


@pytest.fixture
def deal(people):
    """An open opportunity of 销售甲 on their customer."""
    rep = people["rep"]
    return support.opportunity(rep, support.customer(rep), amount="5000")


def state(opportunity):
    opportunity.refresh_from_db()
    return (
        opportunity.status,
        opportunity.stage.name,
        opportunity.closed_on,
        opportunity.closed_by_id,
    )


def deal_of(customer):
    customer.refresh_from_db()
    return customer.deal_status, customer.has_won


# ---------------------------------------------------------------- allowed transitions (OPP-09)


def test_create_is_open_with_the_chosen_stage_and_follower_is_the_customer_owner(people, stages):
    rep = people["rep"]
    chosen = support.opportunity(rep, support.customer(rep), stage_id=stages[2].pk)
    default = support.opportunity(rep, support.customer(rep))
    assert state(chosen) == (Status.OPEN, "方案/报价", None, None)
    assert state(default) == (Status.OPEN, "初步沟通", None, None)
    assert chosen.owner_id == rep.pk and chosen.created_by_id == rep.pk


def test_admin_creating_on_a_reps_customer_makes_the_rep_the_follower(people):
    rep = people["rep"]
    created = support.opportunity(people["admin"], support.customer(rep))
    assert created.owner_id == rep.pk


def test_stage_changes_while_open_even_into_the_last_stage_without_winning(people, stages, deal):
    rep = people["rep"]
    services.opportunity_update(actor=rep, opportunity_id=deal.pk, stage_id=stages[3].pk)
    assert state(deal) == (Status.OPEN, "谈判审核", None, None)
    services.opportunity_update(actor=rep, opportunity_id=deal.pk, stage_id=stages[-1].pk)
    assert state(deal) == (Status.OPEN, "成交", None, None)
    services.opportunity_update(actor=rep, opportunity_id=deal.pk, stage_id=stages[0].pk)
    assert state(deal) == (Status.OPEN, "初步沟通", None, None)


def test_win_sets_the_last_stage_close_date_today_and_the_closer(people, deal):
    rep = people["rep"]
    with clock.frozen(datetime(2031, 5, 6, 10, 0)):
        services.opportunity_win(actor=rep, opportunity_id=deal.pk)
    assert state(deal) == (Status.WON, "成交", date(2031, 5, 6), rep.pk)


def test_lose_keeps_the_stage_and_records_the_reason(people, stages, deal):
    rep = people["rep"]
    services.opportunity_update(actor=rep, opportunity_id=deal.pk, stage_id=stages[1].pk)
    with clock.frozen(datetime(2031, 5, 7, 10, 0)):
        services.opportunity_lose(actor=rep, opportunity_id=deal.pk, reason="价格太高")
    assert state(deal) == (Status.LOST, "需求确定", date(2031, 5, 7), rep.pk)
    assert deal.lose_reason == "价格太高"


@pytest.mark.parametrize("close", ["opportunity_win", "opportunity_lose"])
def test_reopen_keeps_the_stage_and_clears_close_date_and_closer(people, stages, deal, close):
    rep = people["rep"]
    services.opportunity_update(actor=rep, opportunity_id=deal.pk, stage_id=stages[1].pk)
    getattr(services, close)(actor=rep, opportunity_id=deal.pk)
    stage_after_close = fresh(deal).stage.name
    services.opportunity_reopen(actor=rep, opportunity_id=deal.pk)
    assert state(deal) == (Status.OPEN, stage_after_close, None, None)
    assert deal.lose_reason == ""
    # after 取消赢单 the stage stays 成交; the user may change it again.
    services.opportunity_update(actor=rep, opportunity_id=deal.pk, stage_id=stages[0].pk)
    assert state(deal) == (Status.OPEN, "初步沟通", None, None)


# ---------------------------------------------------------------- refused transitions


def _close(deal, rep, how):
    if how == "won":
        services.opportunity_win(actor=rep, opportunity_id=deal.pk)
    else:
        services.opportunity_lose(actor=rep, opportunity_id=deal.pk, reason="预算取消")


@pytest.mark.parametrize("closed_as", ["won", "lost"])
@pytest.mark.parametrize("action", ["opportunity_win", "opportunity_lose"])
def test_win_or_lose_of_a_closed_opportunity_is_invalid(people, deal, closed_as, action):
    rep = people["rep"]
    _close(deal, rep, closed_as)
    refused("invalid_transition", getattr(services, action), actor=rep, opportunity_id=deal.pk)
    assert fresh(deal).status == closed_as


def test_reopen_of_an_open_opportunity_is_invalid(people, deal):
    refused("invalid_transition", services.opportunity_reopen, actor=people["rep"], opportunity_id=deal.pk)


@pytest.mark.parametrize("closed_as", ["won", "lost"])
@pytest.mark.parametrize(
    "change",
    [
        {"stage": 0},
        {"amount": "9999"},
        {"name": "改名"},
        {"note": "新的备注"},
        {"product_lines": []},
    ],
    ids=["stage", "amount", "name", "note", "lines"],
)
def test_editing_a_closed_opportunity_is_invalid(people, stages, deal, closed_as, change):
    rep = people["rep"]
    _close(deal, rep, closed_as)
    values = dict(change)
    if "stage" in values:
        values = {"stage_id": stages[values.pop("stage")].pk}
    refused("invalid_transition", services.opportunity_update, actor=rep, opportunity_id=deal.pk, **values)


# ---------------------------------------------------------------- stage history (BEYOND-06)


def test_stage_history_is_a_row_per_stage_change_with_entered_left_and_by(people, stages, deal):
    rep, admin = people["rep"], people["admin"]
    t0, t1, t2 = (datetime(2031, 1, d, 9, 0) for d in (2, 3, 4))
    with clock.frozen(t0):
        services.opportunity_update(actor=rep, opportunity_id=deal.pk, stage_id=stages[1].pk)
    with clock.frozen(t1):
        services.opportunity_update(actor=admin, opportunity_id=deal.pk, stage_id=stages[2].pk)
        services.opportunity_update(actor=admin, opportunity_id=deal.pk, amount="6000")  # no stage change
    with clock.frozen(t2):
        services.opportunity_win(actor=rep, opportunity_id=deal.pk)
    rows = selectors.history_of(deal)
    assert [r.stage_name for r in rows] == ["初步沟通", "需求确定", "方案/报价", "成交"]
    assert [r.entered_by_id for r in rows] == [rep.pk, rep.pk, admin.pk, rep.pk]
    assert [r.left_by_id for r in rows] == [rep.pk, admin.pk, rep.pk, None]
    assert [r.left_at for r in rows[:3]] == [timezone.make_aware(t) for t in (t0, t1, t2)]
    assert [r.entered_at for r in rows[1:]] == [timezone.make_aware(t) for t in (t0, t1, t2)]
    assert rows[-1].left_at is None


def test_win_from_the_last_stage_adds_no_row_and_lose_reopen_add_none(people, stages, deal):
    rep = people["rep"]
    services.opportunity_update(actor=rep, opportunity_id=deal.pk, stage_id=stages[-1].pk)
    services.opportunity_win(actor=rep, opportunity_id=deal.pk)
    services.opportunity_reopen(actor=rep, opportunity_id=deal.pk)
    services.opportunity_lose(actor=rep, opportunity_id=deal.pk)
    services.opportunity_reopen(actor=rep, opportunity_id=deal.pk)
    assert [r.stage_name for r in selectors.history_of(deal)] == ["初步沟通", "成交"]


def test_stage_history_survives_renaming_the_stage(people, stages, deal):
    services.stage_update(actor=people["admin"], stage_id=stages[0].pk, name="初次接触")
    assert [r.stage_name for r in selectors.history_of(deal)] == ["初步沟通"]


def test_a_refused_stage_change_writes_no_history(people, stages, deal):
    rep = people["rep"]
    services.opportunity_win(actor=rep, opportunity_id=deal.pk)
    before = StageHistory.objects.filter(opportunity=deal).count()
    with pytest.raises(BusinessError):
        services.opportunity_update(actor=rep, opportunity_id=deal.pk, stage_id=stages[0].pk)
    assert StageHistory.objects.filter(opportunity=deal).count() == before


# ---------------------------------------------------------------- fields (OPP-01)


def test_remark_longer_than_150_is_422(people, deal):
    rep = people["rep"]
    customer = support.customer(rep)
    with pytest.raises(ValidationFailed) as caught:
        support.opportunity(rep, customer, note="备" * 151)
    assert caught.value.status == 422 and "note" in caught.value.details["fields"]
    assert not Opportunity.objects.filter(customer=customer).exists()
    refused(
        "validation_error",
        services.opportunity_update,
        422,
        actor=rep,
        opportunity_id=deal.pk,
        note="x" * 151,
    )
    services.opportunity_update(actor=rep, opportunity_id=deal.pk, note="x" * 150)
    assert len(fresh(deal).note) == 150


@pytest.mark.parametrize("bad", [{"name": ""}, {"name": "名" * 101}, {"amount": "-1"}, {"amount": "abc"}])
def test_missing_name_or_bad_amount_is_422(people, bad):
    rep = people["rep"]
    values = {"name": "商机", **bad}
    with pytest.raises(ValidationFailed):
        services.opportunity_create(actor=rep, customer_id=support.customer(rep).pk, **values)
    assert not Opportunity.objects.exists()


def test_pool_customer_cannot_get_an_opportunity(people):
    rep = people["rep"]
    customer = support.customer(rep)
    customer_services.customer_release(actor=rep, customer_id=customer.pk)
    refused("invalid_transition", support.opportunity, actor=people["admin"], customer_obj=customer)


# ---------------------------------------------------------------- product lines (OPP-12, PROD-04)


def test_amount_is_the_sum_of_lines_with_snapshot_prices(people, deal):
    admin, rep = people["admin"], people["rep"]
    laptop = support.product(admin, "笔记本", price="4999.00", unit="台")
    service = support.product(admin, "实施服务", price="1000.00")
    created = support.opportunity(
        rep,
        support.customer(rep),
        amount="1",  # ignored: lines decide
        product_lines=[
            {"product_id": laptop.pk, "quantity": 2},
            {"product_id": service.pk, "quantity": 3, "unit_price": "800", "discount": 90},
        ],
    )
    assert created.amount == D("9998.00") + D("2160.00")
    services.product_update(actor=admin, product_id=laptop.pk, price="5999.00", name="笔记本电脑")
    lines = selectors.lines_of(opportunity=created)
    assert [
        (line.product_name, line.unit, line.list_price, line.unit_price, line.subtotal) for line in lines
    ] == [
        ("笔记本", "台", D("4999.00"), D("4999.00"), D("9998.00")),
        ("实施服务", "", D("1000.00"), D("800.00"), D("2160.00")),
    ]
    assert fresh(created).amount == D("12158.00")
    # Replacing the lines re-sums, at the price of the day.
    services.opportunity_update(
        actor=rep, opportunity_id=created.pk, product_lines=[{"product_id": laptop.pk, "quantity": 1}]
    )
    assert fresh(created).amount == D("5999.00")
    assert [line.product_name for line in selectors.lines_of(opportunity=created)] == ["笔记本电脑"]


def test_an_off_sale_product_is_refused(people, deal):
    admin, rep = people["admin"], people["rep"]
    gone = support.product(admin, "停产品", on_sale=False)
    customer = support.customer(rep)
    with pytest.raises(ValidationFailed):
        support.opportunity(rep, customer, product_lines=[{"product_id": gone.pk, "quantity": 1}])
    assert not Opportunity.objects.filter(customer=customer).exists()
    refused(
        "validation_error",
        services.opportunity_update,
        422,
        actor=rep,
        opportunity_id=deal.pk,
        product_lines=[{"product_id": gone.pk, "quantity": 1}],
    )
    assert not LineItem.objects.exists()


# ---------------------------------------------------------------- delete (OPP-10)


def test_delete_is_blocked_by_a_live_contract_and_allowed_after_void(people, deal):
    admin = people["admin"]
    made = support.contract(admin, deal.customer, opportunity_id=deal.pk)
    refused("opportunity_has_contract", services.opportunity_delete, actor=admin, opportunity_id=deal.pk)
    services.contract_void(actor=admin, contract_id=made.pk)
    services.opportunity_delete(actor=admin, opportunity_id=deal.pk)
    assert fresh(deal).deleted_at is not None
    with pytest.raises(NotFound):
        access_opportunity(admin, deal.pk)
    assert deal.pk not in {o.pk for o in selectors.opportunity_list(actor=admin)}
    # A deleted opportunity can no longer be acted on.
    with pytest.raises(NotFound):
        services.opportunity_win(actor=admin, opportunity_id=deal.pk)


def test_salesperson_without_delete_permission_cannot_delete(people, deal):
    refused(
        "permission_denied", services.opportunity_delete, 403, actor=people["rep"], opportunity_id=deal.pk
    )


# ---------------------------------------------------------------- deal status (CUST-09, Q-10)


def test_deal_status_follows_the_opportunities(people):
    rep, admin = people["rep"], people["admin"]
    customer = support.customer(rep)
    assert deal_of(customer) == (Customer.DealStatus.OPEN, False)  # no opportunities → open
    first = support.opportunity(rep, customer, name="一")
    assert deal_of(customer) == ("open", False)
    services.opportunity_lose(actor=rep, opportunity_id=first.pk)
    assert deal_of(customer) == ("closed", False)  # only lost ones → closed, nothing won
    second = support.opportunity(rep, customer, name="二")
    assert deal_of(customer) == ("open", False)  # one open → open
    services.opportunity_win(actor=rep, opportunity_id=second.pk)
    assert deal_of(customer) == ("closed", True)  # all won/lost, one won
    services.opportunity_reopen(actor=rep, opportunity_id=second.pk)
    assert deal_of(customer) == ("open", False)
    services.opportunity_win(actor=rep, opportunity_id=second.pk)
    services.opportunity_reopen(actor=rep, opportunity_id=first.pk)
    assert deal_of(customer) == ("open", True)  # one open, one won
    services.opportunity_delete(actor=admin, opportunity_id=first.pk)
    assert deal_of(customer) == ("closed", True)
    services.opportunity_delete(actor=admin, opportunity_id=second.pk)
    assert deal_of(customer) == ("open", False)  # none left → open


def test_deal_status_is_per_customer(people):
    rep = people["rep"]
    won_customer, other = support.customer(rep), support.customer(rep)
    services.opportunity_win(actor=rep, opportunity_id=support.opportunity(rep, won_customer).pk)
    support.opportunity(rep, other)
    assert deal_of(won_customer) == ("closed", True)
    assert deal_of(other) == ("open", False)


# ---------------------------------------------------------------- visibility (404), collaborators


@pytest.mark.parametrize(
    "action, extra",
    [
        ("opportunity_win", {}),
        ("opportunity_lose", {}),
        ("opportunity_update", {"name": "别人的"}),
        ("opportunity_followup_add", {"content": "看一眼"}),
    ],
)
def test_another_salesperson_cannot_act_on_an_opportunity(people, deal, action, extra):
    refused(
        "not_found", getattr(services, action), 404, actor=people["rep2"], opportunity_id=deal.pk, **extra
    )


def test_another_salesperson_cannot_see_or_reopen(people, deal):
    rep, rep2 = people["rep"], people["rep2"]
    with pytest.raises(NotFound):
        access_opportunity(rep2, deal.pk)
    assert list(selectors.opportunity_list(actor=rep2)) == []
    services.opportunity_win(actor=rep, opportunity_id=deal.pk)
    refused("not_found", services.opportunity_reopen, 404, actor=rep2, opportunity_id=deal.pk)


def test_another_salesperson_cannot_create_on_a_foreign_customer(people):
    customer = support.customer(people["rep"])
    refused("not_found", support.opportunity, 404, actor=people["rep2"], customer_obj=customer)


def test_a_collaborator_of_the_customer_sees_the_opportunity(people, deal):
    rep, rep2 = people["rep"], people["rep2"]
    customer_services.collaborator_set(actor=rep, customer_id=deal.customer_id, employee_id=rep2.pk)
    assert access_opportunity(rep2, deal.pk) == deal
    assert [o.pk for o in selectors.opportunity_list(actor=rep2)] == [deal.pk]
    customer_services.collaborator_remove(actor=rep, customer_id=deal.customer_id, employee_id=rep2.pk)
    with pytest.raises(NotFound):
        access_opportunity(rep2, deal.pk)


def test_admin_sees_everything(people, deal):
    assert access_opportunity(people["admin"], deal.pk) == deal


def test_the_kanban_takes_the_newest_of_each_stage_in_a_constant_number_of_queries(people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rep = people["rep"]
    first, second = services.stages()[0], services.stages()[1]
    customer = support.customer(rep)

    def board_queries():
        with CaptureQueriesContext(connection) as queries:
            board = selectors.kanban(actor=fresh(rep), per_stage=2)
        return board, len(queries)

    made = [support.opportunity(rep, customer, name=f"甲{i}", stage_id=first.pk) for i in range(3)]
    _board, one_stage = board_queries()
    support.opportunity(rep, customer, name="乙", stage_id=second.pk)
    board, two_stages = board_queries()
    assert two_stages == one_stage
    columns = {column["stage"].pk: column for column in board}
    assert columns[first.pk]["count"] == 3
    assert [o.name for o in columns[first.pk]["items"]] == [made[2].name, made[1].name]
    assert [o.name for o in columns[second.pk]["items"]] == ["乙"]
