"""保有量设置 page: saves rules posted as JSON, refuses bad ones, shows each employee's usage."""

import json

from tests import factories
from tests.conftest import mark_sudo
from tests.org.test_import_views import logged_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.leads import services
from tidecrm.rules import holding


def test_save_rules_and_show_usage(enterprise, django_assert_max_num_queries):
    rep = factories.employee(enterprise, name="销售王")
    with tenant_context(enterprise.tenant):
        services.lead_create(actor=rep, phone="13900000001")
    client = mark_sudo(logged_in(enterprise))
    payload = {
        "lead": {
            "default_limit": "",
            "rules": [{"name": "王的规则", "limit": 3, "employee_ids": [rep.pk], "department_ids": []}],
        },
        "customer": {"default_limit": 10, "rules": []},
    }
    assert client.post("/settings/holding-limits/", {"payload": json.dumps(payload)}).status_code == 302
    with tenant_context(enterprise.tenant):
        assert holding.limit_for(rep, "lead") == 3 and holding.limit_for(enterprise, "lead") is None
        assert holding.limit_for(rep, "customer") == 10
    for index in range(10):
        factories.employee(enterprise, name=f"员工{index}")
    with django_assert_max_num_queries(25):
        page = client.get("/settings/holding-limits/").content.decode()
    assert "销售王" in page and "1 / 3" in page


def test_bad_limits_are_refused_and_change_nothing(enterprise):
    client = mark_sudo(logged_in(enterprise))
    bad = {"lead": {"default_limit": "-2", "rules": []}}
    response = client.post("/settings/holding-limits/", {"payload": json.dumps(bad)}, follow=True)
    assert "上限应为不小于 0 的整数" in response.content.decode()
    with tenant_context(enterprise.tenant):
        assert holding.settings_get(actor=enterprise)["lead"]["default_limit"] is None


def test_page_needs_the_permission(enterprise):
    assert (
        logged_in(factories.employee(enterprise, role_keys=("sales",)))
        .get("/settings/holding-limits/")
        .status_code
        == 403
    )
