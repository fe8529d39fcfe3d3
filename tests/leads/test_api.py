"""Leads API: the permission matrix, masking in the API, bulk answers, constant list queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.matrix import Case, call
from tidecrm.core.tenancy import tenant_context
from tidecrm.leads import services
from tidecrm.leads.models import Lead


@pytest.fixture
def world(enterprise, other_enterprise):
    owner = enterprise
    member = factories.employee(owner, name="普通员工", role_keys=("member",))
    with tenant_context(owner.tenant):
        lead = services.lead_create(actor=owner, phone="13900001111", company_name="本企业线索")
    with tenant_context(other_enterprise.tenant):
        foreign = services.lead_create(actor=other_enterprise, phone="13900002222", company_name="外企线索")
    return {
        "owner": owner,
        "member": member,
        "own": {"lead": lead.pk},
        "foreign": {"lead": foreign.pk},
        "foreign_tenant": other_enterprise.tenant,
    }


CASES = [
    Case("get", "/leads?state=pool"),
    Case("get", "/leads?state=unallocated", permission="lead.allocate"),
    Case("post", "/leads", {"phone": "13900003333"}, permission="lead.create"),
    Case("get", "/leads/{id}", record="lead"),
    Case("patch", "/leads/{id}", {"name": "改名"}, permission="lead.allocate", record="lead"),
    Case("delete", "/leads/{id}", permission="lead.delete", record="lead"),
    Case("get", "/settings/lead-rules", permission="lead.settings"),
    Case("put", "/settings/lead-rules", {"daily_claim_limit": 3}, permission="lead.settings"),
    Case("get", "/settings/holding-limits", permission="rules.holding_limits"),
    Case(
        "put",
        "/settings/holding-limits",
        {"lead": {"default_limit": 5, "rules": []}},
        permission="rules.holding_limits",
    ),
]


def _snapshot(tenant):
    with tenant_context(tenant):
        return list(Lead.objects.order_by("pk").values_list("pk", "name", "state", "deleted_at"))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_anonymous_gets_401(case, world, api):
    assert call(api(), case, world).status_code == 401


@pytest.mark.parametrize("case", [c for c in CASES if c.permission], ids=str)
def test_without_permission_gets_403_and_changes_nothing(case, world, api):
    before = _snapshot(world["owner"].tenant)
    response = call(api(world["member"]), case, world)
    # A pending lead is out of a 普通员工's sight altogether, so naming it answers 404, not 403.
    expected = (404, "not_found") if case.record else (403, "permission_denied")
    assert (response.status_code, response.json()["code"]) == expected, response.content
    assert _snapshot(world["owner"].tenant) == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_allowed_caller_succeeds(case, world, api):
    response = call(api(world["owner"]), case, world)
    assert response.status_code in case.ok, response.content


@pytest.mark.parametrize("case", [c for c in CASES if c.record], ids=str)
def test_other_enterprise_lead_is_404_and_untouched(case, world, api):
    before = _snapshot(world["foreign_tenant"])
    response = call(api(world["owner"]), case, world, side="foreign")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert _snapshot(world["foreign_tenant"]) == before


def test_pool_contacts_are_masked_in_the_api(enterprise, api):
    rep = factories.employee(enterprise, name="销售")
    with tenant_context(enterprise.tenant):
        lead = services.lead_create(actor=rep, phone="15612342345", email="li@example.com")
        services.lead_release(actor=rep, lead_id=lead.pk)
    other = api(factories.employee(enterprise, name="同事"))
    item = other.get("/leads", {"state": "pool"}).json()["items"][0]
    assert (item["phone"], item["email"], item["masked"]) == ("156****2345", "l***@example.com", True)
    assert other.get(f"/leads/{lead.pk}").json()["phone"] == "156****2345"
    claimed = other.post("/leads/claim", {"ids": [lead.pk]}).json()
    assert claimed == {"succeeded": [lead.pk], "failed": []}
    assert other.get(f"/leads/{lead.pk}").json()["phone"] == "15612342345"


def test_bulk_answers_name_each_failure(enterprise, api):
    client = api(enterprise)
    rep = factories.employee(enterprise, name="销售")
    with tenant_context(enterprise.tenant):
        pending = services.lead_create(actor=enterprise, phone="13900004444")
        owned = services.lead_create(actor=rep, phone="13900005555")
    body = client.post(
        "/leads/allocate", {"ids": [pending.pk, owned.pk, 99999], "employee_id": rep.pk}
    ).json()
    assert body["succeeded"] == [pending.pk]
    assert {(f["id"], f["code"]) for f in body["failed"]} == {
        (owned.pk, "invalid_transition"),
        (99999, "not_found"),
    }
    status = client.post(f"/leads/{owned.pk}/status", {"status": "pending"})
    assert status.status_code == 422
    duplicate = client.post("/leads", {"phone": "139 0000 5555"})
    assert duplicate.status_code == 409 and duplicate.json()["details"]["holder"] == "销售"


def test_lead_list_query_count_is_constant(enterprise, api):
    client = api(enterprise)
    client.get("/me")
    with tenant_context(enterprise.tenant):
        services.lead_create(actor=enterprise, phone="13700000000")
    with CaptureQueriesContext(connection) as few:
        client.get("/leads", {"state": "unallocated"})
    with tenant_context(enterprise.tenant):
        for i in range(1, 25):
            services.lead_create(actor=enterprise, phone=f"137000000{i:02d}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/leads", {"state": "unallocated", "page_size": 100}).json()["total"] == 25
    assert len(many) == len(few)
