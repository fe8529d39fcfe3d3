"""The web shell in a real browser: register an enterprise, log out and in (password and SMS code),
choose and switch enterprises, re-authenticate for enterprise settings, read the security log.

Everything a user does goes through the browser; the database is only read for an SMS code
fallback and written to add a second enterprise for the same account.
"""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tidecrm.integrations.models import SandboxSms

PHONE = "13812345678"
PASSWORD = factories.PASSWORD
ENTERPRISE = "杭州潮汐科技有限公司"
MODULES = ["客户管理", "线索", "商机/合同", "统计", "办公", "设置"]
PHONE_VIEWPORT = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _sandbox_outbox(settings):
    # The demo SMS outbox (only shown in DEBUG) lets a user log in by code without a phone.
    settings.SHOW_SMS_OUTBOX = True


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


def fill_registration(page, *, enterprise=ENTERPRISE, name="王小明", phone=PHONE):
    page.get_by_label("企业名称").fill(enterprise)
    page.get_by_label("您的姓名").fill(name)
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("设置密码").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_test_id("agree").check()


def register(page, base_url, **fields):
    page.goto(f"{base_url}/register/")
    fill_registration(page, **fields)
    page.get_by_test_id("register-submit").click()
    page.wait_for_url(f"{base_url}/")


@pytest.fixture
def viewport_screenshot(pytestconfig):
    """Like ``screenshot`` but of the visible window: for fixed overlays (drawer, modal)."""
    directory = pytestconfig.rootpath / "test-artifacts" / "screenshots"

    def take(page, name):
        directory.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(directory / f"{name}.png"))

    return take


def log_out(page, base_url):
    page.get_by_label("我的账号").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{base_url}/login/")


def password_login(page, base_url, *, password=PASSWORD):
    page.goto(f"{base_url}/login/")
    page.get_by_label("账号").fill(PHONE)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_test_id("agree").check()
    page.get_by_test_id("login-submit").click()


def assert_workbench(page, enterprise=ENTERPRISE):
    assert page.get_by_test_id("workbench").is_visible()
    nav = page.get_by_test_id("main-nav")
    for module in MODULES:
        assert nav.get_by_text(module, exact=True).is_visible(), module
    assert page.get_by_test_id("enterprise-switcher").inner_text().strip().startswith(enterprise)


def test_register_lands_on_the_shell(page, live_server, screenshot):
    page.goto(f"{live_server.url}/register/")
    fill_registration(page)
    screenshot(page, "register")
    page.get_by_test_id("register-submit").click()
    page.wait_for_url(f"{live_server.url}/")

    assert_workbench(page)
    assert "创建成功" in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("me-name").inner_text() == "王小明"
    assert page.locator("title").inner_text().startswith("工作台")
    screenshot(page, "shell-home")


def test_logout_then_password_login_and_a_chinese_refusal(page, live_server, screenshot):
    register(page, live_server.url)
    log_out(page, live_server.url)

    password_login(page, live_server.url, password="Wrong1234")
    error = page.get_by_test_id("form-error")
    assert error.inner_text().strip() == "账号或密码错误"
    assert error.get_attribute("data-code") == "invalid_credentials"
    screenshot(page, "login-error")

    password_login(page, live_server.url)
    page.wait_for_url(f"{live_server.url}/")
    assert_workbench(page)


def test_sms_code_login_reads_the_demo_outbox(page, live_server, screenshot):
    register(page, live_server.url)
    log_out(page, live_server.url)

    page.get_by_test_id("tab-sms").click()
    page.wait_for_url(re.compile(r"mode=sms"))
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_test_id("send-code").click()
    assert "验证码已发送" in page.get_by_test_id("code-status").inner_text()
    # The demo outbox on the page updates with the new message (no phone needed).
    outbox = page.get_by_test_id("sms-outbox")
    outbox.get_by_text("用于登录").wait_for()
    code = re.search(r"验证码是 (\d{6})", outbox.inner_text()).group(1)
    assert SandboxSms.objects.filter(phone=PHONE, text__contains=code).exists()
    screenshot(page, "login-sms")

    page.get_by_label("短信验证码").fill(code)
    page.get_by_test_id("agree").check()
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{live_server.url}/")
    assert_workbench(page)


def test_two_enterprises_choose_on_login_and_switch_in_the_header(page, live_server, screenshot):
    register(page, live_server.url)
    log_out(page, live_server.url)
    # The same account also owns a second enterprise (set up directly: not what this test is about).
    factories.enterprise(name="宁波第二分公司", admin_name="王小明", phone=PHONE, password=PASSWORD)

    password_login(page, live_server.url)
    chooser = page.get_by_test_id("enterprise-chooser")
    assert chooser.is_visible()
    assert "宁波第二分公司" in chooser.inner_text()
    screenshot(page, "login-enterprise-chooser")
    chooser.get_by_text("宁波第二分公司").click()
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{live_server.url}/")
    assert_workbench(page, enterprise="宁波第二分公司")

    page.get_by_test_id("enterprise-switcher").get_by_role("link").click()
    page.get_by_test_id("enterprise-switcher").get_by_role("button", name=ENTERPRISE).click()
    page.wait_for_url(f"{live_server.url}/")
    assert_workbench(page)
    assert f"已切换到「{ENTERPRISE}」" in page.locator(".alert-success").inner_text()


def test_admin_reauthenticates_for_settings_and_reads_the_security_log(page, live_server, screenshot):
    register(page, live_server.url)

    page.get_by_label("我的账号").click()
    page.locator(".dropdown-menu").get_by_role("link", name="企业设置", exact=True).click()
    page.wait_for_url(re.compile(r"/settings/sudo/"))
    screenshot(page, "sudo")
    page.get_by_label("登录密码").fill("Wrong1234")
    page.get_by_test_id("sudo-submit").click()
    assert "密码不正确" in page.locator(".invalid-feedback").inner_text()
    page.get_by_label("登录密码").fill(PASSWORD)
    page.get_by_test_id("sudo-submit").click()
    page.wait_for_url(f"{live_server.url}/settings/")
    assert ENTERPRISE in page.get_by_test_id("enterprise-info").inner_text()
    screenshot(page, "settings")

    page.get_by_role("link", name="安全日志").click()
    page.wait_for_url(f"{live_server.url}/settings/security-log/")
    log = page.get_by_test_id("security-log")
    rows = log.locator("tbody tr")
    assert rows.count() == 3  # registration login, failed sudo, sudo
    assert "登录成功" in log.inner_text()
    assert "共 3 条" in page.get_by_test_id("pagination").inner_text()
    screenshot(page, "security-log")

    # Filtering swaps only the table (htmx) and shows an empty state when nothing matches.
    page.get_by_label("开始日期").fill("2000-01-01")
    page.get_by_label("结束日期").fill("2000-01-02")
    page.get_by_role("button", name="筛选").click()
    page.get_by_test_id("empty-state").wait_for()
    assert "date_from=2000-01-01" in page.url
    screenshot(page, "security-log-empty")


def test_login_page_on_a_phone(browser, live_server, screenshot):
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        screenshot(page, "login-mobile")
        assert page.get_by_test_id("login-form").is_visible()
        # No sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    finally:
        context.close()


def test_english_can_be_chosen_on_the_login_page(page, live_server, screenshot):
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("button", name="English").click()
    page.get_by_test_id("login-submit").wait_for()
    assert page.get_by_test_id("login-submit").inner_text().strip() == "Log in"
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "login-en")

    # The choice sticks: the sign-up form and the shell answer in English.
    page.get_by_role("link", name="Sign up your enterprise for free").click()
    page.get_by_label("Enterprise name").fill("Tide Demo Ltd")
    page.get_by_label("Your name").fill("Alex")
    page.get_by_label("Mobile number").fill(PHONE)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_test_id("agree").check()
    page.get_by_test_id("register-submit").click()
    page.wait_for_url(f"{live_server.url}/")
    nav = page.get_by_test_id("main-nav").inner_text()
    for module in ("Customers", "Leads", "Opportunities & contracts", "Analytics", "Office", "Settings"):
        assert module in nav
    assert "Welcome to Tide CRM" in page.locator(".alert-success").inner_text()
    screenshot(page, "shell-home-en")


def test_shared_list_drawer_and_modal_components(
    page, live_server, settings, screenshot, viewport_screenshot
):
    # The component gallery (/dev/components/, DEBUG only) puts every shared component on fake rows.
    settings.DEBUG = True
    register(page, live_server.url)
    page.goto(f"{live_server.url}/dev/components/")
    bulk_bar = page.get_by_test_id("bulk-bar")
    rows = page.get_by_test_id("demo-table").locator("tbody tr")
    assert rows.count() == 20 and not bulk_bar.is_visible()

    rows.nth(0).get_by_role("checkbox").check()
    # Alpine shows the bar on its next tick: wait for the text instead of reading it at once.
    expect(bulk_bar).to_be_visible()
    expect(bulk_bar.get_by_test_id("bulk-count")).to_have_text("已选择 1 条")
    page.get_by_test_id("select-all").check()
    expect(bulk_bar.get_by_test_id("bulk-count")).to_have_text("已选择 20 条")
    screenshot(page, "components-list")

    # A bulk action opens a modal with the ticked rows; Esc closes it, 确定 closes it with a toast.
    page.get_by_test_id("demo-bulk-action").click()
    modal = page.get_by_test_id("modal")
    assert "将处理以下 20 条示例数据" in modal.inner_text()
    viewport_screenshot(page, "components-modal")
    page.keyboard.press("Escape")
    modal.wait_for(state="detached")
    page.get_by_test_id("demo-bulk-action").click()
    page.get_by_test_id("demo-modal-submit").click()
    page.locator("#toasts").get_by_text("已处理 20 条示例数据").wait_for()
    page.get_by_test_id("modal").wait_for(state="detached")
    bulk_bar.wait_for(state="hidden")  # the page's refresh event cleared the selection

    # Paging swaps the rows only; ticks on a page that is gone are forgotten.
    rows.nth(0).get_by_role("checkbox").check()
    page.get_by_test_id("page-next").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.get_by_test_id("page-current").inner_text() == "第 2/3 页"
    bulk_bar.wait_for(state="hidden")
    page.get_by_test_id("page-size").select_option("50")
    page.get_by_test_id("page-current").get_by_text("第 1/1 页").wait_for()
    assert rows.count() == 45 and "共 45 条" in page.get_by_test_id("pagination").inner_text()

    # The drawer; a modal opened from it stacks on top; Esc closes the modal first, then the drawer.
    rows.nth(2).get_by_test_id("demo-open-drawer").click()
    drawer = page.get_by_test_id("drawer")
    assert "示例3" in drawer.inner_text()
    viewport_screenshot(page, "components-drawer")
    page.get_by_test_id("demo-drawer-action").click()
    page.get_by_test_id("modal").wait_for()
    page.keyboard.press("Escape")
    page.get_by_test_id("modal").wait_for(state="detached")
    assert drawer.is_visible()
    page.keyboard.press("Escape")
    drawer.wait_for(state="detached")
    rows.nth(0).get_by_test_id("demo-open-drawer").click()
    page.locator(".offcanvas-backdrop").click(position={"x": 20, "y": 400})
    page.get_by_test_id("drawer").wait_for(state="detached")

    # A filter without results shows the empty state.
    page.get_by_label("关键词").fill("不存在的客户")
    page.get_by_role("button", name="查询").click()
    page.get_by_test_id("empty-state").wait_for()
    assert "没有符合条件的客户" in page.get_by_test_id("empty-state").inner_text()


def test_component_gallery_is_hidden_without_debug(page, live_server):
    register(page, live_server.url)
    page.goto(f"{live_server.url}/dev/components/")
    assert page.get_by_test_id("error-page").get_attribute("data-code") == "not_found"
