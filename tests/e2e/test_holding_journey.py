"""保有量设置 in a real browser: add a rule for one employee, save, see the usage table."""

import pytest

from tests import factories
from tests.e2e.conftest import enter_sudo
from tests.e2e.test_org_journey import log_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.rules import holding


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


def test_admin_sets_a_lead_limit(page, live_server, screenshot):
    owner = factories.enterprise(name="保有量演练有限公司", admin_name="吴总", phone="13866667777")
    rep = factories.employee(owner, name="郑销售")
    base = live_server.url
    log_in(page, base, "13866667777", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    enter_sudo(page, base, factories.PASSWORD, "/settings/holding-limits/")
    page.get_by_test_id("default-lead").fill("20")
    page.get_by_role("button", name="添加规则").first.click()
    page.get_by_label("规则名").first.fill("新人限额")
    page.get_by_label("上限", exact=True).first.fill("5")
    page.get_by_label("员工").first.select_option(label="郑销售")
    page.get_by_test_id("holding-save").click()
    page.get_by_text("保有量设置已保存").wait_for()
    screenshot(page, "holding-limits")
    with tenant_context(owner.tenant):
        assert holding.limit_for(rep, "lead") == 5
        assert holding.limit_for(owner, "lead") == 20
    assert "0 / 5" in page.get_by_test_id("holding-usage").inner_text()
