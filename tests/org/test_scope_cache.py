"""The data-scope cache (org.scopes, issue 13): a request that follows a change of the organisation
sees the new scope at once -- a role's data scope, a move to another department, a new
supervisor -- and a request's scope costs no query once cached."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config, services
from tidecrm.org import services as org_services
from tidecrm.org.models import Employee, OrganisationVersion, Role


@pytest.fixture
def org(enterprise):
    admin = enterprise
    with tenant_context(admin.tenant):
        config.default_library(), config.stages()
        east = org_services.department_create(actor=admin, name="华东")
        west = org_services.department_create(actor=admin, name="华西")
    people = {
        "admin": admin,
        "manager": factories.employee(
            admin, name="华东经理", role_keys=("sales_manager",), departments=[east], main_department=east
        ),
        "rep": factories.employee(admin, name="华东甲", departments=[east], main_department=east),
        "outsider": factories.employee(admin, name="华西丙", departments=[west], main_department=west),
        "east": east,
        "west": west,
    }
    with tenant_context(admin.tenant):
        # The stamp the requests cache under (also without the services' organisation_changed).
        OrganisationVersion.unscoped.update_or_create(tenant=admin.tenant, defaults={"stamp": 1})
        services.customer_create(
            actor=people["outsider"], name="丙公司", contacts=[{"name": "丙", "mobile": "13911110003"}]
        )
        services.customer_create(
            actor=people["rep"], name="甲公司", contacts=[{"name": "甲", "mobile": "13911110001"}]
        )
        yield people


def listed(client):
    answer = client.get("/customers", {"scope": "all"})
    assert answer.status_code == 200, answer.content
    return sorted(item["name"] for item in answer.json()["items"])


def test_a_move_to_another_department_shows_at_the_next_request(org, api):
    manager = api(org["manager"])
    assert listed(manager) == ["甲公司"]  # cached now
    assert listed(manager) == ["甲公司"]

    outsider = Employee.objects.get(pk=org["outsider"].pk)
    org_services.employee_update(
        actor=org["admin"],
        employee=outsider,
        department_ids=[org["east"].pk],
        main_department_id=org["east"].pk,
    )

    assert listed(manager) == ["丙公司", "甲公司"]


def test_a_role_given_the_company_scope_shows_everything_at_the_next_request(org, api):
    rep = api(org["rep"])
    assert listed(rep) == ["甲公司"]
    role = Role.objects.get(employee_links__employee=org["rep"])

    org_services.role_update(actor=org["admin"], role=role, data_scopes={"customer": "company"})

    assert listed(rep) == ["丙公司", "甲公司"]


def test_a_new_supervisor_sees_the_subordinate_at_the_next_request(org, api):
    rep = api(org["rep"])
    assert listed(rep) == ["甲公司"]

    outsider = Employee.objects.get(pk=org["outsider"].pk)
    org_services.employee_update(actor=org["admin"], employee=outsider, supervisor_id=org["rep"].pk)

    assert listed(rep) == ["丙公司", "甲公司"]


def test_a_cached_scope_costs_no_query(org, api):
    manager = api(org["manager"])
    listed(manager)
    with CaptureQueriesContext(connection) as first:
        listed(manager)
    with CaptureQueriesContext(connection) as second:
        listed(manager)
    assert len(second) == len(first)
    assert not any(
        "RECURSIVE" in q["sql"] or "org_employeedepartment" in q["sql"] for q in second.captured_queries
    )
