"""Opportunities and contracts follow their customer's owner (SPEC OPP-14, CON-09, Q-19): released
with it into the pool (the releasing owner remembered), restored to whoever claims or receives
it; only the records the old owner followed move."""

import pytest

from tests import factories
from tidecrm.customers import services as customer_services
from tidecrm.org import inheritance
from tidecrm.org import services as org_services
from tidecrm.sales import selectors
from tidecrm.sales.models import Contract, Opportunity

from . import support


@pytest.fixture
def people(bound):
    people = support.make_people(bound)
    people["rep3"] = factories.employee(bound, name="销售丙", role_keys=("sales",))
    return people


@pytest.fixture
def book(people):
    """销售甲's customer with an opportunity, a contract on it, and an opportunity that 销售乙
    (a collaborator) follows."""
    rep, rep2 = people["rep"], people["rep2"]
    customer = support.customer(rep)
    customer_services.collaborator_set(actor=rep, customer_id=customer.pk, employee_id=rep2.pk)
    mine = support.opportunity(rep, customer, name="甲的商机")
    theirs = support.opportunity(rep, customer, name="乙的商机")
    Opportunity.objects.filter(pk=theirs.pk).update(owner=rep2)  # a collaborator follows it
    contract = support.contract(rep, customer, opportunity_id=mine.pk)
    return {"customer": customer, "mine": mine, "theirs": theirs, "contract": contract}


def holders(book):
    rows = {}
    for key, model in (("mine", Opportunity), ("theirs", Opportunity), ("contract", Contract)):
        row = model.objects.get(pk=book[key].pk)
        rows[key] = (row.owner_id, row.released_owner_id)
    return rows


def test_release_sends_the_old_owners_records_to_the_pool(people, book):
    rep, rep2 = people["rep"], people["rep2"]
    customer_services.customer_release(actor=rep, customer_id=book["customer"].pk)
    assert holders(book) == {
        "mine": (None, rep.pk),
        "theirs": (rep2.pk, None),  # followed by someone else: stays
        "contract": (None, rep.pk),
    }
    assert [o.pk for o in selectors.opportunity_list(actor=rep)] == []


def test_release_by_a_manager_works_the_same(people, book):
    customer_services.customer_release(actor=people["admin"], customer_id=book["customer"].pk)
    assert holders(book)["mine"] == (None, people["rep"].pk)


def test_claim_by_a_colleague_gives_them_to_the_claimer(people, book):
    rep, rep2, rep3 = people["rep"], people["rep2"], people["rep3"]
    customer_services.customer_release(actor=rep, customer_id=book["customer"].pk)
    customer_services.customer_claim(actor=rep3, customer_id=book["customer"].pk)
    assert holders(book) == {"mine": (rep3.pk, None), "theirs": (rep2.pk, None), "contract": (rep3.pk, None)}
    assert {o.pk for o in selectors.opportunity_list(actor=rep3)} == {book["mine"].pk}
    assert [c.pk for c in selectors.contract_list(actor=rep3)] == [book["contract"].pk]


def test_assign_from_the_pool_gives_them_to_the_assignee(people, book):
    rep, rep3 = people["rep"], people["rep3"]
    customer_services.customer_release(actor=rep, customer_id=book["customer"].pk)
    customer_services.customer_assign(actor=people["admin"], customer_id=book["customer"].pk, employee=rep3)
    assert holders(book)["mine"] == (rep3.pk, None)
    assert holders(book)["contract"] == (rep3.pk, None)


def test_transfer_moves_only_the_old_owners(people, book):
    rep2, rep3 = people["rep2"], people["rep3"]
    customer_services.customer_transfer(actor=people["admin"], customer_id=book["customer"].pk, employee=rep3)
    assert holders(book) == {"mine": (rep3.pk, None), "theirs": (rep2.pk, None), "contract": (rep3.pk, None)}


def test_transfer_to_the_follower_of_another_opportunity(people, book):
    rep2 = people["rep2"]
    customer_services.customer_transfer(actor=people["admin"], customer_id=book["customer"].pk, employee=rep2)
    assert holders(book) == {"mine": (rep2.pk, None), "theirs": (rep2.pk, None), "contract": (rep2.pk, None)}


def test_inheritance_moves_them(people, book):
    rep, rep2, rep3, admin = people["rep"], people["rep2"], people["rep3"], people["admin"]
    org_services.employee_resign(actor=admin, employee=rep)
    inheritance.inherit(actor=admin, from_employee_id=rep.pk, to_employee_id=rep3.pk)
    book["customer"].refresh_from_db()
    assert book["customer"].owner_id == rep3.pk
    assert holders(book) == {"mine": (rep3.pk, None), "theirs": (rep2.pk, None), "contract": (rep3.pk, None)}


def test_delete_and_restore_take_them_along(people, book):
    rep, admin = people["rep"], people["admin"]
    customer_services.customer_delete(actor=admin, customer_id=book["customer"].pk)
    assert holders(book)["mine"] == (None, rep.pk)
    customer_services.customer_restore(actor=admin, customer_id=book["customer"].pk)
    assert holders(book)["mine"] == (rep.pk, None)
    assert holders(book)["contract"] == (rep.pk, None)


def test_another_customers_records_do_not_move(people, book):
    rep, rep3 = people["rep"], people["rep3"]
    other = support.customer(rep)
    kept = support.opportunity(rep, other)
    customer_services.customer_release(actor=rep, customer_id=book["customer"].pk)
    customer_services.customer_claim(actor=rep3, customer_id=book["customer"].pk)
    kept.refresh_from_db()
    assert (kept.owner_id, kept.released_owner_id) == (rep.pk, None)


def test_new_opportunities_after_a_claim_belong_to_the_claimer(people, book):
    rep, rep3 = people["rep"], people["rep3"]
    customer_services.customer_release(actor=rep, customer_id=book["customer"].pk)
    customer_services.customer_claim(actor=rep3, customer_id=book["customer"].pk)
    assert support.opportunity(rep3, book["customer"]).owner_id == rep3.pk


def test_a_contract_in_approval_keeps_the_customer_out_of_the_pool(people, book):
    """CUST-19: releasing a customer whose contract is in approval is refused, nothing moves."""
    from tidecrm.core.errors import BusinessError
    from tidecrm.customers.models import Customer
    from tidecrm.sales import services as sales_services

    settings = sales_services.sales_settings()
    settings.approval_enabled, settings.level1_approver_ids = True, [people["admin"].pk]
    settings.save()
    sales_services.contract_submit(actor=people["rep"], contract_id=book["contract"].pk)
    before = holders(book)
    with pytest.raises(BusinessError) as refused:
        customer_services.customer_release(actor=people["rep"], customer_id=book["customer"].pk)
    assert refused.value.code == "contract_in_approval"
    assert Customer.objects.get(pk=book["customer"].pk).owner_id == people["rep"].pk
    assert holders(book) == before
    result = customer_services.customers_release(actor=people["rep"], ids=[book["customer"].pk])
    assert result["failed"][0]["code"] == "contract_in_approval"
    sales_services.contract_withdraw(actor=people["rep"], contract_id=book["contract"].pk)
    customer_services.customer_release(actor=people["rep"], customer_id=book["customer"].pk)
    assert Customer.objects.get(pk=book["customer"].pk).state == "pool"
