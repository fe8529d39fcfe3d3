"""The organisation in a real browser: an admin builds a department and an employee with the
销售顾问 role, and that employee then sees only what the role allows."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import enter_sudo
from tests.e2e.pickers import pick_employee
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services

ADMIN_PHONE = "13811112222"
EMPLOYEE_PHONE = "13733334444"
PASSWORD = factories.PASSWORD
INITIAL_PASSWORD = "Start1234"
NEW_PASSWORD = "Mine5678"
PHONE_VIEWPORT = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


def log_in(page, base_url, phone, password):
    page.goto(f"{base_url}/login/")
    page.get_by_label("账号").fill(phone)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_test_id("agree").check()
    page.get_by_test_id("login-submit").click()


def log_out(page, base_url):
    page.get_by_label("我的账号").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{base_url}/login/")


def test_admin_builds_the_organisation_and_the_employee_sees_only_their_role(page, live_server, screenshot):
    owner = factories.enterprise(name="杭州潮汐科技有限公司", admin_name="王总", phone=ADMIN_PHONE)
    base = live_server.url

    log_in(page, base, ADMIN_PHONE, PASSWORD)
    page.wait_for_url(f"{base}/")
    enter_sudo(page, base, PASSWORD, "/org/")  # the org pages are enterprise settings
    assert page.get_by_test_id("dept-root").inner_text().startswith("全公司")

    # A department through the modal.
    page.get_by_test_id("add-department").click()
    page.get_by_label("部门名称").fill("销售一部")
    page.get_by_test_id("department-submit").click()
    page.wait_for_url(re.compile(r"/org/\?department=\d+"))
    assert "销售一部(0人)" in page.get_by_test_id("dept-tree").inner_text()
    assert page.get_by_test_id("empty-state").get_by_text("该部门暂无员工").is_visible()

    # An employee with the 销售顾问 role and an initial password.
    page.get_by_test_id("add-employee").click()
    form = page.get_by_test_id("employee-form")
    form.get_by_label("姓名").fill("李雷")
    form.get_by_label("手机号").fill(EMPLOYEE_PHONE)
    form.get_by_label("职务").fill("销售代表")
    form.get_by_label("角色").select_option(label="销售顾问")
    form.get_by_label("初始密码").fill(INITIAL_PASSWORD)
    assert form.get_by_label("部门").evaluate("s => [...s.selectedOptions].map(o => o.text.trim())") == [
        "销售一部"
    ]
    form.get_by_test_id("employee-submit").click()
    page.get_by_text("已添加员工“李雷”").wait_for()
    assert "销售一部(1人)" in page.get_by_test_id("dept-tree").inner_text()
    row = page.get_by_test_id("member-row").filter(has_text="李雷")
    assert "销售顾问" in row.inner_text() and "在职" in row.inner_text()
    screenshot(page, "org-tree")

    # The employee drawer.
    row.get_by_text("销售代表").click()
    drawer = page.get_by_test_id("employee-drawer")
    drawer.wait_for()
    assert "销售一部" in drawer.inner_text() and "销售顾问" in drawer.inner_text()
    screenshot(page, "org-employee-drawer")
    page.keyboard.press("Escape")

    # The role editor.
    page.goto(f"{base}/org/roles/")
    page.get_by_test_id("role-row").filter(has_text="销售经理").get_by_role("link", name="编辑").click()
    page.get_by_test_id("role-form").wait_for()
    page.get_by_test_id("scope-customer").get_by_label("指定部门").check()
    # Alpine shows the department picker after the radio changes: wait for it, don't poll once.
    page.get_by_test_id("scope-customer").get_by_label("销售一部").wait_for(state="visible")
    screenshot(page, "org-role-editor")

    log_out(page, base)

    # The employee logs in, must change the initial password, then sees only what 销售顾问 allows.
    log_in(page, base, EMPLOYEE_PHONE, INITIAL_PASSWORD)
    page.wait_for_url(f"{base}/me/")
    page.get_by_label("原密码").fill(INITIAL_PASSWORD)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("确认新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="保存新密码").click()
    page.get_by_text("密码已修改").wait_for()
    page.goto(f"{base}/")
    assert page.get_by_test_id("workbench").is_visible()
    assert page.get_by_test_id("me-name").inner_text() == "李雷"

    page.goto(f"{base}/org/roles/")
    assert page.get_by_test_id("error-page").get_attribute("data-code") == "permission_denied"
    assert "没有权限执行此操作" in page.get_by_test_id("error-page").inner_text()
    page.goto(f"{base}/org/")
    assert page.get_by_test_id("error-page").is_visible()

    # Back as the admin: 离职继承 after the employee resigns.
    with tenant_context(owner.tenant):
        lilei = services.Employee.objects.get(phone=EMPLOYEE_PHONE)
        services.employee_resign(actor=owner, employee=lilei)
    log_out(page, base)
    log_in(page, base, ADMIN_PHONE, PASSWORD)
    page.wait_for_url(f"{base}/")
    enter_sudo(page, base, PASSWORD, "/org/inheritance/")  # a new login asks again
    table = page.get_by_test_id("inheritance-table")
    assert "李雷" in table.inner_text()
    assert not page.get_by_test_id("bulk-bar").is_visible()
    table.get_by_label("选择 李雷").check()
    expect(page.get_by_test_id("bulk-bar")).to_contain_text("已选择 1 条")  # Alpine shows it on its next tick
    screenshot(page, "org-inheritance")
    page.get_by_test_id("inherit-open").click()
    form = page.get_by_test_id("inherit-form")
    pick_employee(page, "inherit-to", "王总")
    screenshot(page, "org-inheritance-modal")
    form.get_by_test_id("inherit-submit").click()
    page.get_by_text("已继承 1 名离职员工的数据").wait_for()


def test_the_tree_sits_above_the_list_on_a_phone(browser, live_server, screenshot):
    owner = factories.enterprise(name="宁波潮汐有限公司", admin_name="陈总", phone=ADMIN_PHONE)
    with tenant_context(owner.tenant):
        services.department_create(actor=owner, name="销售一部")
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, live_server.url, ADMIN_PHONE, PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        enter_sudo(page, live_server.url, PASSWORD, "/org/")
        tree = page.get_by_test_id("dept-tree")
        assert tree.bounding_box()["y"] < page.get_by_test_id("member-table").bounding_box()["y"]
        assert not tree.get_by_text("销售一部").is_visible()  # collapsed on phones
        page.get_by_test_id("tree-toggle").click()
        expect(tree.get_by_text("销售一部(0人)")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
        screenshot(page, "org-tree-mobile")
    finally:
        context.close()
