"""Resignation inheritance of customers (INH-01..03): counted, moved, holding limit per record."""

from tests import factories
from tidecrm.customers import config, services
from tidecrm.customers.models import Customer, CustomerFlow
from tidecrm.org import inheritance
from tidecrm.org import services as org_services
from tidecrm.rules import holding


def _create(actor, name, mobile, **values):
    return services.customer_create(
        actor=actor, name=name, contacts=[{"name": "张三", "mobile": mobile}], **values
    )


def test_a_resigned_employees_customers_are_counted_and_inherited_up_to_the_limit(bound):
    admin = bound
    config.default_library(), config.stages()
    leaver = factories.employee(admin, name="离职销售")
    heir = factories.employee(admin, name="接手销售")
    held = [_create(leaver, f"{i}号公司", f"1391111000{i}") for i in range(4)]
    terminal = config.stages()[-1]
    services.customer_update(actor=leaver, customer_id=held[3].pk, stage_id=terminal.pk)  # does not count
    pooled = _create(admin, "公海公司", "13911110009", to_pool=True)
    _create(heir, "已有公司", "13911110010")
    org_services.employee_resign(actor=admin, employee=leaver)

    pending = {e.pk: e.pending_counts for e in inheritance.pending_employees(actor=admin)}
    assert pending[leaver.pk]["customer"] == 4

    holding.settings_put(actor=admin, data={"customer": {"default_limit": 2, "rules": []}})
    results = inheritance.inherit(actor=admin, from_employee_id=leaver.pk, to_employee_id=heir.pk)
    customers = results["customer"]
    # The heir holds 1 of 2: one counted customer fits, the terminal-stage one always does.
    assert customers["succeeded"] == [held[0].pk, held[3].pk]
    assert [(f["id"], f["code"]) for f in customers["failed"]] == [
        (held[1].pk, "holding_limit_reached"),
        (held[2].pk, "holding_limit_reached"),
    ]
    assert set(Customer.objects.filter(owner=leaver).values_list("pk", flat=True)) == {held[1].pk, held[2].pk}
    assert not CustomerFlow.objects.filter(customer__in=[held[1], held[2]], kind="inherit").exists()
    flow = CustomerFlow.objects.get(customer=held[0], kind="inherit")
    assert (flow.from_owner_id, flow.to_owner_id, flow.operator_id) == (leaver.pk, heir.pk, admin.pk)
    assert holding.usage(heir, "customer") == (2, 2)
    pending = {e.pk: e.pending_counts for e in inheritance.pending_employees(actor=admin)}
    assert pending[leaver.pk]["customer"] == 2

    # With room again, the selected rest moves; a pool customer is not the leaver's to give.
    holding.settings_put(actor=admin, data={"customer": {"default_limit": None, "rules": []}})
    results = inheritance.inherit(
        actor=admin,
        from_employee_id=leaver.pk,
        to_employee_id=heir.pk,
        ids_by_kind={"customer": [held[1].pk, pooled.pk]},
    )
    assert results["customer"] == {"succeeded": [held[1].pk], "failed": []}
    assert Customer.objects.get(pk=pooled.pk).state == "pool"
    assert Customer.objects.get(pk=held[1].pk).previous_owner_id == leaver.pk
