"""Several people saving at once (POOL-02 "already claimed", CUST-14 duplicates): one wins.

Runs on PostgreSQL (real row locks across connections); SQLite serialises writers anyway.
"""

import threading

import pytest
from django.db import connection, connections

from tests import factories
from tidecrm.core.errors import BusinessError
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config, services
from tidecrm.customers.models import Customer, CustomerFlow


def _race(actors, action):
    barrier = threading.Barrier(len(actors))
    outcomes = []

    def run(index, actor):
        try:
            with tenant_context(actor.tenant):
                barrier.wait()
                try:
                    action(index, actor)
                    outcomes.append("ok")
                except BusinessError as error:
                    outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, actor)) for i, actor in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.fixture
def reps(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are exercised on PostgreSQL")
    owner = factories.enterprise()
    people = [factories.employee(owner, name=f"销售{i}") for i in range(8)]
    with tenant_context(owner.tenant):
        config.default_library(), config.stages(), config.customer_settings()
    return owner, people


def test_many_claims_of_one_pool_customer_end_with_one_owner(reps):
    owner, people = reps
    with tenant_context(owner.tenant):
        customer = services.customer_create(
            actor=people[0], name="康师傅食品有限公司", contacts=[{"name": "张三", "mobile": "13900009999"}]
        )
        services.customer_release(actor=people[0], customer_id=customer.pk)
    outcomes = _race(
        people[1:], lambda _i, actor: services.customer_claim(actor=actor, customer_id=customer.pk)
    )
    assert outcomes == ["already_claimed"] * 6 + ["ok"]
    with tenant_context(owner.tenant):
        claimed = Customer.objects.get(pk=customer.pk)
        assert claimed.state == "owned" and claimed.owner_id in {p.pk for p in people[1:]}
        assert CustomerFlow.objects.filter(customer=customer, kind="claim").count() == 1


def test_two_people_creating_the_same_customer(reps):
    owner, people = reps

    def create(index, actor):
        services.customer_create(
            actor=actor,
            name="康师傅食品有限公司",
            contacts=[{"name": "张三", "mobile": f"1390000100{index}"}],
        )

    outcomes = _race(people[:2], create)
    assert outcomes == ["duplicate_customer", "ok"]
    with tenant_context(owner.tenant):
        assert Customer.objects.filter(name_key="康师傅食品").count() == 1


def test_the_same_phone_from_two_libraries_at_once(reps):
    """Cross-library duplicates forbidden: the lock must span libraries, not one library row."""
    owner, people = reps
    with tenant_context(owner.tenant):
        from tidecrm.org import services as org_services

        department = org_services.department_create(actor=owner, name="二部")
        org_services.employee_update(actor=owner, employee=people[1], department_ids=[department.pk])
        people[1].refresh_from_db()
        config.library_create(actor=owner, name="二库", department_ids=[department.pk])

    def create(index, actor):
        services.customer_create(
            actor=actor, name=f"第{index}家公司", contacts=[{"name": "张三", "mobile": "13900002000"}]
        )

    outcomes = _race(people[:2], create)
    assert outcomes == ["duplicate_customer", "ok"]
