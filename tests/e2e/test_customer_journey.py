"""Customers in a real browser: a salesperson creates a customer with two contacts, tags it, logs
a follow-up and releases it to the pool; a colleague sees it masked in the pool, claims it, and
the journey shows all of it."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.test_org_journey import log_in, log_out
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config
from tidecrm.customers.models import Customer, CustomerFlow


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


def test_create_follow_up_release_and_claim(page, live_server, screenshot):
    owner = factories.enterprise(name="客户演练有限公司", admin_name="钱总", phone="13866660000")
    rep = factories.employee(owner, name="孙销售", phone="13866661111", role_keys=("sales",))
    colleague = factories.employee(owner, name="周销售", phone="13866662222", role_keys=("sales",))
    with tenant_context(owner.tenant):
        config.tag_group_create(
            actor=owner, name="意向程度", color="red", multiple=False, tags=["高", "中", "低"]
        )
    base = live_server.url

    log_in(page, base, "13866661111", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/customers/")
    expect(page.get_by_text("暂无客户")).to_be_visible()
    page.get_by_test_id("new-customer").click()
    page.get_by_label("客户名称").fill("康师傅食品有限公司")
    page.locator("#c-name-0").fill("张经理")
    page.locator("#c-mobile-0").fill("139 1234 5678")
    page.get_by_test_id("add-contact-row").click()
    page.locator("#c-name-1").fill("李采购")
    page.locator("#c-mobile-1").fill("13987654321")
    page.get_by_label("高").check()
    screenshot(page, "customer-create")
    page.get_by_test_id("customer-submit").click()
    page.get_by_text("客户“康师傅食品有限公司”已创建").wait_for()
    row = page.get_by_test_id("customer-row").filter(has_text="康师傅食品有限公司")
    expect(row).to_contain_text("13912345678")
    expect(row).to_contain_text("高")

    # A twin under another spelling is refused and names the holder.
    page.get_by_test_id("new-customer").click()
    page.get_by_label("客户名称").fill("康师傅 食品(有限公司)")
    page.locator("#c-name-0").fill("王五")
    page.locator("#c-mobile-0").fill("13700001111")
    page.get_by_test_id("customer-submit").click()
    expect(page.get_by_test_id("modal")).to_contain_text("客户已存在：康师傅食品有限公司（跟进人：孙销售）")
    page.get_by_test_id("modal-close").click()

    row.click()
    detail = page.get_by_test_id("customer-detail")
    page.get_by_test_id("tab-contacts").click()
    expect(detail.get_by_test_id("contact-row")).to_have_count(2)
    page.get_by_label("跟进内容").fill("电话沟通：对新品感兴趣，下周寄样品")
    page.get_by_test_id("followup-submit").click()
    expect(page.get_by_test_id("journey")).to_contain_text("电话沟通：对新品感兴趣，下周寄样品")
    screenshot(page, "customer-drawer")
    page.get_by_test_id("action-release").click()
    page.get_by_test_id("release-reason").fill("暂无预算")
    page.get_by_test_id("bulk-submit").click()
    page.get_by_text("已将 1 个客户移入公海").wait_for()
    expect(page.get_by_test_id("customer-state")).to_contain_text(
        "公海", timeout=10_000
    )  # the drawer follows
    page.keyboard.press("Escape")
    log_out(page, base)

    log_in(page, base, "13866662222", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/customers/v/pool/")
    pool_row = page.get_by_test_id("customer-row").filter(has_text="康师傅食品有限公司")
    expect(pool_row).to_contain_text("139****5678")
    expect(pool_row).to_contain_text("孙销售")
    screenshot(page, "customer-pool")
    pool_row.click()
    expect(page.get_by_test_id("primary-mobile")).to_have_text("139****5678")
    page.get_by_test_id("action-claim").click()
    expect(page.get_by_test_id("customer-state")).to_contain_text("跟进人：周销售")
    expect(page.get_by_test_id("primary-mobile")).to_have_text("13912345678")
    journey = page.get_by_test_id("journey")
    for text in ("领取", "放弃", "暂无预算", "电话沟通：对新品感兴趣，下周寄样品", "新建"):
        expect(journey).to_contain_text(text)
    screenshot(page, "customer-journey")

    with tenant_context(owner.tenant):
        customer = Customer.objects.get(name="康师傅食品有限公司")
        assert customer.owner_id == colleague.pk and customer.previous_owner_id == rep.pk
        assert list(
            CustomerFlow.objects.filter(customer=customer).order_by("id").values_list("kind", flat=True)
        ) == [
            "create",
            "release",
            "claim",
        ]


def test_customer_pages_on_a_phone(page, live_server, screenshot):
    """The customer list and detail stay usable at 390 px: no sideways scrolling of the page."""
    owner = factories.enterprise(name="手机客户有限公司", admin_name="钱总", phone="13866663333")
    with tenant_context(owner.tenant):
        from tidecrm.customers import services as customer_services

        for index in range(3):
            customer_services.customer_create(
                actor=owner,
                name=f"手机客户{index}号贸易有限公司",
                contacts=[{"name": f"联系人{index}", "mobile": f"1396666000{index}"}],
            )
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url
    log_in(page, base, "13866663333", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/customers/")
    page.get_by_test_id("customer-row").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "customer-list-phone")
    page.get_by_test_id("customer-row").first.click()
    expect(page.get_by_test_id("customer-detail")).to_be_visible()
    screenshot(page, "customer-drawer-phone")


def test_a_pool_manager_targets_pool_customers_at_a_department(page, live_server, screenshot):
    """定向公海 (POOL-05): the manager sends a pool customer to 华东; a 华西 rep no longer sees it."""
    from tidecrm.customers import services as customer_services
    from tidecrm.org import services as org_services

    owner = factories.enterprise(name="定向演练有限公司", admin_name="钱总", phone="13866664444")
    with tenant_context(owner.tenant):
        east = org_services.department_create(actor=owner, name="华东大区")
        org_services.department_create(actor=owner, name="上海组", parent_id=east.pk)
        west = org_services.department_create(actor=owner, name="华西大区")
        for index, name in enumerate(("定向目标贸易有限公司", "全库可领科技有限公司")):
            customer_services.customer_create(
                actor=owner,
                name=name,
                contacts=[{"name": "联系人", "mobile": f"1396666100{index}"}],
                to_pool=True,
            )
    factories.employee(owner, name="华西销售", phone="13866665555", departments=[west], main_department=west)
    base = live_server.url

    log_in(page, base, "13866664444", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/customers/v/pool/")
    row = page.get_by_test_id("customer-row").filter(has_text="定向目标贸易有限公司")
    expect(row).to_contain_text("不限部门")
    row.locator("input[type=checkbox]").check()
    page.get_by_test_id("bulk-target").click()
    page.get_by_test_id("target-departments").get_by_text("华东大区").click()
    screenshot(page, "customer-pool-target")
    page.get_by_test_id("bulk-submit").click()
    page.get_by_text("已设置 1 个客户的定向部门").wait_for()
    expect(row).to_contain_text("华东大区")
    screenshot(page, "customer-pool-targeted")
    row.click()
    expect(page.get_by_test_id("customer-target")).to_contain_text("定向：华东大区")
    page.keyboard.press("Escape")
    log_out(page, base)

    log_in(page, base, "13866665555", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/customers/v/pool/")
    expect(page.get_by_test_id("customer-row")).to_have_count(1)
    expect(page.get_by_test_id("customer-row")).to_contain_text("全库可领科技有限公司")
