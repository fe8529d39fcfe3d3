"""Tenancy in the database itself (DESIGN: "tenant_id leads every key").

Every table of a :class:`~tidecrm.core.models.TenantModel` has a NOT NULL ``tenant_id`` that
references the enterprise, and every index and unique constraint except the primary key starts
with ``tenant_id`` (lookups and uniqueness are per enterprise; a later move to partitioning or
row-level security needs it). Tables of the global models (enterprises, identities, codes,
throttles, trusted IPs, the SMS outbox, Django's own) carry no ``tenant_id`` at all.

The catalogue version reads PostgreSQL's ``pg_index`` / ``pg_constraint`` directly; the
introspection version runs on every database through Django's introspection.
"""

import pytest
from django.apps import apps
from django.db import connection

from tidecrm.core.models import TenantModel

GLOBAL_TABLES_EXPECTED = {
    "core_tenant",
    "accounts_account",
    "accounts_membership",
    "accounts_verificationcode",
    "accounts_loginlock",
    "accounts_trustedip",
    "integrations_sandboxsms",
    "django_session",
    "django_content_type",
}


def _tenant_tables():
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantModel) and model._meta.managed and not model._meta.proxy
    )


def _global_tables():
    return sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if not issubclass(model, TenantModel) and model._meta.managed and not model._meta.proxy
    )


def _require_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("reads the PostgreSQL catalogue (run under scripts/with-postgres)")


def test_the_model_lists_are_what_we_think(db):
    tenant_tables = _tenant_tables()
    global_tables = set(_global_tables())

    assert {
        "org_employee",
        "org_department",
        "org_role",
        "accounts_apitoken",
        "accounts_securityevent",
    } <= set(tenant_tables)
    assert GLOBAL_TABLES_EXPECTED <= global_tables
    assert not set(tenant_tables) & global_tables


def test_many_to_many_between_tenant_models_goes_through_a_tenant_model():
    # An auto-created join table would have no tenant_id (and escape every rule here).
    offenders = [
        f"{model._meta.label}.{field.name} → {field.remote_field.through._meta.label}"
        for model in apps.get_models()
        if issubclass(model, TenantModel)
        for field in model._meta.local_many_to_many
        if not issubclass(field.remote_field.through, TenantModel)
    ]

    assert offenders == []


# ---------------------------------------------------------------- PostgreSQL catalogue

_PG_TENANT_COLUMN = """
    SELECT a.attnotnull
    FROM pg_attribute a
    JOIN pg_class t ON t.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = current_schema() AND t.relname = %s AND a.attname = 'tenant_id' AND NOT a.attisdropped
"""

_PG_TENANT_FOREIGN_KEY = """
    SELECT ref.relname
    FROM pg_constraint con
    JOIN pg_class t ON t.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_class ref ON ref.oid = con.confrelid
    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
    WHERE n.nspname = current_schema() AND t.relname = %s AND con.contype = 'f'
      AND a.attname = 'tenant_id' AND array_length(con.conkey, 1) = 1
"""

_PG_INDEXES = """
    SELECT i.relname, ix.indisprimary, first_column.attname, pg_get_indexdef(ix.indexrelid)
    FROM pg_index ix
    JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_class i ON i.oid = ix.indexrelid
    LEFT JOIN pg_attribute first_column
      ON first_column.attrelid = t.oid AND first_column.attnum = ix.indkey[0]
    WHERE n.nspname = current_schema() AND t.relname = %s
    ORDER BY i.relname
"""

_PG_KEY_CONSTRAINTS = """
    SELECT con.conname, con.contype, first_column.attname, pg_get_constraintdef(con.oid)
    FROM pg_constraint con
    JOIN pg_class t ON t.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    LEFT JOIN pg_attribute first_column
      ON first_column.attrelid = con.conrelid AND first_column.attnum = con.conkey[1]
    WHERE n.nspname = current_schema() AND t.relname = %s AND con.contype IN ('u', 'x', 'p')
    ORDER BY con.conname
"""

_PG_COLUMNS = """
    SELECT a.attname
    FROM pg_attribute a
    JOIN pg_class t ON t.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = current_schema() AND t.relname = %s AND a.attnum > 0 AND NOT a.attisdropped
"""


@pytest.mark.postgres
def test_postgresql_tenant_tables_lead_every_key_with_tenant_id(db):
    _require_postgresql()
    problems = []
    with connection.cursor() as cursor:
        for table in _tenant_tables():
            cursor.execute(_PG_TENANT_COLUMN, [table])
            row = cursor.fetchone()
            if row is None:
                problems.append(f"{table}: no tenant_id column")
                continue
            if not row[0]:
                problems.append(f"{table}.tenant_id is nullable")
            cursor.execute(_PG_TENANT_FOREIGN_KEY, [table])
            if [referenced for (referenced,) in cursor.fetchall()] != ["core_tenant"]:
                problems.append(f"{table}.tenant_id has no foreign key to core_tenant")
            cursor.execute(_PG_INDEXES, [table])
            for name, is_primary, first_column, definition in cursor.fetchall():
                if not is_primary and first_column != "tenant_id":
                    problems.append(f"{table}: index {name} does not start with tenant_id: {definition}")
            cursor.execute(_PG_KEY_CONSTRAINTS, [table])
            for name, kind, first_column, definition in cursor.fetchall():
                if kind != "p" and first_column != "tenant_id":
                    problems.append(f"{table}: constraint {name} does not start with tenant_id: {definition}")

    assert problems == []


@pytest.mark.postgres
def test_postgresql_global_tables_have_no_tenant_id(db):
    _require_postgresql()
    offenders = []
    with connection.cursor() as cursor:
        for table in _global_tables():
            cursor.execute(_PG_COLUMNS, [table])
            columns = {name for (name,) in cursor.fetchall()}
            assert columns, f"{table} is not in the database"
            if "tenant_id" in columns:
                offenders.append(table)

    assert offenders == []


@pytest.mark.postgres
def test_postgresql_every_index_was_checked(db):
    """Every table with an index is one of ours: no index escapes the two lists above."""
    _require_postgresql()
    known = set(_tenant_tables()) | set(_global_tables())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT t.relname
            FROM pg_index ix
            JOIN pg_class t ON t.oid = ix.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema()
            """
        )
        tables = {name for (name,) in cursor.fetchall()}

    assert tables - known <= {"django_migrations"}


# ---------------------------------------------------------------- Django introspection (every database)


def _keys(cursor, table):
    """Yield (name, columns) of every index and unique constraint of ``table`` but the primary key."""
    for name, info in connection.introspection.get_constraints(cursor, table).items():
        if info["primary_key"]:
            continue
        if info["index"] or info["unique"]:
            yield name, info["columns"]


def test_tenant_tables_lead_every_key_with_tenant_id(db):
    problems = []
    with connection.cursor() as cursor:
        for table in _tenant_tables():
            description = {
                column.name: column
                for column in connection.introspection.get_table_description(cursor, table)
            }
            if "tenant_id" not in description:
                problems.append(f"{table}: no tenant_id column")
                continue
            if description["tenant_id"].null_ok:
                problems.append(f"{table}.tenant_id is nullable")
            for name, columns in _keys(cursor, table):
                if not columns or columns[0] != "tenant_id":
                    problems.append(
                        f"{table}: index/unique {name} on {columns} does not start with tenant_id"
                    )

    assert problems == []


def test_global_tables_have_no_tenant_id(db):
    offenders = []
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for table in _global_tables():
            assert table in existing, f"{table} is not in the database"
            columns = {
                column.name for column in connection.introspection.get_table_description(cursor, table)
            }
            if "tenant_id" in columns:
                offenders.append(table)

    assert offenders == []


def test_tenant_models_declare_tenant_first_in_their_keys():
    """The same rule on the models, so a migration that breaks it fails before it reaches a DB."""
    problems = []
    for model in apps.get_models():
        if not issubclass(model, TenantModel):
            continue
        for index in model._meta.indexes:
            if not index.fields or index.fields[0].lstrip("-") != "tenant":
                problems.append(f"{model._meta.label}: index {index.name} {index.fields}")
        for constraint in model._meta.constraints:
            fields = getattr(constraint, "fields", None)
            if fields is not None and (not fields or fields[0] != "tenant"):
                problems.append(f"{model._meta.label}: constraint {constraint.name} {fields}")
        for field in model._meta.local_fields:
            if field.name == "tenant":
                continue
            if field.unique and not field.primary_key:
                problems.append(f"{model._meta.label}.{field.name} is unique on its own")
            if field.db_index and field.is_relation:
                problems.append(f"{model._meta.label}.{field.name} has its own index (use db_index=False)")
            elif field.db_index:
                problems.append(f"{model._meta.label}.{field.name} has db_index=True")
        if model._meta.unique_together:
            for fields in model._meta.unique_together:
                if fields[0] != "tenant":
                    problems.append(f"{model._meta.label}: unique_together {fields}")

    assert problems == []


def test_a_tenant_key_without_its_own_index_has_a_composite_one():
    """unindexed_tenant_key() drops the single-column tenant index only where another index
    starts with tenant_id: every tenant-scoped query still finds an index."""
    unindexed = [
        model
        for model in apps.get_models()
        if issubclass(model, TenantModel) and not model._meta.get_field("tenant").db_index
    ]
    assert {m._meta.label for m in unindexed} >= {"leads.Lead", "leads.LeadFlow", "customers.Customer"}
    for model in unindexed:
        keys = [index.fields for index in model._meta.indexes] + [
            getattr(constraint, "fields", ()) for constraint in model._meta.constraints
        ]
        assert any(fields and fields[0] == "tenant" for fields in keys), model._meta.label
