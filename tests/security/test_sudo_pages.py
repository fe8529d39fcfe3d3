"""Sudo mode on every enterprise-settings page (SPEC Q-21, TEN-14; ``accounts.web.sudo_required``).

An admin without a re-authentication in the last SUDO_MINUTES is sent to the sudo page and comes
back afterwards; an htmx request gets ``HX-Redirect`` to it with the page it came from as
``next``; a refused write changes nothing. The 通讯录, the employees without the page's permission
(the 403 page, not a password prompt), those the sudo page does not let in (a custom role with one
settings permission) and the API (tokens, not sessions) are not affected.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories
from tests.conftest import mark_sudo
from tests.org.test_import_views import logged_in
from tidecrm.accounts.sessions import SESSION_SUDO
from tidecrm.core import clock
from tidecrm.core.tenancy import tenant_context
from tidecrm.leads import services as lead_services
from tidecrm.org import services as org_services
from tidecrm.org.models import Department, Employee, Role

HTMX = {"HTTP_HX_REQUEST": "true"}

# Every settings page (GET); {role}, {department} and {employee} are filled from the world.
SETTINGS_PAGES = [
    "/org/",
    "/org/?department={department}",
    "/org/departments/new/",
    "/org/departments/{department}/edit/",
    "/org/departments/{department}/delete/",
    "/org/employees/new/",
    "/org/employees/{employee}/",
    "/org/employees/{employee}/edit/roles/",
    "/org/employees/batch/move/?employee_ids={employee}",
    "/org/roles/",
    "/org/roles/new/",
    "/org/roles/{role}/",
    "/org/inheritance/",
    "/org/inheritance/inherit/",
    "/org/recycle-bin/",
    "/settings/holding-limits/",
    "/leads/settings/",
    "/sales/settings/stages/",
    "/sales/settings/contracts/",
]
CUSTOMER_SETTINGS_PAGES = ["/customers/settings/", "/customers/settings/tags/"]


@pytest.fixture
def world(enterprise):
    owner = enterprise
    with tenant_context(owner.tenant):
        department = org_services.department_create(actor=owner, name="销售一部")
    rep = factories.employee(owner, name="销售小王", role_keys=("sales",), main_department=department)
    with tenant_context(owner.tenant):
        role = Role.objects.get(system_key="sales")
    return {"owner": owner, "department": department, "employee": rep, "role": role}


def _fill(path, world):
    return path.format(
        role=world["role"].pk, department=world["department"].pk, employee=world["employee"].pk
    )


def _sudo_next(response):
    """The ``next`` of a redirect (or HX-Redirect) to the sudo page; fails on anything else."""
    location = urlsplit(
        response["HX-Redirect"] if response.has_header("HX-Redirect") else response["Location"]
    )
    assert location.path == "/settings/sudo/", response
    return parse_qs(location.query)["next"][0]


@pytest.mark.parametrize("path", [*SETTINGS_PAGES, *CUSTOMER_SETTINGS_PAGES])
def test_a_settings_page_without_sudo_goes_to_the_sudo_page_and_with_it_renders(world, path):
    path = _fill(path, world)
    client = logged_in(world["owner"])

    response = client.get(path)

    assert response.status_code == 302 and _sudo_next(response) == path
    assert mark_sudo(client).get(path).status_code == 200


@pytest.mark.parametrize("path", ["/org/", "/leads/settings/", "/sales/settings/contracts/"])
def test_an_administrator_by_role_is_asked_too(world, path):
    admin = factories.employee(world["owner"], name="管理员乙", role_keys=("admin",))
    response = logged_in(admin).get(path)
    assert response.status_code == 302 and _sudo_next(response) == path


def test_a_stale_sudo_mark_is_asked_again(world, settings):
    client = logged_in(world["owner"])
    session = client.session
    session[SESSION_SUDO] = (clock.now() - timedelta(minutes=settings.SUDO_MINUTES + 1)).isoformat()
    session.save()

    assert client.get("/leads/settings/").status_code == 302
    session[SESSION_SUDO] = (clock.now() - timedelta(minutes=settings.SUDO_MINUTES - 1)).isoformat()
    session.save()
    assert client.get("/leads/settings/").status_code == 200


def test_entering_sudo_comes_back_to_the_page(world):
    client = logged_in(world["owner"])
    next_path = _sudo_next(client.get("/sales/settings/stages/"))

    response = client.post("/settings/sudo/", {"password": factories.PASSWORD, "next": next_path})

    assert response.status_code == 302 and response["Location"] == "/sales/settings/stages/"
    assert client.get(response["Location"]).status_code == 200


def test_htmx_without_sudo_gets_hx_redirect_back_to_the_page_it_came_from(world):
    client = logged_in(world["owner"])
    page = f"/org/?department={world['department'].pk}"

    response = client.get("/org/departments/new/", HTTP_HX_CURRENT_URL=f"http://testserver{page}", **HTMX)

    assert response.status_code == 204 and response.content == b""
    assert "Location" not in response  # no redirect for htmx to follow into the modal slot
    assert _sudo_next(response) == page
    # Another site's page is no place to come back to: the settings home instead.
    foreign = client.get("/org/departments/new/", HTTP_HX_CURRENT_URL="https://evil.example/org/", **HTMX)
    assert _sudo_next(foreign) == "/settings/"
    # The full-page answer is unchanged.
    assert client.get("/org/departments/new/").status_code == 302


def test_htmx_actions_without_sudo_change_nothing(world):
    owner, rep = world["owner"], world["employee"]
    client = logged_in(owner)
    current = {"HTTP_HX_CURRENT_URL": "http://testserver/org/"}

    status = client.post(f"/org/employees/{rep.pk}/status/disable/", **current, **HTMX)
    bulk = client.post("/org/employees/bulk/resign/", {"employee_ids": [rep.pk]}, **current, **HTMX)
    role = client.post(
        f"/org/employees/{rep.pk}/edit/roles/", {"role_ids": [world["role"].pk]}, **current, **HTMX
    )
    created = client.post("/org/departments/new/", {"name": "不该出现的部门"}, **current, **HTMX)

    for response in (status, bulk, role, created):
        assert response.status_code == 204 and _sudo_next(response) == "/org/"
    with tenant_context(owner.tenant):
        assert Employee.objects.get(pk=rep.pk).status == Employee.Status.ACTIVE
        assert not Department.objects.filter(name="不该出现的部门").exists()


def test_settings_posts_without_sudo_change_nothing(world):
    owner = world["owner"]
    client = logged_in(owner)

    lead_rules = client.post("/leads/settings/", {"daily_claim_limit": "5"})
    holding = client.post(
        "/settings/holding-limits/", {"payload": '{"lead": {"default_limit": 3, "rules": []}}'}
    )
    contracts = client.post("/sales/settings/contracts/", {"number_prefix": "SO"})
    role = client.post(f"/org/roles/{world['role'].pk}/delete/")

    for response in (lead_rules, holding, contracts, role):
        assert response.status_code == 302 and response["Location"].startswith("/settings/sudo/")
    with tenant_context(owner.tenant):
        from tidecrm.rules import holding as holding_rules
        from tidecrm.sales import services as sales_services

        assert lead_services.lead_settings().daily_claim_limit is None
        assert holding_rules.settings_get(actor=owner)["lead"]["default_limit"] is None
        assert sales_services.sales_settings().number_prefix != "SO"
        assert Role.objects.filter(pk=world["role"].pk).exists()


def test_a_post_only_action_still_answers_405_to_a_get(world):
    assert logged_in(world["owner"]).get(f"/org/roles/{world['role'].pk}/delete/").status_code == 405


def test_the_address_book_stays_open_without_sudo(world):
    assert logged_in(world["owner"]).get("/org/contacts/").status_code == 200


@pytest.mark.parametrize("path", [*SETTINGS_PAGES, "/customers/settings/"])
def test_without_the_permission_it_is_the_403_page_not_a_password_prompt(world, path):
    rep = factories.employee(world["owner"], name="销售小李", role_keys=("sales",))
    response = logged_in(rep).get(_fill(path, world))
    assert response.status_code == 403
    assert 'data-code="permission_denied"' in response.content.decode()


def test_who_the_sudo_page_does_not_let_in_passes_as_before(world):
    """A 销售经理 (org.view) and a custom role holding one settings permission are not admins:
    the sudo page refuses them (403), so sudo_required does not send them there."""
    owner = world["owner"]
    manager = factories.employee(owner, name="李经理", role_keys=("sales_manager",))
    with tenant_context(owner.tenant):
        rule_keeper_role = org_services.role_create(
            actor=owner,
            name="线索规则员",
            permissions=["lead.settings"],
            data_scopes={},
            scope_departments={},
        )
    rule_keeper = factories.employee(owner, name="规则员", role_keys=())
    with tenant_context(owner.tenant):
        org_services.employee_set_roles(actor=owner, employee=rule_keeper, roles=[rule_keeper_role])

    assert logged_in(manager).get("/org/").status_code == 200
    assert logged_in(rule_keeper).get("/leads/settings/").status_code == 200
    assert logged_in(rule_keeper).get("/settings/sudo/").status_code == 403


def test_the_api_needs_no_sudo(world, api):
    client = api(world["owner"])
    assert client.get("/settings/lead-rules").status_code == 200
    assert client.get("/settings/holding-limits").status_code == 200
