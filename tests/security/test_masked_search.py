"""A masked phone is found by its whole number only (issue 11, finding 4).

Where the caller sees a phone masked (``139****0008``: every pool customer and pool lead, the
recycle bin, everything of an employee under data protection, CUST-15), a search by a part of
the number -- its last four digits, a run from the middle -- would let a dozen searches recover
the hidden digits. Such searches find nothing there; the whole number, in any format, still
finds the record; records the caller sees unmasked keep matching by any part. The lists' ``q``
on the web pages and in the API go through the same selectors.
"""

import pytest

from tests import factories
from tests.leads.test_export import records
from tests.org.test_import_views import logged_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config
from tidecrm.customers import selectors as customer_selectors
from tidecrm.customers import services as customer_services
from tidecrm.leads import selectors as lead_selectors
from tidecrm.leads import services as lead_services

POOL_MOBILE = "13900000008"  # shown as 139****0008
PARTS = ["0008", "1390", "390000", "00000008", "1390000000", "3900000008", "139 0000"]
WHOLE = ["13900000008", "139-0000-0008", "+86 139 0000 0008"]


@pytest.fixture
def people(enterprise):
    admin = enterprise
    with tenant_context(admin.tenant):
        config.default_library(), config.stages()
    return {
        "admin": admin,
        "rep": factories.employee(admin, name="销售甲"),
        "colleague": factories.employee(admin, name="销售乙"),
        "pool_manager": factories.employee(admin, name="公海管理员", role_keys=("sales_manager",)),
    }


def _customer(actor, name, mobile, **fields):
    return customer_services.customer_create(
        actor=actor, name=name, contacts=[{"name": "联系人", "mobile": mobile}], **fields
    )


def _names(actor, view, q):
    with tenant_context(actor.tenant):
        return [c.name for c in customer_selectors.customer_list(actor=actor, view=view, q=q)]


def _phones(actor, state, q):
    with tenant_context(actor.tenant):
        return [lead.phone for lead in lead_selectors.lead_list(actor=actor, state=state, q=q)]


@pytest.fixture
def customers(people):
    admin, rep = people["admin"], people["rep"]
    with tenant_context(admin.tenant):
        pool = _customer(admin, "远洋渔业公司", POOL_MOBILE, to_pool=True)
        own = _customer(rep, "销售甲的客户", "13911110018")
        binned = _customer(admin, "已删客户", "13922220028")
        customer_services.customer_delete(actor=admin, customer_id=binned.pk)
    return {"pool": pool, "own": own, "binned": binned}


def test_pool_customer_is_found_by_its_whole_number_only(people, customers):
    for who in ("rep", "pool_manager", "admin"):  # the pool is masked for everyone (POOL-01)
        actor = people[who]
        for q in PARTS:
            assert _names(actor, "pool", q) == [], (who, q)
        for q in WHOLE:
            assert _names(actor, "pool", q) == ["远洋渔业公司"], (who, q)


def test_unmasked_customers_still_match_by_any_part(people, customers):
    rep, admin = people["rep"], people["admin"]
    for q in ("0018", "391111", "1391111001", "13911110018"):
        assert _names(rep, "mine", q) == ["销售甲的客户"], q
        assert _names(admin, "all", q) == ["销售甲的客户"], q


def test_recycle_bin_is_found_by_whole_numbers_only(people, customers):
    admin = people["admin"]
    for q in ("0028", "392222", "1392222002"):
        assert _names(admin, "bin", q) == [], q
    assert _names(admin, "bin", "13922220028") == ["已删客户"]


def test_data_protection_limits_the_protected_employee_to_whole_numbers(people, customers):
    admin, rep = people["admin"], people["rep"]
    with tenant_context(admin.tenant):
        config.settings_update(actor=admin, masked_employee_ids=[rep.pk])
    for q in ("0018", "391111", "1391111001"):
        assert _names(rep, "mine", q) == [], q  # CUST-15: even their own customers are masked
        assert _names(rep, "all", q) == [], q
    assert _names(rep, "mine", "139 1111 0018") == ["销售甲的客户"]
    assert _names(admin, "all", "0018") == ["销售甲的客户"]  # an unprotected viewer is unaffected


def test_names_are_still_searched_beside_a_masked_phone(people, customers):
    """Only the phone match narrows: a pool customer is found by its name as before."""
    assert _names(people["rep"], "pool", "远洋") == ["远洋渔业公司"]


def test_customer_api_and_page_search_the_same_way(people, customers, api):
    client = api(people["rep"])
    for q in ("0008", "390000"):
        body = client.get("/customers", {"state": "pool", "q": q}).json()
        assert (body["total"], body["items"]) == (0, []), q
    body = client.get("/customers", {"state": "pool", "q": POOL_MOBILE}).json()
    assert [item["name"] for item in body["items"]] == ["远洋渔业公司"]
    assert body["items"][0]["primary_contact"]["mobile"] == "139****0008"
    assert client.get("/customers", {"scope": "mine", "q": "0018"}).json()["total"] == 1

    page = logged_in(people["rep"])
    assert "远洋渔业公司" not in page.get("/customers/v/pool/", {"q": "0008"}).content.decode()
    assert "远洋渔业公司" in page.get("/customers/v/pool/", {"q": POOL_MOBILE}).content.decode()


# ---------------------------------------------------------------- leads


@pytest.fixture
def leads(people):
    rep = people["rep"]
    with tenant_context(rep.tenant):
        pooled = lead_services.lead_create(actor=rep, phone=POOL_MOBILE, name="远洋线索", to_me=True)
        lead_services.lead_release(actor=rep, lead_id=pooled.pk)
        owned = lead_services.lead_create(actor=rep, phone="13933330048", name="自己的线索", to_me=True)
    return {"pool": pooled, "owned": owned}


def test_pool_lead_is_found_by_its_whole_number_only(people, leads):
    for who in ("rep", "colleague", "admin"):  # the lead pool is masked for everyone (LEAD-21)
        actor = people[who]
        for q in PARTS:
            assert _phones(actor, "pool", q) == [], (who, q)
        for q in WHOLE:
            assert _phones(actor, "pool", q) == [POOL_MOBILE], (who, q)
    assert _phones(people["rep"], "pool", "远洋线索") == [POOL_MOBILE]  # names as before


def test_owned_leads_still_match_by_any_part(people, leads):
    for q in ("0048", "3333", "1393333", "13933330048"):
        assert _phones(people["rep"], "owned", q) == ["13933330048"], q


def test_lead_api_page_and_export_search_the_same_way(people, leads, api):
    client = api(people["colleague"])
    assert client.get("/leads", {"state": "pool", "q": "0008"}).json()["total"] == 0
    body = client.get("/leads", {"state": "pool", "q": POOL_MOBILE}).json()
    assert [item["phone"] for item in body["items"]] == ["139****0008"]

    page = logged_in(people["colleague"])
    assert "远洋线索" not in page.get("/leads/pool/", {"q": "390000"}).content.decode()
    assert "远洋线索" in page.get("/leads/pool/", {"q": POOL_MOBILE}).content.decode()

    exporter = api(people["pool_manager"])  # lead.export: the file lists what GET /leads lists
    assert records(exporter.get("/leads/export", {"state": "pool", "q": "0008"})) == []
    exported = records(exporter.get("/leads/export", {"state": "pool", "q": POOL_MOBILE}))
    assert [record["手机号"] for record in exported] == ["139****0008"]
