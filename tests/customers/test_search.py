"""The customer search (CUST-03 q=): name fragment, contact name, phone (full or last digits),
inside the caller's scope -- by ids looked up first, by subquery when broad, by row test when
short (selectors._search, see bench/customer_list.py)."""

import pytest

from tests import factories
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config, selectors, services
from tidecrm.org import services as org_services


@pytest.fixture
def org(enterprise):
    admin = enterprise
    with tenant_context(admin.tenant):
        config.default_library(), config.stages()
        east = org_services.department_create(actor=admin, name="华东")
        west = org_services.department_create(actor=admin, name="华西")
    people = {
        "admin": admin,
        "manager": factories.employee(
            admin, name="华东经理", role_keys=("sales_manager",), departments=[east], main_department=east
        ),
        "rep": factories.employee(admin, name="华东甲", departments=[east], main_department=east),
        "outsider": factories.employee(admin, name="华西丙", departments=[west], main_department=west),
    }
    with tenant_context(admin.tenant):
        rep, outsider = people["rep"], people["outsider"]
        for actor, name, contact, mobile in (
            (rep, "上海华通科技有限公司", "张伟", "13911112345"),
            (rep, "杭州华通贸易有限公司", "李娜", "13922226789"),
            (outsider, "北京华通科技有限公司", "王芳", "13933332345"),
            (rep, "Acme Trading Ltd", "Bob", "13944448888"),
        ):
            services.customer_create(actor=actor, name=name, contacts=[{"name": contact, "mobile": mobile}])
        yield people


def found(actor, q, view="all"):
    return sorted(c.name for c in selectors.customer_list(actor=actor, view=view, q=q))


def test_name_fragment_contact_name_and_phones(org):
    admin = org["admin"]

    assert found(admin, "华通科技") == ["上海华通科技有限公司", "北京华通科技有限公司"]
    assert found(admin, "acme") == ["Acme Trading Ltd"]  # case-insensitive
    assert found(admin, "李娜") == ["杭州华通贸易有限公司"]
    assert found(admin, "2345") == ["上海华通科技有限公司", "北京华通科技有限公司"]  # last digits
    assert found(admin, "139-2222-6789") == ["杭州华通贸易有限公司"]  # a full mobile, any format
    assert found(admin, "不存在的公司") == []


def test_short_text_is_searched_too(org):
    assert found(org["admin"], "华通") == [
        "上海华通科技有限公司",
        "北京华通科技有限公司",
        "杭州华通贸易有限公司",
    ]
    assert found(org["admin"], "张伟") == ["上海华通科技有限公司"]


def test_two_characters_match_like_contains_in_any_case(org):
    """Two characters ask the name_bigrams column on PostgreSQL, a LIKE elsewhere: same answers,
    letters in any case, a pair only where it is adjacent, and renames followed."""
    from django.db import connection

    admin = org["admin"]
    assert found(admin, "ac") == found(admin, "AC") == ["Acme Trading Ltd"]
    assert found(admin, "e ") == ["Acme Trading Ltd"]  # a space is a character like any other
    assert found(admin, "科有") == []  # both characters occur, but not side by side
    assert found(admin, "技有") == ["上海华通科技有限公司", "北京华通科技有限公司"]
    customer = selectors.Customer.objects.get(name="杭州华通贸易有限公司")
    services.customer_update(actor=org["rep"], customer_id=customer.pk, name="杭州瑞丰贸易有限公司")
    assert found(admin, "瑞丰") == ["杭州瑞丰贸易有限公司"]
    assert "杭州瑞丰贸易有限公司" not in found(admin, "华通")
    if connection.vendor == "postgresql":
        sql = str(selectors.customer_list(actor=admin, view="all", q="瑞丰").query)
        assert "name_bigrams" in sql
    services.customer_create(
        actor=admin, name="Straße GmbH", contacts=[{"name": "Kai", "mobile": "13955550000"}]
    )
    assert found(admin, "ße") == ["Straße GmbH"]  # upper-cased as the database does, not as Python


def test_search_stays_inside_the_scope(org):
    assert found(org["manager"], "华通科技") == ["上海华通科技有限公司"]  # 北京 is 华西's
    assert found(org["rep"], "2345", view="mine") == ["上海华通科技有限公司"]
    assert found(org["outsider"], "华通") == ["北京华通科技有限公司"]


def test_broad_search_filters_by_subquery(org, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_ID_LIMIT", 1)

    assert found(org["admin"], "华通科技") == ["上海华通科技有限公司", "北京华通科技有限公司"]
    assert found(org["manager"], "有限公司") == ["上海华通科技有限公司", "杭州华通贸易有限公司"]


def test_last_four_digits_match_the_end_of_a_mobile_only(bound):
    from tidecrm.customers import selectors as customer_selectors
    from tidecrm.customers import services as customer_services

    owner = bound
    ends = customer_services.customer_create(
        actor=owner, name="尾号客户", contacts=[{"name": "甲", "mobile": "13900001747"}]
    )
    customer_services.customer_create(
        actor=owner, name="中间客户", contacts=[{"name": "乙", "mobile": "13917470000"}]
    )
    found = customer_selectors.customer_list(actor=owner, view="all", q="1747")
    assert [c.pk for c in found] == [ends.pk]
    assert customer_selectors.count_limit("北京") < customer_selectors.count_limit("北京华信")
