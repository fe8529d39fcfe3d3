"""Sudo mode (Q-21) in a real browser: when it runs out while an admin is on an org page, the next
htmx action (a modal) takes the whole page to the sudo form — not into the modal slot — and the
password brings the admin back to the page they were on."""

import re
from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings

from tests import factories
from tests.e2e.conftest import enter_sudo
from tests.e2e.test_org_journey import log_in
from tidecrm.accounts.sessions import SESSION_SUDO
from tidecrm.core import clock
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services

ADMIN_PHONE = "13855556666"


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


def _let_sudo_run_out(page):
    """Age the browser session's sudo mark past SUDO_MINUTES, as 30 idle minutes would."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    session[SESSION_SUDO] = (clock.now() - timedelta(minutes=settings.SUDO_MINUTES + 1)).isoformat()
    session.save()


def test_an_htmx_action_after_sudo_ran_out_goes_to_the_sudo_page_and_back(page, live_server, screenshot):
    owner = factories.enterprise(name="二次验证演练有限公司", admin_name="周总", phone=ADMIN_PHONE)
    with tenant_context(owner.tenant):
        department = services.department_create(actor=owner, name="销售一部")
    base = live_server.url
    log_in(page, base, ADMIN_PHONE, factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    enter_sudo(page, base, factories.PASSWORD, f"/org/?department={department.pk}")
    _let_sudo_run_out(page)

    page.get_by_test_id("add-department").click()  # hx-get of the modal

    page.wait_for_url(re.compile(r"/settings/sudo/\?next="))
    assert page.get_by_test_id("modal").count() == 0
    screenshot(page, "sudo-after-htmx")
    page.get_by_test_id("sudo-form").locator('input[name="password"]').fill(factories.PASSWORD)
    page.get_by_test_id("sudo-submit").click()
    page.wait_for_url(f"{base}/org/?department={department.pk}")
    page.get_by_test_id("add-department").click()
    page.get_by_label("部门名称").wait_for()  # the modal opens now
