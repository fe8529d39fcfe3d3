"""LEAD-18 follow-ups on leads: the record, its refusals, the timeout rule and conversion."""

from datetime import timedelta

import pytest

from tests import factories
from tests.leads.test_services import refused
from tests.org.test_import_views import logged_in
from tidecrm.core import clock
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers.models import Followup
from tidecrm.leads import services
from tidecrm.leads.models import Lead
from tidecrm.rules.engine import run_due


@pytest.fixture
def rep(bound):
    return factories.employee(bound, name="销售甲", role_keys=("sales",))


def test_add_followup_stamps_the_lead(rep):
    lead = services.lead_create(actor=rep, phone="13900001111")
    followup = services.lead_followup_add(
        actor=rep, lead_id=lead.pk, content=" 电话沟通，对方有意向 ", method="call"
    )
    assert followup.content == "电话沟通，对方有意向" and followup.created_by_id == rep.pk
    assert Lead.objects.get(pk=lead.pk).last_followup_at == followup.created_at


def test_refusals_leave_nothing(rep, bound):
    lead = services.lead_create(actor=rep, phone="13900001111")
    for kwargs, field in (
        ({"content": "  "}, "content"),
        ({"content": "x", "method": "pigeon"}, "method"),
        ({"content": "x", "next_followup_at": clock.now() - timedelta(minutes=1)}, "next_followup_at"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            services.lead_followup_add(actor=rep, lead_id=lead.pk, **kwargs)
        assert field in caught.value.fields
    other = factories.employee(bound, name="销售乙", role_keys=("sales",))
    refused("not_found", services.lead_followup_add, actor=other, lead_id=lead.pk, content="偷看")
    services.lead_release(actor=rep, lead_id=lead.pk)
    refused("invalid_transition", services.lead_followup_add, actor=rep, lead_id=lead.pk, content="池中")
    assert not Followup.objects.exists() and Lead.objects.get(pk=lead.pk).last_followup_at is None


def test_a_followup_keeps_the_lead_from_timing_out(rep, bound):
    start = clock.now()
    services.lead_settings_update(actor=bound, timeout_recycle_hours=24)
    with clock.frozen(start):
        lead = services.lead_create(actor=rep, phone="13900001111")
    with clock.frozen(start + timedelta(hours=20)):
        services.lead_followup_add(actor=rep, lead_id=lead.pk, content="跟进中")
    assert run_due(now=start + timedelta(hours=30)) == {}
    assert run_due(now=start + timedelta(hours=45)) == {bound.tenant_id: {"lead_timeout_recycle": 1}}


def test_followups_move_to_the_customer_on_conversion(rep):
    lead = services.lead_create(actor=rep, phone="13900001111", name="甲", company_name="甲公司")
    services.lead_followup_add(actor=rep, lead_id=lead.pk, content="第一次沟通")
    customer = services.lead_convert(actor=rep, lead_id=lead.pk)
    assert list(customer.followups.values_list("content", flat=True)) == ["第一次沟通"]
    customer.refresh_from_db()  # 未跟进天数 counts from the lead's follow-up, not from never
    assert customer.last_followup_at == customer.followups.get().created_at


def test_api_and_drawer(enterprise, api):
    rep = factories.employee(enterprise, name="销售")
    client = api(rep)
    lead = client.post("/leads", {"phone": "13900002222"}).json()
    created = client.post(f"/leads/{lead['id']}/followups", {"content": "微信联系", "method": "wechat"})
    assert created.status_code == 201 and created.json()["method"] == "wechat"
    assert [f["content"] for f in client.get(f"/leads/{lead['id']}/followups").json()] == ["微信联系"]
    empty = client.post(f"/leads/{lead['id']}/followups", {"content": ""})
    assert empty.status_code == 422 and "content" in empty.json()["details"]["fields"]
    page = (
        logged_in(rep)
        .post(
            f"/leads/{lead['id']}/followups/",
            {"content": "<b>上门</b>拜访", "method": "visit"},
            HTTP_HX_REQUEST="true",
        )
        .content.decode()
    )
    assert "&lt;b&gt;上门&lt;/b&gt;拜访" in page and "已添加跟进记录" in page
    with tenant_context(enterprise.tenant):
        assert Followup.objects.count() == 2
