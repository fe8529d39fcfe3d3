"""Seed every existing enterprise's customer defaults (settings row, 默认客户库, progress stages):
they are now created at registration and the reads no longer create them (issue 12)."""

from django.db import migrations

STAGES = ("初步接触", "需求确认", "方案报价", "商务谈判", "已签约")  # Stage.DEFAULTS when written


def seed(apps, schema_editor):
    Tenant = apps.get_model("core", "Tenant")
    CustomerSettings = apps.get_model("customers", "CustomerSettings")
    Library = apps.get_model("customers", "Library")
    Stage = apps.get_model("customers", "Stage")
    for tenant_id in Tenant.objects.values_list("pk", flat=True):
        if not CustomerSettings.objects.filter(tenant_id=tenant_id).exists():
            CustomerSettings.objects.create(tenant_id=tenant_id)
        if not Library.objects.filter(tenant_id=tenant_id, is_default=True).exists():
            Library.objects.create(
                tenant_id=tenant_id, name="默认客户库", is_default=True, duplicate_fields=["customer_name"]
            )
        if not Stage.objects.filter(tenant_id=tenant_id).exists():
            Stage.objects.bulk_create(
                Stage(tenant_id=tenant_id, name=name, position=position, is_terminal=name == STAGES[-1])
                for position, name in enumerate(STAGES)
            )


class Migration(migrations.Migration):
    dependencies = [("customers", "0016_followup_contact_index")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
