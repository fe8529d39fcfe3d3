"""Pages of the organisation: tree + members, drawer, roles, inheritance (tidecrm/org/views.py)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.conftest import mark_sudo
from tidecrm.accounts.sessions import SESSION_ACCOUNT, SESSION_AUTH_HASH, SESSION_EMPLOYEE, auth_hash
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services
from tidecrm.org.models import Department, Employee, EmployeeRole, Role

HTMX = {"HTTP_HX_REQUEST": "true"}


def web_client(employee):
    """Return a test client with a web session for ``employee``."""
    client = Client()
    session = client.session
    session[SESSION_ACCOUNT] = employee.account_id
    session[SESSION_EMPLOYEE] = employee.pk
    session[SESSION_AUTH_HASH] = auth_hash(employee.account)
    session.save()
    return client


@pytest.fixture
def admin(enterprise):
    return mark_sudo(web_client(enterprise))  # the org pages are enterprise settings


def department(owner, name, parent=None):
    with tenant_context(owner.tenant):
        return services.department_create(actor=owner, name=name, parent_id=parent.pk if parent else None)


def in_tenant(owner, function, *args, **kwargs):
    with tenant_context(owner.tenant):
        return function(*args, **kwargs)


PAGES = ["/org/", "/org/roles/", "/org/roles/new/", "/org/inheritance/"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_open_for_the_super_admin(admin, url):
    response = admin.get(url)
    assert response.status_code == 200
    assert "组织架构" in response.content.decode()


@pytest.mark.parametrize("url", [*PAGES, "/org/employees/new/", "/org/departments/new/"])
def test_a_sales_consultant_gets_the_403_page(enterprise, url):
    sales = factories.employee(enterprise, name="销售小李", role_keys=("sales",))
    response = web_client(sales).get(url)
    assert response.status_code == 403
    assert "没有权限执行此操作" in response.content.decode()


def test_anonymous_visitors_are_sent_to_login(db):
    response = Client().get("/org/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_tree_shows_departments_with_head_counts_and_members_of_the_subtree(enterprise, admin):
    sales = department(enterprise, "销售部")
    east = department(enterprise, "华东组", parent=sales)
    in_tenant(
        enterprise,
        services.employee_update,
        actor=enterprise,
        employee=factories.employee(enterprise, name="张三"),
        department_ids=[east.pk],
    )
    response = admin.get("/org/", {"department": sales.pk})
    html = response.content.decode()
    assert '销售部<span class="text-secondary">(1人)' in html
    assert '华东组<span class="text-secondary">(1人)' in html
    assert "张三" in html  # a member of a sub-department is listed under its parent
    assert [e.name for e in response.context["page"].items] == ["张三"]  # not the admin outside it


def test_member_list_filters_by_keyword_and_status_and_answers_the_partial_for_htmx(enterprise, admin):
    factories.employee(enterprise, name="张三")
    factories.employee(enterprise, name="李四")
    response = admin.get("/org/", {"q": "李"}, HTTP_HX_TARGET="member-list", **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert "李四" in html and "张三" not in html
    response = admin.get("/org/", {"status": "resigned"})
    assert [e.name for e in response.context["page"].items] == []
    assert "该部门暂无员工" in response.content.decode() or "没有符合条件的员工" in response.content.decode()


def test_empty_department_offers_to_add_an_employee(enterprise, admin):
    empty = department(enterprise, "空部门")
    html = admin.get("/org/", {"department": empty.pk}).content.decode()
    assert "该部门暂无员工" in html
    assert "添加员工" in html


def test_create_department_through_the_modal(enterprise, admin):
    response = admin.post("/org/departments/new/", {"name": "销售一部"}, **HTMX)
    assert response.status_code == 204
    created = in_tenant(enterprise, Department.objects.get, name="销售一部")
    assert response["HX-Redirect"] == f"/org/?department={created.pk}"


def test_department_refusals_re_render_the_modal_with_the_chinese_message(enterprise, admin):
    department(enterprise, "销售一部")
    response = admin.post("/org/departments/new/", {"name": "销售一部"}, **HTMX)
    assert response.status_code == 200
    assert "同级部门下已有同名部门" in response.content.decode()
    response = admin.post("/org/departments/new/", {"name": "  "}, **HTMX)
    assert "请填写部门名称" in response.content.decode()
    assert in_tenant(enterprise, Department.objects.count) == 1


def test_deleting_a_department_with_members_is_refused(enterprise, admin):
    sales = department(enterprise, "销售部")
    person = factories.employee(enterprise, name="张三")
    in_tenant(
        enterprise, services.employee_update, actor=enterprise, employee=person, department_ids=[sales.pk]
    )
    response = admin.post(f"/org/departments/{sales.pk}/delete/", **HTMX)
    assert "请先移走该部门下的子部门和员工" in response.content.decode()
    assert in_tenant(enterprise, lambda: Department.objects.filter(pk=sales.pk).exists())


def test_rename_and_delete_an_empty_department(enterprise, admin):
    sales = department(enterprise, "销售部")
    response = admin.post(f"/org/departments/{sales.pk}/edit/", {"name": "销售中心", "parent_id": ""}, **HTMX)
    assert response.status_code == 204
    assert in_tenant(enterprise, Department.objects.get, pk=sales.pk).name == "销售中心"
    response = admin.post(f"/org/departments/{sales.pk}/delete/", **HTMX)
    assert response.status_code == 204
    assert not in_tenant(enterprise, Department.objects.exists)


def test_add_employee_with_a_role_and_an_initial_password(enterprise, admin):
    sales_department = department(enterprise, "销售一部")
    sales_role = in_tenant(enterprise, Role.objects.get, system_key="sales")
    response = admin.post(
        "/org/employees/new/",
        {
            "name": "李雷",
            "phone": "13700001111",
            "title": "销售代表",
            "department_ids": [sales_department.pk],
            "role_ids": [sales_role.pk],
            "password": "Start1234",
        },
        **HTMX,
    )
    assert response.status_code == 204, response.content.decode()
    employee = in_tenant(enterprise, Employee.objects.get, phone="13700001111")
    assert employee.must_change_password
    assert employee.main_department_id == sales_department.pk
    assert [r.pk for r in in_tenant(enterprise, lambda: list(employee.role_list))] == [sales_role.pk]


def test_add_employee_refusals_show_field_errors(enterprise, admin):
    response = admin.post("/org/employees/new/", {"name": "", "phone": "123"}, **HTMX)
    html = response.content.decode()
    assert "请填写姓名" in html and "请输入正确的11位手机号" in html
    before = in_tenant(enterprise, Employee.objects.count)
    response = admin.post(
        "/org/employees/new/", {"name": "弱密码", "phone": "13700002222", "password": "123"}, **HTMX
    )
    assert "密码至少8位" in response.content.decode()
    assert in_tenant(enterprise, Employee.objects.count) == before


def test_drawer_shows_the_profile_and_actions(enterprise, admin):
    person = factories.employee(enterprise, name="张三", title="销售代表")
    response = admin.get(f"/org/employees/{person.pk}/", **HTMX)
    html = response.content.decode()
    assert "员工详情 · 张三" in html
    for action in ("调整角色", "重置密码", "调整部门", "禁用", "办理离职"):
        assert action in html


def test_drawer_actions_call_the_services_and_refusals_become_a_toast(enterprise, admin):
    person = factories.employee(enterprise, name="张三")
    response = admin.post(f"/org/employees/{person.pk}/status/disable/", **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "org-changed"
    assert in_tenant(enterprise, Employee.objects.get, pk=person.pk).status == Employee.Status.DISABLED
    response = admin.post(f"/org/employees/{enterprise.pk}/status/resign/", **HTMX)
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#toasts"
    assert "不能对超级管理员执行“离职”" in response.content.decode()
    assert in_tenant(enterprise, Employee.objects.get, pk=enterprise.pk).status == Employee.Status.ACTIVE


def test_adjust_role_from_the_drawer(enterprise, admin):
    person = factories.employee(enterprise, name="张三")
    manager = in_tenant(enterprise, Role.objects.get, system_key="sales_manager")
    response = admin.post(f"/org/employees/{person.pk}/edit/roles/", {"role_ids": [manager.pk]}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#drawer-slot"
    assert in_tenant(
        enterprise, lambda: [link.role_id for link in EmployeeRole.objects.filter(employee=person)]
    ) == [manager.pk]


def test_bulk_resign_handles_each_employee_on_its_own(enterprise, admin):
    """API.md bulk rule: one refusal (the super admin) neither blocks nor undoes the others."""
    one = factories.employee(enterprise, name="张三")
    response = admin.post("/org/employees/bulk/resign/", {"employee_ids": [one.pk, enterprise.pk]}, **HTMX)
    assert response.status_code == 200
    text = response.content.decode()
    assert "已为 1 名员工办理离职" in text and "1 名未处理" in text and "不能对超级管理员" in text
    assert in_tenant(enterprise, Employee.objects.get, pk=one.pk).status == Employee.Status.RESIGNED
    assert in_tenant(enterprise, Employee.objects.get, pk=enterprise.pk).status == Employee.Status.ACTIVE


def test_bulk_move_and_assign_role(enterprise, admin):
    sales = department(enterprise, "销售部")
    people = [factories.employee(enterprise, name=f"员工{i}") for i in range(2)]
    ids = [p.pk for p in people]
    response = admin.post(
        "/org/employees/batch/move/", {"employee_ids": ids, "department_id": sales.pk}, **HTMX
    )
    assert response.status_code == 204
    assert set(
        in_tenant(
            enterprise,
            lambda: list(Employee.objects.filter(pk__in=ids).values_list("main_department_id", flat=True)),
        )
    ) == {sales.pk}
    manager = in_tenant(enterprise, Role.objects.get, system_key="sales_manager")
    response = admin.post("/org/employees/batch/role/", {"employee_ids": ids, "role_id": manager.pk}, **HTMX)
    assert response.status_code == 204
    assert (
        in_tenant(enterprise, lambda: EmployeeRole.objects.filter(employee_id__in=ids, role=manager).count())
        == 2
    )
    response = admin.post("/org/employees/batch/role/", {"employee_ids": ids}, **HTMX)
    assert "请选择角色" in response.content.decode()


def _member_list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/org/", {"page_size": 50}, HTTP_HX_TARGET="member-list", **HTMX)
    assert response.status_code == 200
    return len(queries)


def test_member_list_query_count_does_not_grow_with_employees(enterprise, admin):
    sales = department(enterprise, "销售部")
    for i in range(3):
        factories.employee(enterprise, name=f"员工{i}", departments=[sales])
    few = _member_list_queries(admin)
    for i in range(27):
        factories.employee(enterprise, name=f"新员工{i}", departments=[sales])
    many = _member_list_queries(admin)
    assert many == few
    with CaptureQueriesContext(connection) as full_page:
        admin.get("/org/")
    assert len(full_page) <= few + 6  # + the tree, the head count and the shell


def test_role_list_and_system_role_refusals(enterprise, admin):
    html = admin.get("/org/roles/").content.decode()
    for name in ("管理员", "销售经理", "销售顾问", "普通员工"):
        assert name in html
    sales_role = in_tenant(enterprise, Role.objects.get, system_key="sales")
    response = admin.post(f"/org/roles/{sales_role.pk}/delete/", **HTMX)
    assert response.status_code == 409
    assert "系统默认角色无法删除" in response.content.decode()
    member = in_tenant(enterprise, Role.objects.get, system_key="member")
    response = admin.post(f"/org/roles/{member.pk}/", {"name": "员工", "permissions_editable": "1"})
    assert response.status_code == 200
    assert "普通员工角色不能改名" in response.content.decode()
    assert in_tenant(enterprise, Role.objects.get, pk=member.pk).name == "普通员工"


def test_role_editor_creates_a_role_with_permissions_and_department_scope(enterprise, admin):
    sales = department(enterprise, "销售部")
    response = admin.get("/org/roles/new/")
    html = response.content.decode()
    assert "全选" in html and "指定部门" in html and "通话记录" in html
    response = admin.post(
        "/org/roles/new/",
        {
            "name": "区域主管",
            "description": "看本区域",
            "permissions_editable": "1",
            "permissions": ["org.view"],
            "scope_customer": "departments",
            "scope_departments_customer": [sales.pk],
            "scope_lead": "company",
        },
    )
    assert response.status_code == 302
    role = in_tenant(enterprise, Role.objects.get, name="区域主管")
    assert role.permissions == ["org.view"]
    assert role.data_scopes["customer"] == "departments"
    assert role.data_scopes["lead"] == "company"
    assert role.data_scopes["report"] == "self"
    assert role.scope_departments == {"customer": [sales.pk]}


def test_role_editor_requires_a_department_for_specified_departments(enterprise, admin):
    response = admin.post(
        "/org/roles/new/", {"name": "区域主管", "permissions_editable": "1", "scope_customer": "departments"}
    )
    assert response.status_code == 200
    assert "选择“指定部门”时至少选择一个部门" in response.content.decode()
    assert not in_tenant(enterprise, lambda: Role.objects.filter(name="区域主管").exists())


def test_role_members_can_be_added_and_removed(enterprise, admin):
    person = factories.employee(enterprise, name="张三", role_keys=("member",))
    manager = in_tenant(enterprise, Role.objects.get, system_key="sales_manager")
    admin.post(f"/org/roles/{manager.pk}/members/", {"add_ids": [person.pk]})
    assert "张三" in admin.get(f"/org/roles/{manager.pk}/").content.decode()
    admin.post(f"/org/roles/{manager.pk}/members/", {"remove_ids": [person.pk]})
    assert not in_tenant(
        enterprise, lambda: EmployeeRole.objects.filter(employee=person, role=manager).exists()
    )


def test_inheritance_lists_resigned_employees_and_inherits(enterprise, admin):
    gone = factories.employee(enterprise, name="离职的王五")
    heir = factories.employee(enterprise, name="接手的赵六")
    in_tenant(enterprise, services.employee_resign, actor=enterprise, employee=gone)
    html = admin.get("/org/inheritance/").content.decode()
    assert "离职的王五" in html and "待继承线索数" in html
    response = admin.post("/org/inheritance/inherit/", {"employee_ids": [gone.pk]}, **HTMX)
    assert "请选择接收人" in response.content.decode()
    response = admin.post(
        "/org/inheritance/inherit/", {"employee_ids": [gone.pk], "to_employee_id": gone.pk}, **HTMX
    )
    assert "接收人必须是在职且已启用的员工" in response.content.decode()
    response = admin.post(
        "/org/inheritance/inherit/", {"employee_ids": [gone.pk], "to_employee_id": heir.pk}, **HTMX
    )
    assert response.status_code == 204
