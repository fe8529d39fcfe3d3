"""Sales in a real browser: a salesperson creates an opportunity from a customer, drags it across
the kanban, wins it and creates its contract; the level-1 approver approves the contract; the
salesperson records a payment."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import enter_sudo
from tests.e2e.test_org_journey import log_in, log_out
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import services as customer_services
from tidecrm.office.models import ApprovalRequest
from tidecrm.sales import config, services
from tidecrm.sales.models import Contract, Opportunity, StageHistory

REP_PHONE, MANAGER_PHONE = "13877770001", "13877770002"


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


def test_opportunity_to_paid_contract(page, live_server, screenshot):
    owner = factories.enterprise(name="销售演练有限公司", admin_name="钱总", phone="13877770000")
    rep = factories.employee(owner, name="孙销售", phone=REP_PHONE, role_keys=("sales",))
    manager = factories.employee(owner, name="赵经理", phone=MANAGER_PHONE, role_keys=("sales_manager",))
    with tenant_context(owner.tenant):
        customer = customer_services.customer_create(
            actor=rep, name="东海渔业有限公司", contacts=[{"name": "刘总", "mobile": "13912340000"}]
        )
        category = services.category_create(actor=owner, name="软件订阅")
        services.product_create(
            actor=owner, name="潮汐CRM 专业版", category_id=category.pk, price="12000.00", unit="年"
        )
        config.contract_settings_update(
            actor=owner, number_prefix="HT", approval_enabled=True, level1_approver_ids=[manager.pk]
        )
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())

    # 1. From the customer detail: 新建商机 with the customer pre-filled and a product line.
    log_in(page, base, REP_PHONE, factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/customers/")
    page.get_by_test_id("customer-row").filter(has_text="东海渔业有限公司").click()
    page.get_by_test_id("action-new-opportunity").click()
    modal = page.get_by_test_id("modal")
    expect(modal.get_by_test_id("fixed-customer")).to_have_value("东海渔业有限公司")
    modal.get_by_label("商机名称").fill("东海渔业 CRM 采购")
    modal.get_by_test_id("add-line").click()
    modal.locator("#line-product-0").select_option(label="潮汐CRM 专业版")
    modal.locator("#line-qty-0").fill("2")
    modal.locator("#line-discount-0").fill("90")
    expect(modal.get_by_test_id("product-lines")).to_contain_text("¥21,600.00")
    screenshot(page, "sales-opportunity-create")
    modal.get_by_test_id("opportunity-submit").click()
    page.get_by_text("商机“东海渔业 CRM 采购”已创建").wait_for()
    expect(page.get_by_test_id("tab-deals")).to_contain_text("1")  # the detail refreshed itself
    page.get_by_test_id("tab-deals").click()
    expect(page.get_by_test_id("customer-opportunity")).to_contain_text("¥21,600.00")
    screenshot(page, "sales-customer-deals")
    page.keyboard.press("Escape")

    # 2. The kanban: drag the card from 初步沟通 to 方案/报价.
    page.goto(f"{base}/sales/opportunities/board/")
    first = page.locator('[data-testid="board-column"][data-stage="初步沟通"]')
    target = page.locator('[data-testid="board-column"][data-stage="方案/报价"]')
    card = first.get_by_test_id("board-card").filter(has_text="东海渔业 CRM 采购")
    expect(first.get_by_test_id("column-amount")).to_have_text("¥21,600.00")
    card.drag_to(target)
    page.get_by_text("“东海渔业 CRM 采购”已移到“方案/报价”").wait_for()
    expect(target.get_by_test_id("board-card")).to_contain_text("东海渔业 CRM 采购")
    expect(first.get_by_test_id("column-count")).to_have_text("0")
    screenshot(page, "sales-board")

    # 3. Win it from the drawer (confirmed), then 生成合同 pre-fills the contract.
    target.get_by_test_id("board-card").first.click()
    drawer = page.get_by_test_id("opportunity-detail")
    page.get_by_test_id("tab-history").click()
    expect(drawer.get_by_test_id("stage-history")).to_contain_text("方案/报价")
    drawer.get_by_test_id("action-win").click()
    expect(drawer.get_by_test_id("opportunity-status")).to_have_text("赢单")
    expect(drawer.get_by_test_id("opportunity-stage")).to_contain_text("成交")
    screenshot(page, "sales-opportunity-won")
    expect(page.get_by_test_id("board-card")).to_have_count(0)  # won ones leave the board
    drawer.get_by_test_id("action-contract").click()
    modal = page.get_by_test_id("modal")
    expect(modal.get_by_test_id("fixed-opportunity")).to_have_value("东海渔业 CRM 采购")
    expect(modal.get_by_label("合同名称")).to_have_value("东海渔业 CRM 采购")
    expect(modal.get_by_label("合同金额（元）")).to_have_value("21600.00")
    modal.get_by_label("合同名称").fill("东海渔业 CRM 年度订阅合同")
    screenshot(page, "sales-contract-create")
    modal.get_by_test_id("contract-submit").click()
    contract_detail = page.get_by_test_id("contract-detail")
    expect(contract_detail.get_by_test_id("contract-status")).to_have_text("草稿")
    contract_detail.get_by_test_id("action-submit").click()
    page.get_by_text("已提交审批").wait_for()
    expect(contract_detail.get_by_test_id("contract-status")).to_have_text("审批中")
    expect(contract_detail.get_by_test_id("approval-pending")).to_be_visible()
    screenshot(page, "sales-contract-pending")
    page.keyboard.press("Escape")
    log_out(page, base)

    # 4. The level-1 approver approves from the to-do list.
    log_in(page, base, MANAGER_PHONE, factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/sales/approvals/")
    row = page.get_by_test_id("approval-row").filter(has_text="东海渔业 CRM 年度订阅合同")
    expect(row).to_contain_text("孙销售")
    row.get_by_label("审批意见").fill("价格合理，同意")
    screenshot(page, "sales-approvals")
    row.get_by_test_id("approve").click()
    page.get_by_text("已同意").wait_for()
    expect(page.get_by_text("暂无待审批事项")).to_be_visible()
    log_out(page, base)

    # 5. Back to the salesperson: the contract is effective; record a payment.
    log_in(page, base, REP_PHONE, factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/sales/contracts/")
    contract_row = page.get_by_test_id("contract-row").filter(has_text="东海渔业 CRM 年度订阅合同")
    expect(contract_row.get_by_test_id("contract-status")).to_have_text("已生效")
    contract_row.click()
    contract_detail = page.get_by_test_id("contract-detail")
    page.get_by_test_id("tab-approvals").click()
    expect(contract_detail.get_by_test_id("approval-panel")).to_contain_text("价格合理，同意")
    page.get_by_test_id("tab-money").click()
    contract_detail.get_by_test_id("add-payment").click()
    modal = page.get_by_test_id("modal")
    modal.get_by_label("金额（元）").fill("10000")
    modal.get_by_test_id("money-submit").click()
    page.get_by_text("已登记回款").wait_for()
    expect(contract_detail.get_by_test_id("payment-row")).to_contain_text("¥10,000.00")
    expect(contract_detail.get_by_test_id("contract-outstanding")).to_have_text("¥11,600.00")
    expect(page.get_by_test_id("money-panel")).to_be_visible()  # the tab stays open after the refresh
    screenshot(page, "sales-contract-payment")
    expect(contract_row).to_contain_text("¥10,000.00")

    with tenant_context(owner.tenant):
        opportunity = Opportunity.objects.get(name="东海渔业 CRM 采购")
        assert opportunity.status == Opportunity.Status.WON and opportunity.customer_id == customer.pk
        history = [h.stage_name for h in StageHistory.objects.filter(opportunity=opportunity).order_by("id")]
        assert history == ["初步沟通", "方案/报价", "成交"], history
        contract = Contract.objects.get(opportunity=opportunity)
        assert contract.status == Contract.Status.APPROVED and str(contract.received_amount) == "10000.00"
        assert ApprovalRequest.objects.get(object_id=contract.pk).status == ApprovalRequest.Status.APPROVED


def test_sales_pages_at_a_glance(page, live_server, screenshot):
    """The admin's view of the lists and settings (screenshots to look at), on desktop and phone."""
    owner = factories.enterprise(name="销售概览有限公司", admin_name="钱总", phone="13877779999")
    with tenant_context(owner.tenant):
        category = services.category_create(actor=owner, name="硬件")
        sub = services.category_create(actor=owner, name="门禁设备", parent_id=category.pk)
        services.product_create(actor=owner, name="人脸门禁机", category_id=sub.pk, price="3999", unit="台")
        for index, name in enumerate(("星河物流", "晨光文具", "远航船舶")):
            customer = customer_services.customer_create(
                actor=owner,
                name=f"{name}有限公司",
                contacts=[{"name": "联系人", "mobile": f"1391111000{index}"}],
            )
            opportunity = services.opportunity_create(
                actor=owner, customer_id=customer.pk, name=f"{name}门禁项目", amount=str(50000 + index * 1000)
            )
            if index == 1:
                services.opportunity_win(actor=owner, opportunity_id=opportunity.pk)
                contract = services.contract_create(
                    actor=owner,
                    customer_id=customer.pk,
                    opportunity_id=opportunity.pk,
                    title=f"{name}门禁合同",
                    amount="51000",
                )
                services.contract_submit(actor=owner, contract_id=contract.pk)
                services.plan_add(actor=owner, contract_id=contract.pk, amount="30000", due_on="2020-01-01")
            if index == 2:
                services.opportunity_lose(actor=owner, opportunity_id=opportunity.pk, reason="预算不足")
    base = live_server.url
    log_in(page, base, "13877779999", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.get_by_test_id("main-nav").get_by_text("商机/合同").click()
    page.wait_for_url(f"{base}/sales/opportunities/")
    expect(page.get_by_test_id("opportunity-row")).to_have_count(3)
    screenshot(page, "sales-opportunity-list")
    page.goto(f"{base}/sales/contracts/")
    screenshot(page, "sales-contract-list")
    page.get_by_test_id("contract-row").first.click()
    page.get_by_test_id("tab-money").click()
    expect(page.get_by_test_id("plan-table")).to_contain_text("逾期")
    screenshot(page, "sales-contract-plans")
    page.keyboard.press("Escape")
    enter_sudo(page, base, factories.PASSWORD)  # the two settings pages below
    for path, name in (
        ("/sales/products/", "sales-products"),
        ("/sales/settings/stages/", "sales-stage-settings"),
        ("/sales/settings/contracts/", "sales-contract-settings"),
    ):
        page.goto(f"{base}{path}")
        screenshot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/sales/opportunities/")
    screenshot(page, "sales-opportunity-list-phone")
    page.goto(f"{base}/sales/opportunities/board/")
    screenshot(page, "sales-board-phone")
