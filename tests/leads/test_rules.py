"""LEAD-08 timeout recycle through the rules engine: set-based, as of any moment, idempotent."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command

from tests import factories
from tidecrm.core import clock
from tidecrm.core.tenancy import tenant_context
from tidecrm.leads import services
from tidecrm.leads.models import Lead, LeadFlow
from tidecrm.rules.engine import run_due


def test_stale_pending_leads_are_recycled_once(enterprise):
    rep = factories.employee(enterprise, name="销售")
    start = clock.now()
    with tenant_context(enterprise.tenant):
        services.lead_settings_update(actor=enterprise, timeout_recycle_hours=48)
        with clock.frozen(start):
            stale = services.lead_create(actor=rep, phone="13900000001")
            worked = services.lead_create(actor=rep, phone="13900000002")
            claimed_later = services.lead_create(actor=rep, phone="13900000003")
        with clock.frozen(start + timedelta(hours=30)):
            services.lead_set_status(actor=rep, lead_id=worked.pk, status="callback")
            services.lead_set_status(actor=rep, lead_id=claimed_later.pk, status="invalid")
            services.lead_set_status(actor=rep, lead_id=claimed_later.pk, status="callback")
    assert run_due(now=start + timedelta(hours=47)) == {}
    result = run_due(now=start + timedelta(hours=49))
    assert result == {enterprise.tenant_id: {"lead_timeout_recycle": 1}}
    with tenant_context(enterprise.tenant):
        lead = Lead.objects.get(pk=stale.pk)
        assert (lead.state, lead.recycled, lead.owner_id, lead.previous_owner_id) == (
            "unallocated",
            True,
            None,
            rep.pk,
        )
        assert Lead.objects.get(pk=worked.pk).state == "owned"
        flow = LeadFlow.objects.get(lead=stale, kind="recycle")
        assert flow.operator_id is None and flow.reason == "超时未处理，自动回收"
    assert run_due(now=start + timedelta(hours=100)) == {}  # nothing more to do, nothing twice


def test_off_by_default_and_the_command(enterprise):
    rep = factories.employee(enterprise, name="销售")
    with tenant_context(enterprise.tenant):
        services.lead_create(actor=rep, phone="13900000009")
    out = StringIO()
    call_command("run_rules", "--now", "2030-01-01T09:00+08:00", stdout=out)
    assert "没有需要执行的规则变更" in out.getvalue()
    with tenant_context(enterprise.tenant):
        services.lead_settings_update(actor=enterprise, timeout_recycle_hours=1)
    out = StringIO()
    call_command(
        "run_rules", "--now", "2030-01-01T09:00+08:00", "--tenant", str(enterprise.tenant_id), stdout=out
    )
    assert "lead_timeout_recycle 处理 1 条" in out.getvalue()
