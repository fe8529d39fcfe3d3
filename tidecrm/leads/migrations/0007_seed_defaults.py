"""Seed every existing enterprise's lead-pool settings row: it is now created at registration
and the reads no longer create it (issue 12)."""

from django.db import migrations


def seed(apps, schema_editor):
    Tenant = apps.get_model("core", "Tenant")
    LeadSettings = apps.get_model("leads", "LeadSettings")
    for tenant_id in Tenant.objects.values_list("pk", flat=True):
        if not LeadSettings.objects.filter(tenant_id=tenant_id).exists():
            LeadSettings.objects.create(tenant_id=tenant_id)


class Migration(migrations.Migration):
    dependencies = [("leads", "0006_tenant_key_unindexed")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
