"""Contract rules (SPEC CON-01..03, CON-09 numbering, Q-42): numbers per enterprise, one contract
per opportunity (also under concurrency on PostgreSQL), the status flow and what an effective
contract does to its customer."""

import threading
from datetime import date, datetime

import pytest
from django.db import IntegrityError, connection, connections, transaction

from tests import factories
from tidecrm.core import clock
from tidecrm.core.errors import BusinessError, NotFound
from tidecrm.core.models import TimelineEvent
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config
from tidecrm.office import approvals
from tidecrm.office.models import ApprovalRequest
from tidecrm.org.models import Employee
from tidecrm.sales import services
from tidecrm.sales.access import access_contract
from tidecrm.sales.models import Contract

from . import support
from .support import D, fresh, refused

CStatus = Contract.Status


@pytest.fixture
def people(bound):
    return support.make_people(bound)


@pytest.fixture
def customer(people):
    return support.customer(people["rep"])


def pending_request(contract):
    return ApprovalRequest.objects.get(object_type="contract", object_id=contract.pk, status="pending")


def with_approval(people):
    approver = factories.employee(people["admin"], name="审批人", role_keys=("sales_manager",))
    support.configure_approval(people["admin"], level1=[approver])
    return approver


# ---------------------------------------------------------------- numbering


def test_numbers_are_prefix_date_sequence_increasing(people, customer):
    rep = people["rep"]
    with clock.frozen(datetime(2031, 3, 9, 10, 0)):
        numbers = [support.contract(rep, customer, title=f"合同{i}").number for i in range(3)]
    assert numbers == ["HT203103090001", "HT203103090002", "HT203103090003"]
    with clock.frozen(datetime(2031, 3, 10, 10, 0)):
        assert support.contract(rep, customer).number == "HT203103100001"
    settings = services.sales_settings()
    settings.number_prefix = "XS"
    settings.save()
    with clock.frozen(datetime(2031, 3, 10, 11, 0)):
        assert support.contract(rep, customer).number == "XS203103100002"


def test_a_refused_contract_does_not_use_up_a_number(people, customer):
    rep = people["rep"]
    deal = support.opportunity(rep, customer)
    with clock.frozen(datetime(2031, 3, 9, 10, 0)):
        support.contract(rep, customer, opportunity_id=deal.pk)
        with pytest.raises(BusinessError):
            support.contract(rep, customer, opportunity_id=deal.pk)
        assert support.contract(rep, customer).number == "HT203103090002"


def test_two_enterprises_both_start_at_0001(people, customer, other_enterprise):
    with clock.frozen(datetime(2031, 3, 9, 10, 0)):
        assert support.contract(people["rep"], customer).number == "HT203103090001"
        with tenant_context(other_enterprise.tenant):
            config.default_library(), config.stages()
            theirs = support.customer(other_enterprise, "甲公司")
            assert support.contract(other_enterprise, theirs).number == "HT203103090001"
            assert support.contract(other_enterprise, theirs).number == "HT203103090002"
        assert support.contract(people["rep"], customer).number == "HT203103090002"


# ---------------------------------------------------------------- create: customer, opportunity, amount


def test_one_contract_per_opportunity(people, customer):
    rep = people["rep"]
    deal = support.opportunity(rep, customer)
    first = support.contract(rep, customer, opportunity_id=deal.pk)
    refused(
        "opportunity_has_contract", support.contract, actor=rep, customer_obj=customer, opportunity_id=deal.pk
    )
    # A void contract frees the opportunity.
    services.contract_void(actor=people["admin"], contract_id=first.pk)
    second = support.contract(rep, customer, opportunity_id=deal.pk)
    assert second.opportunity_id == deal.pk


def test_the_database_refuses_a_second_live_contract_on_an_opportunity(people, customer):
    rep = people["rep"]
    deal = support.opportunity(rep, customer)
    first = support.contract(rep, customer, opportunity_id=deal.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.create(number="X1", title="绕过", customer=customer, opportunity=deal, amount=1)
    Contract.objects.filter(pk=first.pk).update(status=CStatus.VOID)
    Contract.objects.create(number="X2", title="作废后", customer=customer, opportunity=deal, amount=1)


def test_an_opportunity_of_another_customer_is_422(people, customer):
    rep = people["rep"]
    elsewhere = support.opportunity(rep, support.customer(rep))
    error = refused(
        "validation_error",
        support.contract,
        422,
        actor=rep,
        customer_obj=customer,
        opportunity_id=elsewhere.pk,
    )
    assert "opportunity_id" in error.details["fields"]


def test_a_deleted_opportunity_cannot_get_a_contract(people, customer):
    deal = support.opportunity(people["rep"], customer)
    services.opportunity_delete(actor=people["admin"], opportunity_id=deal.pk)
    refused(
        "validation_error",
        support.contract,
        422,
        actor=people["rep"],
        customer_obj=customer,
        opportunity_id=deal.pk,
    )


@pytest.mark.parametrize("amount", ["0", "-5", "abc"])
def test_amount_must_be_positive(people, customer, amount):
    refused(
        "validation_error", support.contract, 422, actor=people["rep"], customer_obj=customer, amount=amount
    )


def test_end_before_start_is_422(people, customer):
    refused(
        "validation_error",
        support.contract,
        422,
        actor=people["rep"],
        customer_obj=customer,
        start_on=date(2031, 1, 2),
        end_on=date(2031, 1, 1),
    )


def test_a_foreign_customer_is_404(people, customer):
    refused("not_found", support.contract, 404, actor=people["rep2"], customer_obj=customer)


def test_the_contract_follows_the_customer_owner_and_is_private(people, customer):
    rep, rep2 = people["rep"], people["rep2"]
    made = support.contract(people["admin"], customer, amount="1089.09")
    assert (made.owner_id, made.status, made.amount) == (rep.pk, CStatus.DRAFT, D("1089.09"))
    assert access_contract(rep, made.pk) == made
    with pytest.raises(NotFound):
        access_contract(rep2, made.pk)
    refused("not_found", services.contract_submit, 404, actor=rep2, contract_id=made.pk)


# ---------------------------------------------------------------- status flow


def test_submit_without_approval_makes_it_effective(people, customer):
    made = support.contract(people["rep"], customer)
    services.contract_submit(actor=people["rep"], contract_id=made.pk)
    assert fresh(made).status == CStatus.APPROVED
    assert not ApprovalRequest.objects.exists()


def test_approval_enabled_without_approvers_also_makes_it_effective(people, customer):
    settings = services.sales_settings()
    settings.approval_enabled = True
    settings.save()
    made = support.effective_contract(people["rep"], customer)
    assert fresh(made).status == CStatus.APPROVED


def test_submit_with_approval_goes_pending_then_approved(people, customer):
    approver = with_approval(people)
    made = support.contract(people["rep"], customer)
    services.contract_submit(actor=people["rep"], contract_id=made.pk)
    assert fresh(made).status == CStatus.PENDING
    approvals.decide(actor=approver, request_id=pending_request(made).pk, approve=True)
    assert fresh(made).status == CStatus.APPROVED


def test_rejected_contract_is_edited_and_resubmitted(people, customer):
    rep = people["rep"]
    approver = with_approval(people)
    made = support.contract(rep, customer, amount="1000")
    services.contract_submit(actor=rep, contract_id=made.pk)
    refused("invalid_transition", services.contract_update, actor=rep, contract_id=made.pk, amount="900")
    refused("invalid_transition", services.contract_submit, actor=rep, contract_id=made.pk)
    approvals.decide(actor=approver, request_id=pending_request(made).pk, approve=False, comment="金额不对")
    assert fresh(made).status == CStatus.REJECTED
    services.contract_update(actor=rep, contract_id=made.pk, amount="900")
    assert fresh(made).amount == D("900.00") and made.status == CStatus.REJECTED
    services.contract_submit(actor=rep, contract_id=made.pk)
    assert fresh(made).status == CStatus.PENDING
    approvals.decide(actor=approver, request_id=pending_request(made).pk, approve=True)
    assert fresh(made).status == CStatus.APPROVED
    assert ApprovalRequest.objects.filter(object_id=made.pk).count() == 2


def test_withdraw_returns_to_draft(people, customer):
    rep = people["rep"]
    with_approval(people)
    made = support.contract(rep, customer)
    refused("invalid_transition", services.contract_withdraw, actor=rep, contract_id=made.pk)
    services.contract_submit(actor=rep, contract_id=made.pk)
    services.contract_withdraw(actor=rep, contract_id=made.pk)
    assert fresh(made).status == CStatus.DRAFT
    assert ApprovalRequest.objects.get(object_id=made.pk).status == "withdrawn"
    services.contract_update(actor=rep, contract_id=made.pk, title="改过的合同")
    services.contract_submit(actor=rep, contract_id=made.pk)
    assert fresh(made).status == CStatus.PENDING


def test_only_the_initiator_withdraws(people, customer):
    rep, admin = people["rep"], people["admin"]
    with_approval(people)
    made = support.contract(rep, customer)
    services.contract_submit(actor=rep, contract_id=made.pk)
    refused("permission_denied", services.contract_withdraw, 403, actor=admin, contract_id=made.pk)
    assert fresh(made).status == CStatus.PENDING


def test_approved_contract_cannot_be_edited_or_resubmitted(people, customer):
    rep = people["rep"]
    made = support.effective_contract(rep, customer)
    refused("invalid_transition", services.contract_update, actor=rep, contract_id=made.pk, title="改")
    refused("invalid_transition", services.contract_submit, actor=rep, contract_id=made.pk)
    refused("invalid_transition", services.contract_withdraw, actor=rep, contract_id=made.pk)


def _to_status(people, customer, status):
    rep = people["rep"]
    approver = with_approval(people) if status in ("pending_approval", "rejected") else None
    made = support.contract(rep, customer)
    if status == "approved":
        services.contract_submit(actor=rep, contract_id=made.pk)
    elif approver:
        services.contract_submit(actor=rep, contract_id=made.pk)
        if status == "rejected":
            approvals.decide(
                actor=approver, request_id=pending_request(made).pk, approve=False, comment="预算不足"
            )
    assert fresh(made).status == status
    return made


@pytest.mark.parametrize("status", ["draft", "pending_approval", "approved", "rejected"])
def test_void_from_each_status_and_not_twice(people, customer, status):
    admin = people["admin"]
    made = _to_status(people, customer, status)
    services.contract_void(actor=admin, contract_id=made.pk, reason="客户取消")
    assert fresh(made).status == CStatus.VOID
    assert not ApprovalRequest.objects.filter(object_id=made.pk, status="pending").exists()
    refused("invalid_transition", services.contract_void, actor=admin, contract_id=made.pk)
    for action in (services.contract_submit, services.contract_withdraw):
        refused("invalid_transition", action, actor=people["rep"], contract_id=made.pk)
    refused(
        "invalid_transition", services.contract_update, actor=people["rep"], contract_id=made.pk, title="改"
    )


def test_a_salesperson_cannot_void(people, customer):
    made = support.contract(people["rep"], customer)
    refused("permission_denied", services.contract_void, 403, actor=people["rep"], contract_id=made.pk)


def test_approving_a_voided_contracts_request_is_already_decided(people, customer):
    made = _to_status(people, customer, "pending_approval")
    request = pending_request(made)
    approver = Employee.objects.get(pk=request.levels[0][0])
    services.contract_void(actor=people["admin"], contract_id=made.pk)
    refused("already_decided", approvals.decide, actor=approver, request_id=request.pk, approve=True)
    assert fresh(made).status == CStatus.VOID


# ---------------------------------------------------------------- effect on the customer (CON-02)


def test_an_effective_contract_moves_the_customer_to_the_terminal_stage(people, customer):
    rep = people["rep"]
    terminal = [s for s in config.stages() if s.is_terminal][0]
    first = config.stages()[0]
    customer.stage = first
    customer.save(update_fields=["stage"])
    made = support.contract(rep, customer)
    assert fresh(customer).stage_id == first.pk  # a draft changes nothing
    services.contract_submit(actor=rep, contract_id=made.pk)
    assert fresh(customer).stage_id == terminal.pk
    event = TimelineEvent.objects.get(verb="customer.stage", object_type="customer", object_id=customer.pk)
    assert event.changes == {"客户进展": [first.name, terminal.name]}
    assert made.number in event.reason
    assert TimelineEvent.objects.filter(verb="contract.approved", object_id=made.pk).exists()
    # A second effective contract writes no second stage event.
    services.contract_submit(actor=rep, contract_id=support.contract(rep, customer).pk)
    assert TimelineEvent.objects.filter(verb="customer.stage", object_id=customer.pk).count() == 1


def test_a_pending_or_rejected_contract_leaves_the_stage(people, customer):
    _to_status(people, customer, "rejected")
    assert not fresh(customer).stage or not customer.stage.is_terminal


def test_approval_by_the_approver_moves_the_stage_too(people, customer):
    made = _to_status(people, customer, "pending_approval")
    approver = services.sales_settings().level1_approver_ids[0]
    approver = Employee.objects.get(pk=approver)
    approvals.decide(actor=approver, request_id=pending_request(made).pk, approve=True)
    assert fresh(customer).stage.is_terminal


# ---------------------------------------------------------------- PostgreSQL races


def _race(actors, action):
    barrier = threading.Barrier(len(actors))
    outcomes = []

    def run(actor):
        try:
            with tenant_context(actor.tenant):
                barrier.wait()
                try:
                    outcomes.append(("ok", action(actor)))
                except BusinessError as error:
                    outcomes.append((error.code, None))
                except IntegrityError:
                    outcomes.append(("integrity_error", None))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes, key=lambda o: o[0])


@pytest.fixture
def pg_deal(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are exercised on PostgreSQL")
    admin = factories.enterprise()
    with tenant_context(admin.tenant):
        people = support.make_people(admin)
        customer = support.customer(people["rep"])
        deal = support.opportunity(people["rep"], customer)
    return people, customer, deal


def test_two_contracts_for_one_opportunity_at_once_one_wins(pg_deal):
    people, customer, deal = pg_deal
    outcomes = _race(
        [people["rep"], people["admin"]],
        lambda actor: support.contract(actor, customer, opportunity_id=deal.pk).pk,
    )
    assert [code for code, _ in outcomes] == ["ok", "opportunity_has_contract"]
    with tenant_context(people["admin"].tenant):
        assert Contract.objects.filter(opportunity=deal).count() == 1


def test_the_constraint_holds_without_the_service_lock(pg_deal):
    """Two raw inserts at once (no row lock): the partial unique index lets only one through."""
    people, customer, deal = pg_deal
    numbers = iter(["RAW1", "RAW2"])
    lock = threading.Lock()

    def insert(actor):
        with lock:
            number = next(numbers)
        with transaction.atomic():
            return Contract.objects.create(
                number=number, title="raw", customer_id=customer.pk, opportunity_id=deal.pk, amount=1
            ).pk

    outcomes = _race([people["rep"], people["rep2"]], insert)
    assert [code for code, _ in outcomes] == ["integrity_error", "ok"]


def test_numbers_stay_unique_under_concurrency(pg_deal):
    people, customer, _deal = pg_deal
    actors = [people["admin"]] * 6
    outcomes = _race(actors, lambda actor: support.contract(actor, customer).number)
    numbers = sorted(number for code, number in outcomes if code == "ok")
    assert len(numbers) == 6
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003", "0004", "0005", "0006"]
