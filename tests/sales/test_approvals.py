"""Contract approval (SPEC CON-03, OFF-08): up to two levels, or-sign within a level, rejection at
any level rejects, only the current level's approvers act, the initiator withdraws, the approvers
are fixed when the request starts, and two approvers at once end with one decision."""

import threading

import pytest
from django.db import connection, connections

from tests import factories
from tidecrm.core.errors import BusinessError
from tidecrm.core.models import TimelineEvent
from tidecrm.core.tenancy import tenant_context
from tidecrm.office import approvals
from tidecrm.office.models import ApprovalAction, ApprovalRequest
from tidecrm.sales import services
from tidecrm.sales.models import Contract

from . import support
from .support import fresh, refused

CStatus = Contract.Status


def _team(admin):
    people = support.make_people(admin)
    for key in ("a1", "a2", "b1", "b2"):
        people[key] = factories.employee(admin, name=f"审批{key}", role_keys=("sales_manager",))
    people["stranger"] = factories.employee(admin, name="路人", role_keys=("sales_manager",))
    return people


@pytest.fixture
def people(bound):
    return _team(bound)


def submit(people, **levels):
    """Configure the approvers, then submit a new contract of 销售甲; return (contract, request)."""
    support.configure_approval(people["admin"], **{k: [people[n] for n in v] for k, v in levels.items()})
    rep = people["rep"]
    made = support.contract(rep, support.customer(rep))
    services.contract_submit(actor=rep, contract_id=made.pk)
    return made, ApprovalRequest.objects.get(object_type="contract", object_id=made.pk)


def decide(actor, request, approve=True, comment=""):
    return approvals.decide(actor=actor, request_id=request.pk, approve=approve, comment=comment)


# ---------------------------------------------------------------- or-sign and levels


@pytest.mark.parametrize("who", ["a1", "a2"])
def test_any_approver_of_the_level_passes_it(people, who):
    made, request = submit(people, level1=["a1", "a2"])
    decide(people[who], request)
    assert fresh(made).status == CStatus.APPROVED
    assert fresh(request).status == "approved" and request.finished_at is not None
    assert list(ApprovalAction.objects.values_list("actor_id", "level", "decision")) == [
        (people[who].pk, 1, "approve")
    ]


def test_two_levels(people):
    made, request = submit(people, level1=["a1", "a2"], level2=["b1", "b2"])
    assert request.levels == [
        sorted([people["a1"].pk, people["a2"].pk]),
        sorted([people["b1"].pk, people["b2"].pk]),
    ]
    decide(people["a2"], request)
    assert (fresh(request).status, request.current_level) == ("pending", 2)
    assert fresh(made).status == CStatus.PENDING
    decide(people["b1"], request)
    assert (fresh(request).status, fresh(made).status) == ("approved", CStatus.APPROVED)
    assert list(ApprovalAction.objects.values_list("level", "decision")) == [(1, "approve"), (2, "approve")]


def test_timeline_names_the_level_that_was_decided(people):
    _made, request = submit(people, level1=["a1"], level2=["b1"])
    decide(people["a1"], request)
    decide(people["b1"], request)
    levels = list(
        TimelineEvent.objects.filter(verb="approval.approved").order_by("id").values_list("data", flat=True)
    )
    assert levels == [{"level": 1}, {"level": 2}]


def test_rejection_at_level_2_rejects(people):
    made, request = submit(people, level1=["a1"], level2=["b1", "b2"])
    decide(people["a1"], request)
    decide(people["b2"], request, approve=False, comment="价格过低")
    assert fresh(request).status == "rejected"
    assert fresh(made).status == CStatus.REJECTED
    assert ApprovalAction.objects.get(decision="reject").comment == "价格过低"
    refused("already_decided", decide, actor=people["b1"], request=request)


def test_rejection_at_level_1_rejects_without_asking_level_2(people):
    made, request = submit(people, level1=["a1"], level2=["b1"])
    decide(people["a1"], request, approve=False, comment="预算不足")
    assert (fresh(request).status, fresh(made).status) == ("rejected", CStatus.REJECTED)
    assert approvals.pending_for(people["b1"]) == []


# ---------------------------------------------------------------- who may act


def test_a_stranger_is_not_an_approver(people):
    """Someone who may know of the request (its initiator, someone who sees the contract) is told
    they are not its approver; a stranger who may not see the contract learns nothing (404)."""
    made, request = submit(people, level1=["a1"])
    refused("not_found", decide, 404, actor=people["stranger"], request=request)
    refused("not_approver", decide, 403, actor=people["rep"], request=request)  # the initiator neither
    refused("not_approver", decide, 403, actor=people["admin"], request=request)  # sees the contract
    assert fresh(made).status == CStatus.PENDING


def test_a_level_2_approver_cannot_act_at_level_1(people):
    """Level 1 is still open: the level-2 approver is simply not (yet) an approver of it."""
    made, request = submit(people, level1=["a1"], level2=["b1"])
    refused("not_approver", decide, 403, actor=people["b1"], request=request)
    refused("not_approver", decide, 403, actor=people["b1"], request=request, approve=False)
    assert (fresh(request).current_level, fresh(made).status) == (1, CStatus.PENDING)


def test_the_second_level_1_approver_is_too_late(people):
    _made, request = submit(people, level1=["a1", "a2"], level2=["b1"])
    decide(people["a1"], request)
    error = refused("already_decided", decide, actor=people["a2"], request=request)
    assert error.status == 409
    refused("already_decided", decide, actor=people["a2"], request=request, approve=False)
    assert fresh(request).current_level == 2


def test_the_second_approver_of_a_single_level_is_too_late(people):
    made, request = submit(people, level1=["a1", "a2"])
    decide(people["a1"], request, approve=False, comment="预算不足")
    refused("already_decided", decide, actor=people["a2"], request=request)
    assert fresh(made).status == CStatus.REJECTED


def test_an_approver_of_both_levels_decides_each_level_once(people):
    made, request = submit(people, level1=["a1"], level2=["a1", "b1"])
    decide(people["a1"], request)
    decide(people["a1"], request)
    assert fresh(made).status == CStatus.APPROVED


# ---------------------------------------------------------------- withdraw


def test_only_the_initiator_withdraws(people):
    made, request = submit(people, level1=["a1"], level2=["b1"])
    for other in ("a1", "admin"):  # an approver, someone who sees the contract
        refused("permission_denied", approvals.withdraw, 403, actor=people[other], request_id=request.pk)
    refused("not_found", approvals.withdraw, 404, actor=people["rep2"], request_id=request.pk)  # neither
    decide(people["a1"], request)
    approvals.withdraw(actor=people["rep"], request_id=request.pk)
    assert (fresh(request).status, fresh(made).status) == ("withdrawn", CStatus.DRAFT)
    refused("already_decided", decide, actor=people["b1"], request=request)
    refused("already_decided", approvals.withdraw, actor=people["rep"], request_id=request.pk)


def test_a_finished_request_cannot_be_withdrawn(people):
    made, request = submit(people, level1=["a1"])
    decide(people["a1"], request)
    refused("already_decided", approvals.withdraw, actor=people["rep"], request_id=request.pk)
    assert fresh(made).status == CStatus.APPROVED


# ---------------------------------------------------------------- to-do list and settings


def test_pending_for_lists_only_the_current_levels_approvers(people):
    _made, request = submit(people, level1=["a1", "a2"], level2=["b1"])
    todo = {key: [r.pk for r in approvals.pending_for(people[key])] for key in ("a1", "a2", "b1", "stranger")}
    assert todo == {"a1": [request.pk], "a2": [request.pk], "b1": [], "stranger": []}
    decide(people["a2"], request)
    todo = {key: [r.pk for r in approvals.pending_for(people[key])] for key in ("a1", "a2", "b1")}
    assert todo == {"a1": [], "a2": [], "b1": [request.pk]}
    decide(people["b1"], request)
    assert approvals.pending_for(people["b1"]) == []


def test_settings_changes_do_not_move_a_running_request(people):
    made, request = submit(people, level1=["a1"], level2=["b1"])
    support.configure_approval(people["admin"], level1=[people["a2"]], level2=[people["b2"]])
    assert approvals.pending_for(people["a2"]) == []
    # The new approvers are not this request's: to them it is someone else's contract (404).
    refused("not_found", decide, 404, actor=people["a2"], request=request)
    decide(people["a1"], request)
    refused("not_found", decide, 404, actor=people["b2"], request=request)
    decide(people["b1"], request)
    assert fresh(made).status == CStatus.APPROVED
    # The next submission uses the new settings.
    _made2, request2 = submit(people, level1=["a2"])
    assert request2.levels == [[people["a2"].pk]]


def test_switching_approval_off_leaves_the_running_request(people):
    made, request = submit(people, level1=["a1"])
    support.configure_approval(people["admin"])
    decide(people["a1"], request)
    assert fresh(made).status == CStatus.APPROVED


# ---------------------------------------------------------------- PostgreSQL race


def test_two_approvers_at_once_one_decides(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are exercised on PostgreSQL")
    admin = factories.enterprise()
    with tenant_context(admin.tenant):
        people = _team(admin)
        made, request = submit(people, level1=["a1", "a2"])
    barrier = threading.Barrier(2)
    outcomes = []

    def run(actor, approve):
        try:
            with tenant_context(actor.tenant):
                barrier.wait()
                try:
                    decide(actor, request, approve=approve, comment="" if approve else "价格过低")
                    outcomes.append("ok")
                except BusinessError as error:
                    outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(people["a1"], True)),
        threading.Thread(target=run, args=(people["a2"], False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already_decided", "ok"]
    with tenant_context(admin.tenant):
        assert ApprovalAction.objects.filter(request_id=request.pk).count() == 1
        decision = ApprovalAction.objects.get(request_id=request.pk).decision
        expected = CStatus.APPROVED if decision == "approve" else CStatus.REJECTED
        assert Contract.objects.get(pk=made.pk).status == expected


def test_a_rejection_needs_a_reason_in_the_api_too(people, api):
    made, request = submit(people, level1=["a1"])
    refused("validation_error", decide, 422, actor=people["a1"], request=request, approve=False, comment="  ")
    response = api(people["a1"]).post(f"/approvals/{request.pk}/reject", {"comment": ""})
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
    assert fresh(request).status == "pending" and fresh(made).status == CStatus.PENDING
