"""Resignation inheritance of leads (INH-03, LEAD-25): counted, moved with their status, the
receiver's lead holding limit per record, and shown in the lead's history."""

from tests import factories
from tests.org.test_import_views import logged_in
from tidecrm.leads import services
from tidecrm.leads.models import Lead, LeadFlow
from tidecrm.org import inheritance
from tidecrm.org import services as org_services
from tidecrm.rules import holding


def test_a_resigned_employees_leads_are_inherited_up_to_the_limit(bound):
    admin = bound
    leaver = factories.employee(admin, name="离职销售")
    heir = factories.employee(admin, name="接手销售")
    held = [services.lead_create(actor=leaver, to_me=True, phone=f"1392222000{i}") for i in range(3)]
    services.lead_set_status(actor=leaver, lead_id=held[0].pk, status="callback")
    services.lead_create(actor=heir, to_me=True, phone="13922220009")
    org_services.employee_resign(actor=admin, employee=leaver)
    assert {e.pk: e.pending_counts for e in inheritance.pending_employees(actor=admin)}[leaver.pk][
        "lead"
    ] == 3

    holding.settings_put(actor=admin, data={"lead": {"default_limit": 2, "rules": []}})
    leads = inheritance.inherit(actor=admin, from_employee_id=leaver.pk, to_employee_id=heir.pk)["lead"]

    assert leads["succeeded"] == [held[0].pk]
    assert [(f["id"], f["code"]) for f in leads["failed"]] == [
        (held[1].pk, "holding_limit_reached"),
        (held[2].pk, "holding_limit_reached"),
    ]
    moved = Lead.objects.get(pk=held[0].pk)
    assert (moved.owner_id, moved.previous_owner_id, moved.status) == (heir.pk, leaver.pk, "callback")
    assert set(Lead.objects.filter(owner=leaver).values_list("pk", flat=True)) == {held[1].pk, held[2].pk}
    flow = LeadFlow.objects.get(lead=moved, kind="inherit")
    assert (flow.from_owner_id, flow.to_owner_id, flow.operator_id) == (leaver.pk, heir.pk, admin.pk)
    assert not LeadFlow.objects.filter(lead_id__in=[held[1].pk, held[2].pk], kind="inherit").exists()
    drawer = logged_in(admin).get(f"/leads/{moved.pk}/").content.decode()
    assert "离职继承给 接手销售" in drawer and "lead.inherit" not in drawer
