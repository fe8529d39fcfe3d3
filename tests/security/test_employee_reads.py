"""Employee reads (issue 11, finding 11): what the address book gives everyone, and what only
employee administrators read (API.md "Organisation", ORG-03/06/18, ROLE-12).

Everyone sees active colleagues (name, department, title, phone, e-mail). Inactive, disabled,
resigned and deleted employees, and anyone's roles, username and statistics flag, are for holders
of ``org.manage_employees`` within their 员工管理 scope (the super admin: everyone).
"""

import pytest

from tests import factories
from tests.conftest import mark_sudo
from tests.org.test_views import web_client
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services
from tidecrm.org.models import Employee, Role

HIDDEN_STATES = ("inactive", "disabled", "resigned")


@pytest.fixture
def world(enterprise):
    """一部 and 二部, each with an active, an inactive, a disabled and a resigned employee; a
    sales rep, a sales manager (org.view), a department employee admin of 一部 and a company one."""
    owner = enterprise
    with tenant_context(owner.tenant):
        one = services.department_create(actor=owner, name="一部")
        two = services.department_create(actor=owner, name="二部")
        department_admin_role = services.role_create(
            actor=owner,
            name="一部人事",
            permissions=["org.view", "org.manage_employees"],
            data_scopes={"employee": "department"},
        )
        company_admin_role = services.role_create(
            actor=owner,
            name="全公司人事",
            permissions=["org.view", "org.manage_employees"],
            data_scopes={"employee": "company"},
        )
    people = {}
    for department in (one, two):
        for state in ("active", *HIDDEN_STATES):
            person = factories.employee(
                owner,
                name=f"{department.name}{state}",
                main_department=department,
                username=f"user_{department.pk}_{state}",
                exclude_from_stats=True,
            )
            with tenant_context(owner.tenant):
                if state == "inactive":
                    Employee.objects.filter(pk=person.pk).update(status="inactive")
                elif state == "disabled":
                    services.employee_disable(actor=owner, employee=person)
                elif state == "resigned":
                    services.employee_resign(actor=owner, employee=person)
            people[(department.name, state)] = person
    rep = factories.employee(owner, name="销售", role_keys=("sales",), main_department=one)
    manager = factories.employee(owner, name="经理", role_keys=("sales_manager",), main_department=one)
    department_admin = factories.employee(owner, name="一部人事", role_keys=(), main_department=one)
    company_admin = factories.employee(owner, name="全公司人事", role_keys=(), main_department=one)
    with tenant_context(owner.tenant):
        services.employee_set_roles(actor=owner, employee=department_admin, roles=[department_admin_role])
        services.employee_set_roles(actor=owner, employee=company_admin, roles=[company_admin_role])
    return {
        "owner": owner,
        "one": one,
        "two": two,
        "people": people,
        "rep": rep,
        "manager": manager,
        "department_admin": department_admin,
        "company_admin": company_admin,
    }


def listed(api, employee, **params):
    response = api(employee).get("/employees", {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return {item["id"]: item for item in response.json()["items"]}


def hidden_ids(world, department=None):
    return {
        person.pk
        for (name, state), person in world["people"].items()
        if state in HIDDEN_STATES and (department is None or name == department)
    }


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_without_employee_administration_the_list_is_the_address_book(world, api, who):
    items = listed(api, world[who])
    assert not hidden_ids(world) & set(items)
    active = world["people"][("二部", "active")]
    assert active.pk in items
    row = items[active.pk]
    # the address book: name, department, title, phone in full
    assert (row["name"], row["phone"], row["main_department_id"], row["status"]) == (
        active.name,
        active.phone,
        world["two"].pk,
        "active",
    )
    # account details are not theirs to read
    assert all(item["role_ids"] == [] and item["username"] is None for item in items.values())
    assert all(item["exclude_from_stats"] is None for item in items.values())


@pytest.mark.parametrize("state", HIDDEN_STATES)
def test_without_employee_administration_other_states_are_not_found(world, api, state):
    client = api(world["rep"])
    person = world["people"][("一部", state)]
    assert client.get(f"/employees/{person.pk}").status_code == 404
    assert client.get("/employees", {"status": state}).json()["items"] == []
    assert client.get("/employees", {"q": person.name}).json()["items"] == []


def test_without_employee_administration_roles_give_no_answer(world, api):
    with tenant_context(world["owner"].tenant):
        admin_role = Role.objects.get(system_key="admin")
    assert api(world["rep"]).get("/employees", {"role_id": admin_role.pk}).json()["total"] == 0


def test_the_detail_follows_the_list(world, api):
    active = world["people"][("一部", "active")]
    row = api(world["rep"]).get(f"/employees/{active.pk}").json()
    assert (row["name"], row["phone"], row["role_ids"], row["username"]) == (
        active.name,
        active.phone,
        [],
        None,
    )
    row = api(world["company_admin"]).get(f"/employees/{active.pk}").json()
    assert row["username"] == active.username and row["role_ids"] and row["exclude_from_stats"] is True


@pytest.mark.parametrize("who", ["owner", "company_admin"])
def test_company_wide_administrators_read_everyone_with_details(world, api, who):
    items = listed(api, world[who])
    assert hidden_ids(world) <= set(items)
    person = world["people"][("二部", "disabled")]
    assert items[person.pk]["status"] == "disabled"
    assert items[person.pk]["username"] == person.username and items[person.pk]["role_ids"]


def test_a_department_administrator_reads_details_inside_their_scope_only(world, api):
    items = listed(api, world["department_admin"])
    assert hidden_ids(world, "一部") <= set(items)
    assert not hidden_ids(world, "二部") & set(items)
    inside, outside = world["people"][("一部", "active")], world["people"][("二部", "active")]
    assert items[inside.pk]["username"] == inside.username and items[inside.pk]["role_ids"]
    assert items[outside.pk]["username"] is None and items[outside.pk]["role_ids"] == []
    resigned_outside = world["people"][("二部", "resigned")]
    assert api(world["department_admin"]).get(f"/employees/{resigned_outside.pk}").status_code == 404


def test_the_recycle_bin_keeps_to_the_scope(world, api):
    owner = world["owner"]
    with tenant_context(owner.tenant):
        for department in ("一部", "二部"):
            resigned = Employee.objects.get(pk=world["people"][(department, "resigned")].pk)
            services.employee_delete(actor=owner, employee=resigned)
    binned = api(world["department_admin"]).get("/employees/recycle-bin").json()
    assert [item["id"] for item in binned["items"]] == [world["people"][("一部", "resigned")].pk]
    assert binned["items"][0]["username"] == world["people"][("一部", "resigned")].username


def test_the_org_page_lists_active_colleagues_without_account_details(world):
    """A sales manager (org.view, no 管理员工) opens 组织架构: the same rule as the API."""
    client = web_client(world["manager"])
    html = client.get("/org/", {"page_size": 100}).content.decode()
    assert world["people"][("一部", "active")].name in html
    for state in HIDDEN_STATES:
        assert world["people"][("一部", state)].name not in html
    assert world["people"][("一部", "active")].username not in html
    assert "销售顾问" not in html  # the rep's role
    resigned = client.get("/org/", {"status": "resigned"})
    assert list(resigned.context["page"].items) == []
    drawer = client.get(f"/org/employees/{world['people'][('一部', 'disabled')].pk}/", HTTP_HX_REQUEST="true")
    assert drawer.status_code == 404
    active = world["people"][("一部", "active")]
    drawer = client.get(f"/org/employees/{active.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert active.phone in drawer and active.username not in drawer and "销售顾问" not in drawer


def test_the_org_page_shows_everything_to_an_employee_administrator(world):
    html = mark_sudo(web_client(world["owner"])).get("/org/", {"page_size": 100}).content.decode()
    for state in HIDDEN_STATES:
        assert world["people"][("二部", state)].name in html
    assert world["people"][("二部", "active")].username in html


def test_the_address_book_page_lists_active_colleagues_only(world):
    html = web_client(world["rep"]).get("/org/contacts/", {"page_size": 100}).content.decode()
    assert world["people"][("二部", "active")].name in html
    assert world["people"][("二部", "active")].phone in html
    for state in HIDDEN_STATES:
        assert world["people"][("二部", state)].name not in html
