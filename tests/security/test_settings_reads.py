"""Enterprise settings are read by those who may change them (issue 11, finding 11).

``GET /settings/holding-limits`` (who holds how much), the pool, lead and duplicate rules, the
customer libraries and the customer switches (who is under data protection) answer 403
``permission_denied`` -- as the writes do -- to an employee without the permission that edits
them. What a salesperson's own pages show stays readable: the customer stages, tag groups and
opportunity stages their forms and filters offer, and their own holding usage.

The id lists stored in settings name employees of the caller's enterprise only: an id of another
enterprise's employee, or of nobody, is refused with 422 ``validation_error`` naming the field.
"""

import pytest

from tests import factories
from tests.conftest import mark_sudo
from tests.org.test_import_views import logged_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config
from tidecrm.customers.models import CustomerSettings
from tidecrm.org import services as org_services
from tidecrm.rules import holding
from tidecrm.rules.models import HoldingLimitRule

SETTINGS_READS = {
    "/settings/holding-limits": "rules.holding_limits",
    "/settings/lead-rules": "lead.settings",
    "/settings/pool-rules": "customer.settings",
    "/settings/duplicate-rules": "customer.settings",
    "/customer-libraries": "customer.settings",
    "/settings/customers": "customer.settings",
}
REP_READS = ["/settings/customer-stages", "/settings/tag-groups", "/opportunity-stages"]


@pytest.fixture
def people(enterprise):
    admin = enterprise
    with tenant_context(admin.tenant):
        config.default_library(), config.stages()
        holding.settings_put(
            actor=admin, data={"customer": {"default_limit": 50, "rules": [{"name": "新人", "limit": 5}]}}
        )
    return {
        "admin": admin,
        "rep": factories.employee(admin, name="销售"),
        "member": factories.employee(admin, name="普通员工", role_keys=("member",)),
        "manager": factories.employee(admin, name="销售经理", role_keys=("sales_manager",)),
    }


def _holder_of(admin, code):
    """An employee whose one role holds ``code`` alone."""
    with tenant_context(admin.tenant):
        role = org_services.role_create(actor=admin, name=f"只有{code}", permissions=[code])
    return factories.employee(admin, name=f"持有{code}", roles=[role])


@pytest.mark.parametrize(
    "who,path",
    [
        (who, path)
        for who in ("rep", "member", "manager")
        for path in SETTINGS_READS
        # pool managers name libraries when they file customers into a pool (see below)
        if (who, path) != ("manager", "/customer-libraries")
    ],
)
def test_settings_reads_need_the_permission_that_edits_them(people, api, who, path):
    response = api(people[who]).get(path)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied"), response.content


@pytest.mark.parametrize("path,code", SETTINGS_READS.items())
def test_holders_of_the_permission_read_them(people, api, path, code):
    assert api(_holder_of(people["admin"], code)).get(path).status_code == 200
    assert api(people["admin"]).get(path).status_code == 200


def test_holding_limits_answer_no_rule_to_a_rep(people, api):
    body = api(people["rep"]).get("/settings/holding-limits").json()
    assert "rules" not in str(body) and "新人" not in str(body)


def test_pool_managers_list_the_libraries_they_file_customers_into(people, api):
    """``customer.assign`` (POST /customers with ``library_id``) reads the library list, not the
    pool or duplicate rules."""
    client = api(people["manager"])
    libraries = client.get("/customer-libraries").json()
    assert [library["name"] for library in libraries] == [config.DEFAULT_LIBRARY_NAME]
    assert client.get("/settings/pool-rules").status_code == 403


@pytest.mark.parametrize("path", REP_READS)
def test_what_a_reps_pages_offer_stays_readable(people, api, path):
    assert api(people["rep"]).get(path).status_code == 200


def test_a_reps_pages_still_show_stages_tags_and_their_own_usage(people):
    admin = people["admin"]
    with tenant_context(admin.tenant):
        config.tag_group_create(actor=admin, name="意向", tags=["高意向"])
    page = logged_in(people["rep"])
    listing = page.get("/customers/").content.decode()
    assert "初步接触" in listing and "高意向" in listing  # the stage and tag filters
    assert "50" in listing  # 已拥有 0 / 上限 50: their own holding usage
    form = page.get("/customers/new/")
    assert form.status_code == 200 and "初步接触" in form.content.decode()
    # ... while the settings pages themselves stay closed to them.
    for url in ("/settings/holding-limits/", "/customers/settings/", "/leads/settings/"):
        assert page.get(url).status_code in (403, 404), url


# ---------------------------------------------------------------- employee ids in settings


def _masked_ids(admin):
    with tenant_context(admin.tenant):
        return CustomerSettings.objects.get().masked_employee_ids


def test_masked_employee_ids_name_employees_of_this_enterprise_only(people, other_enterprise, api):
    admin, rep = people["admin"], people["rep"]
    client = api(admin)
    assert client.put("/settings/customers", {"masked_employee_ids": [rep.pk]}).status_code == 200
    stranger = factories.employee(other_enterprise, name="外企员工")
    for bad in ([stranger.pk], [rep.pk, other_enterprise.pk], [987654321], [2**63]):
        response = client.put("/settings/customers", {"masked_employee_ids": bad})
        body = response.json()
        assert (response.status_code, body["code"]) == (422, "validation_error"), bad
        assert list(body["details"]["fields"]) == ["masked_employee_ids"]
        assert _masked_ids(admin) == [rep.pk]  # nothing stored


def test_settings_page_refuses_a_stranger_in_masked_employees(people, other_enterprise):
    admin, rep = people["admin"], people["rep"]
    stranger = factories.employee(other_enterprise, name="外企员工")
    response = mark_sudo(logged_in(admin)).post(
        "/customers/settings/general/",
        {"action": "general", "masked_employee_ids": [rep.pk, stranger.pk]},
        follow=True,
    )
    assert response.status_code == 200 and "员工不存在" in response.content.decode()
    assert _masked_ids(admin) == []


def test_holding_limit_rules_name_this_enterprises_people_only(people, other_enterprise, api):
    """The other employee and department id lists of the settings are checked the same way."""
    admin = people["admin"]
    stranger = factories.employee(other_enterprise, name="外企员工")
    with tenant_context(other_enterprise.tenant):
        far = org_services.department_create(actor=other_enterprise, name="外企部门")
    client = api(admin)
    with tenant_context(admin.tenant):
        before = list(HoldingLimitRule.objects.values_list("name", "limit"))
    for field, ids in (("employee_ids", [stranger.pk]), ("department_ids", [far.pk])):
        response = client.put(
            "/settings/holding-limits", {"lead": {"rules": [{"name": "外人", "limit": 1, field: ids}]}}
        )
        assert (response.status_code, list(response.json()["details"]["fields"])) == (
            422,
            [f"lead.rules.0.{field}"],
        )
    response = client.post("/customer-libraries", {"name": "外企库", "department_ids": [far.pk]})
    assert (response.status_code, list(response.json()["details"]["fields"])) == (422, ["department_ids"])
    with tenant_context(admin.tenant):
        assert list(HoldingLimitRule.objects.values_list("name", "limit")) == before
        assert [library.name for library in config.libraries()] == [config.DEFAULT_LIBRARY_NAME]
