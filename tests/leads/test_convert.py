"""LEAD-16 conversion through the customer create rules; LEAD-27 checks customer contacts too."""

import pytest

from tests import factories
from tests.leads.test_services import refused
from tidecrm.core.errors import ValidationFailed
from tidecrm.customers.models import Contact, Customer
from tidecrm.leads import services
from tidecrm.leads.models import Lead, LeadFlow
from tidecrm.rules import holding


@pytest.fixture
def rep(bound):
    return factories.employee(bound, name="销售甲", role_keys=("sales",))


def test_convert_makes_a_customer_of_the_same_owner(rep):
    lead = services.lead_create(
        actor=rep,
        phone="13900001111",
        name="张三",
        company_name="康师傅食品有限公司",
        email="zhang@example.com",
        source="展会",
    )
    customer = services.lead_convert(actor=rep, lead_id=lead.pk)
    contact = Contact.objects.get(customer=customer)
    assert (customer.name, customer.owner_id, customer.source, customer.from_lead_id) == (
        "康师傅食品有限公司",
        rep.pk,
        "展会",
        lead.pk,
    )
    assert (contact.name, contact.mobile, contact.email, contact.is_primary) == (
        "张三",
        "13900001111",
        "zhang@example.com",
        True,
    )
    lead.refresh_from_db()
    assert (lead.state, lead.customer_id) == ("converted", customer.pk)
    assert LeadFlow.objects.filter(lead=lead, kind="convert").exists()
    assert holding.usage(rep, "lead")[0] == 0 and holding.usage(rep, "customer")[0] == 1


def test_names_are_required(rep):
    lead = services.lead_create(actor=rep, phone="13900001111")
    with pytest.raises(ValidationFailed) as caught:
        services.lead_convert(actor=rep, lead_id=lead.pk)
    assert set(caught.value.fields) == {"customer_name", "contact_name"}
    assert Lead.objects.get(pk=lead.pk).state == "owned" and not Customer.objects.exists()


def test_invalid_leads_and_other_containers_are_refused(rep, bound):
    lead = services.lead_create(actor=rep, phone="13900001111", name="甲", company_name="甲公司")
    services.lead_set_status(actor=rep, lead_id=lead.pk, status="invalid")
    refused("invalid_transition", services.lead_convert, actor=rep, lead_id=lead.pk)
    pending = services.lead_create(actor=bound, phone="13900002222", name="乙", company_name="乙公司")
    refused("invalid_transition", services.lead_convert, actor=bound, lead_id=pending.pk)
    assert not Customer.objects.exists()


def test_duplicate_customer_names_the_holder(rep, bound):
    other = factories.employee(bound, name="销售乙", role_keys=("sales",))
    first = services.lead_create(actor=other, phone="13900001111", name="甲", company_name="康师傅食品")
    services.lead_convert(actor=other, lead_id=first.pk)
    # The lead itself is no duplicate (another company), but the customer name chosen on conversion is.
    lead = services.lead_create(actor=rep, phone="13900002222", name="乙", company_name="乙公司")
    error = refused(
        "duplicate_customer",
        services.lead_convert,
        actor=rep,
        lead_id=lead.pk,
        customer_name="康师傅 食品(有限公司)",
    )
    assert error.details["owner"] == "销售乙"
    assert Lead.objects.get(pk=lead.pk).state == "owned" and Customer.objects.count() == 1


def test_customer_holding_limit(rep, bound):
    holding.settings_put(actor=bound, data={"customer": {"default_limit": 0, "rules": []}})
    lead = services.lead_create(actor=rep, phone="13900001111", name="甲", company_name="甲公司")
    refused("holding_limit_reached", services.lead_convert, actor=rep, lead_id=lead.pk)
    assert Lead.objects.get(pk=lead.pk).state == "owned"


def test_a_customer_contacts_phone_is_a_lead_duplicate(rep, bound):
    lead = services.lead_create(actor=rep, phone="13900001111", name="甲", company_name="甲公司")
    services.lead_convert(actor=rep, lead_id=lead.pk)
    error = refused("duplicate_lead", services.lead_create, actor=bound, phone="+86 139 0000 1111")
    assert error.details["holder"] == "销售甲"


def test_api_convert(enterprise, api):
    rep = factories.employee(enterprise, name="销售")
    client = api(rep)
    lead = client.post("/leads", {"phone": "13900003333", "name": "王五", "company_name": "王氏集团"}).json()
    response = client.post(f"/leads/{lead['id']}/convert", {})
    assert response.status_code == 201, response.content
    body = response.json()["customer"]
    assert (body["name"], body["owner_id"], body["primary_contact"]) == ("王氏集团", rep.pk, "王五")
    again = client.post(f"/leads/{lead['id']}/convert", {})
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    empty = client.post("/leads", {"phone": "13900004444"}).json()
    missing = client.post(f"/leads/{empty['id']}/convert", {"customer_name": "", "contact_name": ""})
    assert missing.status_code == 422 and set(missing.json()["details"]["fields"]) == {
        "customer_name",
        "contact_name",
    }


def test_converting_needs_the_permission_and_a_lead_in_scope(rep, bound):
    from tidecrm.core.errors import NotFound

    lead = services.lead_create(actor=rep, phone="13900003333", name="丙", company_name="丙公司")
    from tidecrm.org import services as org_services

    clerk_role = org_services.role_create(actor=bound, name="文员", permissions=["lead.create"])
    clerk = factories.employee(bound, name="文员", role_keys=(), roles=[clerk_role])
    # Someone who sees the lead is told the right they lack; someone who does not see it learns
    # nothing of it (the access policy answers 404 before the permission).
    own = services.lead_create(actor=clerk, phone="13900004444", name="丁", company_name="丁公司")
    error = refused("permission_denied", services.lead_convert, actor=clerk, lead_id=own.pk)
    assert error.status == 403
    with pytest.raises(NotFound):
        services.lead_convert(actor=clerk, lead_id=lead.pk)
    stranger = factories.employee(bound, name="销售丙", role_keys=("sales",))
    with pytest.raises(NotFound):
        services.lead_convert(actor=stranger, lead_id=lead.pk)
    assert Lead.objects.get(pk=lead.pk).state == "owned" and not Customer.objects.exists()


def test_a_lead_takes_only_known_tags(rep):
    error = refused("validation_error", services.lead_create, actor=rep, phone="13900004444", tag_ids=[10**9])
    assert "tag_ids" in error.details["fields"] and not Lead.objects.exists()
