"""The employee picker in a real browser (issue 13): in 全部客户 the admin types part of a name in
the 跟进人 filter, picks the match with the keyboard or a tap, and the list shows that person's
customers only; on a phone too."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.test_org_journey import log_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import services


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


@pytest.fixture
def world(db):
    owner = factories.enterprise(name="选人演练有限公司", admin_name="钱总", phone="13866663333")
    reps = {
        name: factories.employee(owner, name=name, phone=phone)
        for name, phone in (("孙悟空", "13866664444"), ("孙小圣", "13866665555"), ("周瑜", "13866666666"))
    }
    with tenant_context(owner.tenant):
        for name, customer in (("孙悟空", "花果山公司"), ("周瑜", "东吴公司")):
            services.customer_create(
                actor=owner,
                name=customer,
                owner=reps[name],
                contacts=[{"name": "联系人", "mobile": factories.next_phone()}],
            )
    return owner


def test_type_pick_and_filter_the_customer_list(page, live_server, world, screenshot):
    base = live_server.url
    log_in(page, base, "13866663333", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/customers/v/all/")
    rows = page.get_by_test_id("customer-row")
    expect(rows).to_have_count(2)

    box = page.get_by_role("combobox", name="跟进人")
    box.fill("孙")
    listbox = page.locator("#f-owner-options")
    options = listbox.get_by_role("option")
    expect(options).to_have_count(2)  # 孙小圣, 孙悟空: the server's matches, nobody else
    expect(listbox).not_to_contain_text("周瑜")
    screenshot(page, "employee-picker")
    box.press("ArrowDown")  # the first match is active; ArrowDown moves to the second
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value("孙悟空")
    expect(listbox).to_be_hidden()
    page.get_by_role("button", name="查询").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("花果山公司")
    assert "owner_id=" in page.url

    # Esc closes the list and keeps the choice; emptying the box means 全部 again.
    box.fill("周")
    expect(options).to_have_count(1)
    box.press("Escape")
    expect(listbox).to_be_hidden()
    box.fill("")
    box.blur()
    page.get_by_role("button", name="查询").click()
    expect(rows).to_have_count(2)


def test_a_tap_picks_on_a_phone(browser, live_server, world):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    try:
        page.set_default_timeout(10_000)
        base = live_server.url
        log_in(page, base, "13866663333", factories.PASSWORD)
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/customers/v/all/")
        page.get_by_role("combobox", name="跟进人").tap()
        page.get_by_role("combobox", name="跟进人").fill("周")
        page.locator("#f-owner-options").get_by_role("option", name="周瑜").tap()
        expect(page.get_by_role("combobox", name="跟进人")).to_have_value("周瑜")
        page.get_by_role("button", name="查询").click()
        expect(page.get_by_test_id("customer-row")).to_have_count(1)
        expect(page.get_by_test_id("customer-row").first).to_contain_text("东吴公司")
    finally:
        context.close()
