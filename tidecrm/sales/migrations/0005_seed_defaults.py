"""Seed every existing enterprise's sales defaults (opportunity stages, the settings row): they
are now created at registration and the reads no longer create them (issue 12)."""

from django.db import migrations

STAGES = (("初步沟通", 10), ("需求确定", 30), ("方案/报价", 50), ("谈判审核", 70), ("成交", 100))


def seed(apps, schema_editor):
    Tenant = apps.get_model("core", "Tenant")
    OpportunityStage = apps.get_model("sales", "OpportunityStage")
    ContractSettings = apps.get_model("sales", "ContractSettings")
    for tenant_id in Tenant.objects.values_list("pk", flat=True):
        if not OpportunityStage.objects.filter(tenant_id=tenant_id).exists():
            OpportunityStage.objects.bulk_create(
                OpportunityStage(
                    tenant_id=tenant_id, name=name, position=position, win_probability=probability
                )
                for position, (name, probability) in enumerate(STAGES)
            )
        if not ContractSettings.objects.filter(tenant_id=tenant_id).exists():
            ContractSettings.objects.create(tenant_id=tenant_id)


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_order_list_indexes")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
