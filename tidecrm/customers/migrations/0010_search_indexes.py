"""Indexes for the customer search at a million customers (issue 5, bench/customer_list.py).

Everywhere: contacts by name (the search's exact contact-name match). On PostgreSQL only:
trigram GIN indexes for the contained-text searches (客户名称 ``icontains`` = ``UPPER(name) LIKE``,
a contact's phone by its last digits = ``mobile LIKE``), led by tenant_id through btree_gin like
every other key. Both extensions are "trusted" (PostgreSQL 13+): the database owner may create them.
"""

from django.db import migrations, models

TRIGRAM_INDEXES = (
    (
        "customer_name_trgm",
        "customers_customer",
        "tenant_id, (UPPER(name::text)) gin_trgm_ops",
    ),
    ("contact_mobile_trgm", "customers_contact", "tenant_id, mobile gin_trgm_ops"),
)


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for name, table, columns in TRIGRAM_INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({columns})")


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _columns in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_followup_sales_refs"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["tenant", "name"], name="contact_name"),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
