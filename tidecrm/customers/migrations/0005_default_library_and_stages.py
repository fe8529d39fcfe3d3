"""Every enterprise gets its default library (the company pool) and the default progress stages;
existing customers move into them. Existing system roles get the new customer permissions."""

from django.db import migrations

STAGES = ("初步接触", "需求确认", "方案报价", "商务谈判", "已签约")
SALES = ["customer.create", "lead.convert", "customer.release", "customer.claim"]
MANAGER = [*SALES, "customer.transfer", "customer.assign", "customer.delete", "customer.export",
           "customer.import", "followup.export"]
GRANTS = {"admin": [*MANAGER, "customer.settings"], "sales": SALES, "sales_manager": MANAGER}


def forwards(apps, schema_editor):
    Tenant = apps.get_model("core", "Tenant")
    Library = apps.get_model("customers", "Library")
    Stage = apps.get_model("customers", "Stage")
    Customer = apps.get_model("customers", "Customer")
    Role = apps.get_model("org", "Role")
    for tenant in Tenant.objects.all():
        library, _created = Library.objects.get_or_create(
            tenant=tenant, is_default=True, defaults={"name": "默认客户库", "duplicate_fields": ["customer_name"]}
        )
        first = None
        for position, name in enumerate(STAGES):
            stage, _created = Stage.objects.get_or_create(
                tenant=tenant, name=name, defaults={"position": position, "is_terminal": name == STAGES[-1]}
            )
            first = first or stage
        Customer.objects.filter(tenant=tenant, library__isnull=True).update(library=library)
        Customer.objects.filter(tenant=tenant, stage__isnull=True).update(stage=first)
    for role in Role.objects.filter(system_key__in=GRANTS):
        role.permissions = sorted(set(role.permissions) | set(GRANTS[role.system_key]))
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_libraries_stages_tags"), ("core", "0004_tenant_hierarchy_visibility"), ("org", "0003_employee_data_scope")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
