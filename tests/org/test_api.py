"""Organisation API: the permission matrix, refusals with their codes, and query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.matrix import Case, call
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services
from tidecrm.org.models import Department, Employee, Role


@pytest.fixture
def world(enterprise, other_enterprise):
    """Two enterprises with a department, a custom role and employees in each."""
    owner = enterprise
    with tenant_context(owner.tenant):
        department = services.department_create(actor=owner, name="销售部")
        role = services.role_create(actor=owner, name="临时角色", permissions=["org.view"])
    with tenant_context(other_enterprise.tenant):
        foreign_department = services.department_create(actor=other_enterprise, name="外企部门")
        foreign_role = services.role_create(actor=other_enterprise, name="外企角色")
    member = factories.employee(owner, name="普通员工甲", role_keys=("member",))
    target = factories.employee(owner, name="目标员工", role_keys=("sales",))
    foreign_employee = factories.employee(other_enterprise, name="外企员工")
    return {
        "owner": owner,
        "member": member,
        "own": {"employee": target.pk, "department": department.pk, "role": role.pk},
        "foreign": {
            "employee": foreign_employee.pk,
            "department": foreign_department.pk,
            "role": foreign_role.pk,
        },
        "foreign_tenant": other_enterprise.tenant,
    }


MANAGE_EMPLOYEES = "org.manage_employees"
CASES = [
    Case("get", "/permissions"),
    Case("get", "/departments"),
    Case("get", "/departments/{id}", record="department"),
    Case("post", "/departments", body={"name": "新部门"}, permission="org.manage_departments"),
    Case("patch", "/departments/{id}", {"name": "改名部门"}, "org.manage_departments", "department"),
    Case("delete", "/departments/{id}", permission="org.manage_departments", record="department"),
    Case("get", "/roles", permission="org.view"),
    Case("get", "/roles/{id}", permission="org.view", record="role"),
    Case("post", "/roles", body={"name": "新角色"}, permission="org.manage_roles"),
    Case("patch", "/roles/{id}", {"description": "改描述"}, "org.manage_roles", "role"),
    Case("delete", "/roles/{id}", permission="org.manage_roles", record="role"),
    Case("get", "/employees"),
    Case("get", "/employees/{id}", record="employee"),
    Case("post", "/employees", {"name": "新员工", "phone": "13711112222"}, MANAGE_EMPLOYEES),
    Case("patch", "/employees/{id}", {"title": "主管"}, MANAGE_EMPLOYEES, "employee"),
    Case("post", "/employees/{id}/disable", {}, MANAGE_EMPLOYEES, "employee"),
    Case("post", "/employees/{id}/resign", {}, MANAGE_EMPLOYEES, "employee"),
    Case("delete", "/employees/{id}", permission=MANAGE_EMPLOYEES, record="employee"),
    Case("post", "/employees/{id}/password", {"password": "NewPass123"}, MANAGE_EMPLOYEES, "employee"),
    Case(
        "post",
        "/employees/bulk-status",
        lambda w: {"action": "disable", "ids": [w["own"]["employee"]]},
        MANAGE_EMPLOYEES,
    ),
    Case("get", "/inheritance", permission="org.inherit"),
]


def _snapshot(tenant):
    """What a refused or foreign call must not change: departments, roles, employees."""
    with tenant_context(tenant):
        return (
            list(Department.objects.values_list("pk", "name", "path")),
            list(Role.objects.values_list("pk", "name", "description")),
            list(Employee.objects.values_list("pk", "status", "title", "deleted_at")),
        )


@pytest.mark.parametrize("case", CASES, ids=str)
def test_anonymous_gets_401(case, world, api):
    response = call(api(), case, world)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("case", [c for c in CASES if c.permission], ids=str)
def test_without_permission_gets_403_and_changes_nothing(case, world, api):
    before = _snapshot(world["owner"].tenant)
    response = call(api(world["member"]), case, world)
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission_denied"
    assert _snapshot(world["owner"].tenant) == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_allowed_caller_succeeds(case, world, api):
    response = call(api(world["owner"]), case, world)
    assert response.status_code in case.ok, response.content


@pytest.mark.parametrize("case", [c for c in CASES if c.record], ids=str)
def test_other_enterprise_record_is_404_and_untouched(case, world, api):
    before = _snapshot(world["foreign_tenant"])
    response = call(api(world["owner"]), case, world, side="foreign")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _snapshot(world["foreign_tenant"]) == before


def test_employee_list_query_count_is_constant(enterprise, api):
    client = api(enterprise)
    client.get("/me")  # the token's first use records last_used_at; measure after it
    for index in range(3):
        factories.employee(enterprise, name=f"员工{index}")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/employees", {"page_size": 100}).status_code == 200
    for index in range(25):
        factories.employee(enterprise, name=f"更多员工{index}")
    with CaptureQueriesContext(connection) as many:
        body = client.get("/employees", {"page_size": 100}).json()
    assert body["total"] == 29
    assert len(many) == len(few)


def test_department_list_query_count_is_constant(enterprise, api):
    client = api(enterprise)
    client.get("/me")
    with tenant_context(enterprise.tenant):
        parent = services.department_create(actor=enterprise, name="一级")
    with CaptureQueriesContext(connection) as few:
        client.get("/departments")
    with tenant_context(enterprise.tenant):
        for index in range(20):
            services.department_create(actor=enterprise, name=f"二级{index}", parent_id=parent.pk)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/departments").json()) == 21
    assert len(many) == len(few)


def test_bulk_status_endpoint_follows_the_bulk_contract(enterprise, api):
    person = factories.employee(enterprise, name="批量")
    response = api(enterprise).post(
        "/employees/bulk-status", {"action": "resign", "ids": [person.pk, enterprise.pk, 999999]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["succeeded"] == [person.pk]
    assert {(f["id"], f["code"]) for f in body["failed"]} == {
        (enterprise.pk, "super_admin_immutable"),
        (999999, "not_found"),
    }
    unknown = api(enterprise).post("/employees/bulk-status", {"action": "explode", "ids": [person.pk]})
    assert unknown.status_code == 422 and unknown.json()["code"] == "validation_error"


def test_fixed_employee_paths_are_not_taken_for_ids(enterprise, api):
    """/employees/move and /employees/roles must reach their own endpoints, not /employees/{id}."""
    person = factories.employee(enterprise, name="移动")
    with tenant_context(enterprise.tenant):
        target = services.department_create(actor=enterprise, name="目标部门")
        manager = Role.objects.get(system_key="sales_manager")
    client = api(enterprise)
    moved = client.post("/employees/move", {"ids": [person.pk], "department_id": target.pk})
    assert moved.status_code == 200 and moved.json()[0]["main_department_id"] == target.pk
    roles = client.post("/employees/roles", {"ids": [person.pk], "role_ids": [manager.pk]})
    assert roles.status_code == 200 and roles.json()["succeeded"] == [person.pk]


def test_permissions_say_which_codes_a_role_may_carry(enterprise, api):
    from tidecrm.core.permissions import REGISTRY

    listed = {p["code"]: p["assignable"] for p in api(enterprise).get("/permissions").json()}

    owner_only = {code for code, p in REGISTRY.items() if p.owner_only}
    assert owner_only, "the registry names the super admin's own codes"
    assert {code for code, assignable in listed.items() if not assignable} == owner_only
    refused = api(enterprise).post("/roles", {"name": "越权角色", "permissions": sorted(owner_only)[:1]})
    assert refused.status_code == 422
