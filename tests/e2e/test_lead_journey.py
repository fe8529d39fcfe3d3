"""Leads in a real browser: the admin imports a spreadsheet and allocates leads to a salesperson,
who marks one 待回访, converts another and releases a third; a colleague claims it from the pool."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.core.test_imports import xlsx
from tests.e2e.pickers import pick_employee
from tests.e2e.test_org_journey import log_in, log_out
from tidecrm.core.tenancy import tenant_context
from tidecrm.leads.models import Lead


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


def test_import_allocate_work_release_and_claim(page, live_server, screenshot, tmp_path):
    owner = factories.enterprise(name="线索演练有限公司", admin_name="钱总", phone="13855556666")
    rep = factories.employee(owner, name="孙销售", phone="13855557777", role_keys=("sales",))
    factories.employee(owner, name="周销售", phone="13855558888", role_keys=("sales",))
    base = live_server.url

    log_in(page, base, "13855556666", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/leads/pending/")
    page.get_by_test_id("import-leads").click()
    upload = tmp_path / "展会线索.xlsx"
    upload.write_bytes(
        xlsx(
            [
                ["手机号", "姓名", "公司名称"],
                ["13910000001", "王一", "一号公司"],
                ["13910000002", "王二", "二号公司"],
                ["13910000003", "王三", "三号公司"],
                ["", "没手机", "坏公司"],
            ]
        )
    )
    page.get_by_test_id("import-file").set_input_files(str(upload))
    page.get_by_test_id("import-submit").click()
    status = page.locator('[data-testid="import-status"][data-status="done"]')
    status.wait_for()
    assert "成功 3 行，失败 1 行" in status.inner_text()
    page.get_by_role("button", name="完成").click()
    page.wait_for_load_state()
    page.get_by_test_id("lead-table").get_by_text("三号公司").wait_for()
    screenshot(page, "leads-pending")

    page.get_by_label("全选").check()
    page.get_by_test_id("bulk-allocate").click()
    pick_employee(page, "allocate-employee", "孙销售")
    page.get_by_test_id("allocate-submit").click()
    page.get_by_text("已分配 3 条线索").wait_for()
    log_out(page, base)

    log_in(page, base, "13855557777", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/leads/")
    page.get_by_test_id("lead-row").filter(has_text="一号公司").click()
    page.get_by_test_id("action-callback").click()
    # The drawer comes back without the 待回访 button once the status changed (its text alone would
    # match the old drawer's button too).
    expect(page.get_by_test_id("action-callback")).to_have_count(0)
    page.get_by_label("跟进内容").fill("电话沟通：下周二上门演示")
    page.get_by_test_id("followup-submit").click()
    page.get_by_test_id("lead-followups").get_by_text("电话沟通：下周二上门演示").wait_for()
    screenshot(page, "lead-drawer")
    page.keyboard.press("Escape")
    page.get_by_test_id("lead-row").filter(has_text="三号公司").click()
    page.get_by_test_id("action-convert").click()
    expect(page.get_by_label("客户名称")).to_have_value("三号公司")
    screenshot(page, "lead-convert")
    page.get_by_test_id("convert-submit").click()
    page.get_by_text("已转为客户“三号公司”").wait_for()
    expect(page.get_by_test_id("lead-table").get_by_text("三号公司")).to_have_count(0)
    page.get_by_test_id("lead-row").filter(has_text="二号公司").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("action-release").click()
    page.get_by_text("已进入公共线索池").wait_for()
    screenshot(page, "leads-mine")
    log_out(page, base)

    log_in(page, base, "13855558888", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/leads/pool/")
    row = page.get_by_test_id("lead-row").filter(has_text="二号公司")
    assert "139****0002" in row.inner_text()
    screenshot(page, "leads-pool")
    row.click()
    page.get_by_test_id("action-claim").click()
    page.get_by_test_id("lead-drawer").get_by_text("13910000002").wait_for()
    with tenant_context(owner.tenant):
        claimed = Lead.objects.get(phone="13910000002")
        assert (claimed.state, claimed.status, claimed.owner.name, claimed.previous_owner_id) == (
            "owned",
            "claimed_pending",
            "周销售",
            rep.pk,
        )
        assert Lead.objects.get(phone="13910000001").status == "callback"
        converted = Lead.objects.get(phone="13910000003")
        assert (converted.state, converted.customer.name, converted.customer.owner_id) == (
            "converted",
            "三号公司",
            rep.pk,
        )
