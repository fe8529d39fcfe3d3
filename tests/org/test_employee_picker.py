"""The employee picker (issue 13): the search endpoint answers at most 20 employees of the
caller's enterprise in one query, and pages render only the chosen employee, not everyone."""

import pytest

from tests import factories
from tests.conftest import mark_sudo
from tests.org.test_import_views import logged_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import services as customer_services
from tidecrm.org import selectors, services
from tidecrm.sales import services as sales_services

URL = "/org/employees/search/"


@pytest.fixture
def staff(enterprise):
    """The enterprise with 30 salespeople 销售01..销售30 (and its admin 管理员)."""
    people = [factories.employee(enterprise, name=f"销售{i:02d}") for i in range(1, 31)]
    return enterprise, people


def _names(response):
    assert response.status_code == 200
    return [row["name"] for row in response.json()["results"]]


def test_search_matches_names_and_caps_at_twenty(staff):
    owner, people = staff
    client = logged_in(owner)
    assert _names(client.get(URL, {"q": "销售"})) == [f"销售{i:02d}" for i in range(1, 21)]
    assert _names(client.get(URL, {"q": "售2"})) == [f"销售{i:02d}" for i in range(20, 30)]
    row = client.get(URL, {"q": "销售07"}).json()["results"]
    assert row == [
        {"id": people[6].pk, "name": "销售07", "department": row[0]["department"], "resigned": False}
    ]
    assert len(_names(client.get(URL))) == 20  # nothing typed: the first 20 by name


def test_names_that_start_with_the_text_come_first(enterprise):
    factories.employee(enterprise, name="王小明")
    factories.employee(enterprise, name="小明")
    assert _names(logged_in(enterprise).get(URL, {"q": "小明"})) == ["小明", "王小明"]


def test_search_by_phone_digits(enterprise):
    factories.employee(enterprise, name="赵六", phone="13712345678")
    assert _names(logged_in(enterprise).get(URL, {"q": "2345"})) == ["赵六"]


def test_another_enterprise_is_never_answered(staff, other_enterprise):
    owner, _people = staff
    factories.employee(other_enterprise, name="销售99", phone="13700009999")
    outsider = logged_in(other_enterprise)
    assert _names(outsider.get(URL, {"q": "销售"})) == ["销售99"]
    assert "销售99" not in _names(logged_in(owner).get(URL, {"q": "销售9"}))
    assert _names(logged_in(owner).get(URL, {"q": "9999"})) == []


def test_resigned_only_when_asked(enterprise):
    leaver = factories.employee(enterprise, name="离职的人")
    with tenant_context(enterprise.tenant):
        services.employee_change_status(actor=enterprise, employee=leaver, action="resign")
    client = logged_in(enterprise)
    assert _names(client.get(URL, {"q": "离职"})) == []
    assert client.get(URL, {"q": "离职", "resigned": "1"}).json()["results"][0]["resigned"] is True


def test_anonymous_callers_are_sent_to_log_in(client, db):
    assert client.get(URL, {"q": "a"}).status_code == 302


def test_the_search_is_one_query_whatever_the_matches(staff, django_assert_num_queries):
    owner, _people = staff
    with tenant_context(owner.tenant):
        for q in ("", "销售", "售1", "139", "nobody"):
            with django_assert_num_queries(1):
                selectors.employee_search(actor=owner, q=q, include_resigned=True)


def test_picked_employees_stay_in_the_enterprise(staff, other_enterprise):
    owner, people = staff
    stranger = factories.employee(other_enterprise, name="外人")
    with tenant_context(owner.tenant):
        assert selectors.employee_picked(actor=owner, employee_id=stranger.pk) is None
        assert selectors.employee_picked(actor=owner, employee_id=None) is None
        picked = selectors.employees_picked(
            actor=owner, employee_ids=[people[1].pk, stranger.pk, people[0].pk]
        )
        assert [p.name for p in picked] == ["销售01", "销售02"]


# ---------------------------------------------------------------- pages render only the chosen


def _others_absent(html, people, chosen):
    shown = [p.name for p in people if p.name in html]
    assert shown == ([chosen.name] if chosen else []), shown
    assert "data-employee-picker" in html


@pytest.mark.parametrize(
    "path, field",
    [
        ("/customers/v/all/", "owner_id"),
        ("/customers/v/bin/", "owner_id"),
        ("/customers/followups/", "employee_id"),
        ("/sales/opportunities/", "owner_id"),
        ("/sales/contracts/", "owner_id"),
        ("/sales/orders/", "owner_id"),
    ],
)
def test_pages_hold_only_the_chosen_employee(staff, path, field):
    owner, people = staff
    with tenant_context(owner.tenant):
        sales = sales_services.sales_settings()
        sales.orders_enabled = True
        sales.save()
    client = mark_sudo(logged_in(owner))
    html = client.get(path).content.decode()
    _others_absent(html, people, None)
    chosen = people[11]
    html = client.get(path, {field: chosen.pk}).content.decode()
    _others_absent(html, people, chosen)
    assert f'name="{field}" value="{chosen.pk}"' in html


def test_modals_render_no_employee_list(staff):
    owner, people = staff
    with tenant_context(owner.tenant):
        customer = customer_services.customer_create(
            actor=owner, name="某某公司", contacts=[{"name": "联系人", "mobile": "13911112222"}]
        )
    client = mark_sudo(logged_in(owner))
    pages = [
        client.post("/customers/bulk/transfer/", {"customer_ids": [customer.pk]}, HTTP_HX_REQUEST="true"),
        client.get(f"/customers/{customer.pk}/drawer/", HTTP_HX_REQUEST="true"),
        client.post("/leads/bulk/allocate/", {"lead_ids": [1]}, HTTP_HX_REQUEST="true"),
        client.get("/org/inheritance/inherit/", {"employee_ids": [people[0].pk]}, HTTP_HX_REQUEST="true"),
    ]
    for response in pages:
        assert response.status_code == 200, response.content[:300]
        html = response.content.decode()
        assert "data-employee-picker" in html
        assert [p.name for p in people[1:] if p.name in html] == []


def test_a_nul_in_the_text_is_no_error(staff):
    owner, _people = staff
    # PostgreSQL text cannot hold NUL: dropped, the rest is searched.
    assert _names(logged_in(owner).get(URL, {"q": "销售0\x001"})) == ["销售01"]
