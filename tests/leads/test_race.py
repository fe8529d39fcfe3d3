"""Two (or eight) people clicking 领取 at once: one owner, everyone else ``already_claimed``.

Runs on PostgreSQL (real row locks across connections); SQLite serialises writers anyway.
"""

import threading

import pytest
from django.db import connection, connections

from tests import factories
from tidecrm.core.errors import BusinessError
from tidecrm.core.tenancy import tenant_context
from tidecrm.leads import services
from tidecrm.leads.models import Lead, LeadFlow
from tidecrm.rules import holding


def _race(actors, action):
    barrier = threading.Barrier(len(actors))
    outcomes = []

    def run(actor):
        try:
            with tenant_context(actor.tenant):
                barrier.wait()
                try:
                    action(actor)
                    outcomes.append("ok")
                except BusinessError as error:
                    outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.fixture
def pool_lead(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are exercised on PostgreSQL")
    owner = factories.enterprise()
    reps = [factories.employee(owner, name=f"销售{i}") for i in range(8)]
    with tenant_context(owner.tenant):
        lead = services.lead_create(actor=reps[0], phone="13900009999")
        services.lead_release(actor=reps[0], lead_id=lead.pk)
    return owner, reps, lead


def test_many_claims_of_one_lead_end_with_one_owner(pool_lead):
    owner, reps, lead = pool_lead
    outcomes = _race(reps[1:], lambda actor: services.lead_claim(actor=actor, lead_id=lead.pk))
    assert outcomes == ["already_claimed"] * 6 + ["ok"]
    with tenant_context(owner.tenant):
        claimed = Lead.objects.get(pk=lead.pk)
        assert claimed.state == "owned" and claimed.owner_id in {r.pk for r in reps[1:]}
        assert LeadFlow.objects.filter(lead=lead, kind="claim").count() == 1


def test_one_person_claiming_in_parallel_respects_the_limit(pool_lead):
    owner, reps, _lead = pool_lead
    with tenant_context(owner.tenant):
        holding.settings_put(actor=owner, data={"lead": {"default_limit": 2, "rules": []}})
        leads = []
        for index in range(5):
            lead = services.lead_create(actor=reps[1], phone=f"1370000000{index}")
            services.lead_release(actor=reps[1], lead_id=lead.pk)
            leads.append(lead)
    rep = reps[2]
    claims = iter(leads)
    lock = threading.Lock()

    def claim_next(actor):
        with lock:
            lead = next(claims)
        services.lead_claim(actor=actor, lead_id=lead.pk)

    outcomes = _race([rep] * 5, claim_next)
    assert outcomes == ["holding_limit_reached"] * 3 + ["ok"] * 2
    with tenant_context(owner.tenant):
        assert Lead.objects.filter(owner=rep, state="owned").count() == 2
