"""Joining a second enterprise in a real browser (issue 11, finding 1).

宁波分公司's admin adds 王小明, whose phone already has an account at 杭州潮汐: nothing of his
account changes until he logs in with his own password and accepts in 个人设置.
"""

import pytest

from tests import factories
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services as org_services

PASSWORD = factories.PASSWORD


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


def test_an_invited_person_accepts_in_personal_settings(page, live_server, screenshot, transactional_db):
    home = factories.enterprise(name="杭州潮汐科技有限公司", admin_name="王小明", phone="13812345678")
    inviter = factories.enterprise(name="宁波分公司", admin_name="陈总", phone="13812340000")
    with tenant_context(inviter.tenant):
        invited = org_services.employee_create_by_admin(
            actor=inviter, name="王小明", phone=home.phone, title="销售顾问", password="Other1234"
        )
    assert (invited.status, invited.invitation) == ("inactive", "pending")

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("账号").fill(home.phone)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_test_id("agree").check()
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "有 1 个企业邀请您加入" in page.content()

    page.goto(f"{live_server.url}/me/")
    card = page.get_by_test_id("invitations")
    assert "宁波分公司" in card.inner_text() and "销售顾问" in card.inner_text()
    screenshot(page, "account-invitation")

    card.get_by_role("button", name="接受并进入").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "已切换到「宁波分公司」" in page.content()
    with tenant_context(inviter.tenant):
        invited.refresh_from_db()
    assert (invited.status, invited.invitation) == ("active", "")
