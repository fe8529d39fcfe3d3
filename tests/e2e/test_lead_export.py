"""Lead export in a real browser: the 导出 button takes the filters as they are on the page, even
after filtering with htmx (which does not reload the toolbar)."""

import io

import pytest
from python_calamine import CalamineWorkbook

from tests import factories
from tests.e2e.test_org_journey import log_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.leads import services


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


def test_export_button_downloads_the_filtered_list(page, live_server, tmp_path):
    owner = factories.enterprise(name="导出演练有限公司", admin_name="钱总", phone="13855550001")
    with tenant_context(owner.tenant):
        services.lead_create(actor=owner, to_me=True, phone="13910000001", company_name="一号公司")
        services.lead_create(actor=owner, to_me=True, phone="13910000002", company_name="二号公司")
    base = live_server.url
    log_in(page, base, "13855550001", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/leads/")

    page.get_by_label("搜索").fill("二号")
    page.get_by_role("button", name="查询").click()
    page.get_by_test_id("lead-table").get_by_text("一号公司").wait_for(state="detached")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-leads").click()
    download = download_info.value

    assert download.suggested_filename.startswith("销售线索-") and download.suggested_filename.endswith(
        ".xlsx"
    )
    path = tmp_path / "export.xlsx"
    download.save_as(path)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes())).get_sheet_by_index(0).to_python()
    assert [row[2] for row in rows] == ["客户名称", "二号公司"]
