"""TEN-20 security log: who may read it, its list shape, and that it stays in its enterprise."""

import pytest

from tests import factories
from tidecrm.accounts.models import SecurityEvent
from tidecrm.core.tenancy import tenant_context


def _log_in(client_from, employee, password=factories.PASSWORD, ip="127.0.0.1"):
    return client_from(ip).post("/auth/token", {"login": employee.phone, "password": password})


def test_super_admin_reads_the_log_as_a_page(enterprise, api, client_from):
    assert _log_in(client_from, enterprise, password="Wrong12345").status_code == 401
    assert _log_in(client_from, enterprise).status_code == 200

    response = api(enterprise).get("/security-log")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"items", "total", "total_capped", "page", "page_size"}
    assert body["page"] == 1
    assert body["page_size"] == 20
    with tenant_context(enterprise.tenant):
        assert body["total"] == SecurityEvent.objects.count()
    kinds = [item["kind"] for item in body["items"]]
    assert "login_failure" in kinds
    assert "login_success" in kinds
    failure = next(item for item in body["items"] if item["kind"] == "login_failure")
    assert failure["success"] is False
    assert failure["employee_id"] == enterprise.pk
    assert failure["employee_name"] == enterprise.name
    assert failure["ip"] == "127.0.0.1"
    assert failure["kind_label"] == "登录失败"
    # Newest first.
    ids = [item["id"] for item in body["items"]]
    assert ids == sorted(ids, reverse=True)


def test_log_filters_and_pages(enterprise, api, client_from):
    for _attempt in range(3):
        _log_in(client_from, enterprise, password="Wrong12345", ip="10.4.0.1")
    client = api(enterprise)

    failures = client.get("/security-log", {"kind": "login_failure"}).json()
    assert failures["total"] == 3
    assert {item["kind"] for item in failures["items"]} == {"login_failure"}
    assert client.get("/security-log", {"success": "false"}).json()["total"] == 3

    first = client.get("/security-log", {"page_size": 2}).json()
    second = client.get("/security-log", {"page_size": 2, "page": 2}).json()
    assert first["page_size"] == 2 and len(first["items"]) == 2
    assert second["page"] == 2
    assert not {item["id"] for item in first["items"]} & {item["id"] for item in second["items"]}
    assert client.get("/security-log", {"page_size": 1000}).json()["page_size"] == 100


@pytest.mark.parametrize("role_keys", [("sales",), ("member",), ("sales_manager",)])
def test_employees_without_the_permission_are_refused(enterprise, api, role_keys):
    person = factories.employee(enterprise, role_keys=role_keys)

    response = api(person).get("/security-log")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_administrator_role_may_read_the_log(enterprise, api):
    administrator = factories.employee(enterprise, role_keys=("admin",))

    assert api(administrator).get("/security-log").status_code == 200


def test_anonymous_is_refused(db, api):
    assert api().get("/security-log").status_code == 401


def test_events_of_another_enterprise_never_appear(enterprise, other_enterprise, api, client_from):
    _log_in(client_from, other_enterprise, password="Wrong12345", ip="10.4.1.1")
    _log_in(client_from, other_enterprise, ip="10.4.1.1")
    with tenant_context(other_enterprise.tenant):
        foreign_ids = set(SecurityEvent.objects.values_list("id", flat=True))
    assert foreign_ids

    body = api(enterprise).get("/security-log", {"page_size": 100}).json()

    assert not {item["id"] for item in body["items"]} & foreign_ids
    assert all(item["employee_id"] in (enterprise.pk, None) for item in body["items"])
    assert all(item["ip"] != "10.4.1.1" for item in body["items"])
    with tenant_context(enterprise.tenant):
        assert body["total"] == SecurityEvent.objects.count()
    # Filtering by an employee of the other enterprise finds nothing either.
    assert api(enterprise).get("/security-log", {"employee_id": other_enterprise.pk}).json()["total"] == 0
