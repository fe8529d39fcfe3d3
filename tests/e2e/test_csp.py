"""The Content-Security-Policy (issue 11, finding 10) in a real browser: the pages, their htmx
modals and drawers, Alpine components, charts-free settings forms and the API docs run without a
single violation, and the policy really blocks what it should (a script from another origin)."""

import pytest

from tests import factories
from tests.e2e.conftest import enter_sudo
from tests.e2e.test_org_journey import log_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import services as customer_services

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


@pytest.fixture(autouse=True)
def _quick_failures(page):
    page.set_default_timeout(10_000)


@pytest.fixture
def violations(page):
    """The CSP violations the page reported, from events and from the console."""
    seen = []
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None,
    )

    def collect():
        return seen + page.evaluate("window.__csp || []")

    return collect


def test_pages_run_under_the_policy(page, live_server, violations):
    owner = factories.enterprise(name="策略演练有限公司", admin_name="冯总", phone="13866668888")
    with tenant_context(owner.tenant):
        customer_services.customer_create(
            actor=owner, name="策略客户有限公司", contacts=[{"name": "张三", "mobile": "13911112222"}]
        )
    base = live_server.url
    log_in(page, base, "13866668888", factories.PASSWORD)
    page.wait_for_url(f"{base}/")
    assert violations() == []

    page.goto(f"{base}/customers/")
    page.get_by_test_id("new-customer").click()  # htmx modal with an Alpine form
    page.get_by_test_id("modal").wait_for()
    page.get_by_test_id("modal-close").click()  # onclick= handler
    page.get_by_test_id("customer-row").first.click()  # htmx drawer
    page.get_by_test_id("customer-detail").wait_for()
    page.keyboard.press("Escape")
    assert violations() == []

    enter_sudo(page, base, factories.PASSWORD)  # /org/ and the settings forms below
    assert violations() == []
    for path in ("/leads/", "/leads/pool/", "/org/", "/sales/opportunities/", "/sales/opportunities/board/"):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        assert violations() == [], path

    page.goto(f"{base}/settings/holding-limits/")  # the inline <script> of an Alpine form
    page.get_by_role("button", name="添加规则").first.click()
    page.get_by_label("规则名").first.wait_for()
    assert violations() == []

    page.goto(f"{base}/api/v1/docs")  # Swagger UI from /static
    page.locator(".swagger-ui").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert violations() == []


def test_the_policy_blocks_a_foreign_script(page, live_server, violations):
    page.goto(f"{live_server.url}/login/")

    page.evaluate(
        """() => new Promise((done) => {
          const script = document.createElement("script");
          script.src = "https://cdn.example.com/evil.js";
          script.onerror = done;
          document.head.append(script);
          setTimeout(done, 2000);
        })"""
    )

    assert any("script-src" in violation for violation in violations()), violations()
