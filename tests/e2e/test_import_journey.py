"""Employee import in a real browser: template, upload, live progress, failure download."""

import pytest

from tests import factories
from tests.core.test_imports import xlsx
from tests.e2e.conftest import enter_sudo
from tests.e2e.test_org_journey import log_in
from tidecrm.core import imports
from tidecrm.core.tenancy import tenant_context
from tidecrm.org.models import Employee


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


def test_admin_imports_employees_and_downloads_the_failures(page, live_server, screenshot, tmp_path):
    owner = factories.enterprise(name="导入测试有限公司", admin_name="赵总", phone="13822223333")
    base = live_server.url
    log_in(page, base, "13822223333", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    enter_sudo(page, base, factories.PASSWORD, "/org/")
    page.get_by_test_id("import-employees").click()
    with page.expect_download() as template:
        page.get_by_test_id("import-template").click()
    assert template.value.suggested_filename == "员工导入模板.xlsx"

    upload = tmp_path / "新员工.xlsx"
    upload.write_bytes(
        xlsx([["姓名", "手机号", "职务"], ["钱一", "13800005001", "销售"], ["", "13800005002", ""]])
    )
    page.get_by_test_id("import-file").set_input_files(str(upload))
    page.get_by_test_id("import-submit").click()
    status = page.locator('[data-testid="import-status"][data-status="done"]')
    status.wait_for()
    assert "共 2 行：成功 1 行，失败 1 行" in status.inner_text()
    screenshot(page, "org-import-done")
    with page.expect_download() as failures:
        page.get_by_test_id("import-failures").click()
    _headers, rows = imports.read_table(open(failures.value.path(), "rb").read())
    assert rows == [["", "13800005002", "", "请填写姓名"]]
    with tenant_context(owner.tenant):
        assert Employee.objects.filter(phone="13800005001", name="钱一").exists()

    page.goto(f"{base}/imports/employee/")
    assert page.get_by_test_id("import-records").get_by_text("新员工.xlsx").is_visible()
    screenshot(page, "import-records")
