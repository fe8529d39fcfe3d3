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
        "target": target,
        "department": department,
        "role": role,
        "foreign": {"employee": foreign_employee, "department": foreign_department, "role": foreign_role},
    }


def _employee(w):
    return w["target"].pk


def _department(w):
    return w["department"].pk


def _role(w):
    return w["role"].pk


CASES = [
    Case("get", "/permissions"),
    Case("get", "/departments"),
    Case(
        "get",
        "/departments/{id}",
        make_target=_department,
        make_foreign=lambda w: w["foreign"]["department"].pk,
    ),
    Case("post", "/departments", body={"name": "新部门"}, permission="org.manage_departments"),
    Case(
        "patch",
        "/departments/{id}",
        body={"name": "改名部门"},
        permission="org.manage_departments",
        make_target=_department,
        make_foreign=lambda w: w["foreign"]["department"].pk,
    ),
    Case(
        "delete",
        "/departments/{id}",
        permission="org.manage_departments",
        make_target=_department,
        make_foreign=lambda w: w["foreign"]["department"].pk,
    ),
    Case("get", "/roles", permission="org.view"),
    Case(
        "get",
        "/roles/{id}",
        permission="org.view",
        make_target=_role,
        make_foreign=lambda w: w["foreign"]["role"].pk,
    ),
    Case("post", "/roles", body={"name": "新角色"}, permission="org.manage_roles"),
    Case(
        "patch",
        "/roles/{id}",
        body={"description": "改描述"},
        permission="org.manage_roles",
        make_target=_role,
        make_foreign=lambda w: w["foreign"]["role"].pk,
    ),
    Case(
        "delete",
        "/roles/{id}",
        permission="org.manage_roles",
        make_target=_role,
        make_foreign=lambda w: w["foreign"]["role"].pk,
    ),
    Case("get", "/employees"),
    Case("get", "/employees/{id}", make_target=_employee, make_foreign=lambda w: w["foreign"]["employee"].pk),
    Case(
        "post",
        "/employees",
        body={"name": "新员工", "phone": "13711112222"},
        permission="org.manage_employees",
    ),
    Case(
        "patch",
        "/employees/{id}",
        body={"title": "主管"},
        permission="org.manage_employees",
        make_target=_employee,
        make_foreign=lambda w: w["foreign"]["employee"].pk,
    ),
    Case(
        "post",
        "/employees/{id}/disable",
        body={},
        permission="org.manage_employees",
        make_target=_employee,
        make_foreign=lambda w: w["foreign"]["employee"].pk,
    ),
    Case(
        "post",
        "/employees/{id}/resign",
        body={},
        permission="org.manage_employees",
        make_target=_employee,
        make_foreign=lambda w: w["foreign"]["employee"].pk,
    ),
    Case(
        "delete",
        "/employees/{id}",
        permission="org.manage_employees",
        make_target=_employee,
        make_foreign=lambda w: w["foreign"]["employee"].pk,
    ),
    Case(
        "post",
        "/employees/{id}/password",
        body={"password": "NewPass123"},
        permission="org.manage_employees",
        make_target=_employee,
        make_foreign=lambda w: w["foreign"]["employee"].pk,
    ),
    Case("get", "/inheritance", permission="org.inherit"),
]


def _ids(case):
    return f"{case.method.upper()} {case.path}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_anonymous_gets_401(case, world, api):
    target = case.make_target(world) if case.make_target else None
    response = call(api(), case, world, target)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("case", [c for c in CASES if c.permission], ids=_ids)
def test_without_permission_gets_403_and_changes_nothing(case, world, api):
    target = case.make_target(world) if case.make_target else None
    with tenant_context(world["owner"].tenant):
        before = (
            Department.objects.count(),
            Role.objects.count(),
            list(Employee.objects.values_list("status", "title")),
        )
    response = call(api(world["member"]), case, world, target)
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission_denied"
    with tenant_context(world["owner"].tenant):
        after = (
            Department.objects.count(),
            Role.objects.count(),
            list(Employee.objects.values_list("status", "title")),
        )
    assert before == after


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_allowed_caller_succeeds(case, world, api):
    if case.method == "delete" and "/departments/" in case.path:
        pass  # the department in the world is empty, so it can go
    target = case.make_target(world) if case.make_target else None
    response = call(api(world["owner"]), case, world, target)
    assert response.status_code in case.ok, response.content


@pytest.mark.parametrize("case", [c for c in CASES if c.make_foreign], ids=_ids)
def test_other_enterprise_record_is_404(case, world, api):
    response = call(api(world["owner"]), case, world, case.make_foreign(world))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    # and it is untouched
    foreign = world["foreign"]
    with tenant_context(foreign["employee"].tenant):
        assert Employee.objects.get(pk=foreign["employee"].pk).status == "active"
        assert Department.objects.filter(pk=foreign["department"].pk).exists()
        assert Role.objects.filter(pk=foreign["role"].pk).exists()


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
