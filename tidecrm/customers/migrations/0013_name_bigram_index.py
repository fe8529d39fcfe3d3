"""Two-character name searches at a million customers (issue 5, bench/customer_list.py).

Trigrams need three characters. A two-character search (武汉, 瑞丰, a person's name) otherwise
tests rows in list order until a page is full: quick for a common pair, a read of the whole
enterprise for a rare one, and no estimate for the planner to choose between the two.

On PostgreSQL only: ``customer_bigrams(text)`` lists a text's distinct two-character pieces and
the stored, generated column ``name_bigrams`` keeps them for UPPER(name), with a GIN index led by
tenant_id. ``name_bigrams @> ARRAY['武汉']`` is then exactly "the name contains 武汉 (any case)",
cheap to test on a row, indexed for rare pairs, and estimated from the column's statistics (the
most common pairs), so the planner walks the newest-first index for 武汉 and reads the index for
瑞丰. The column is not a model field: the ORM never writes it (PostgreSQL computes it) and only
customers.selectors._short_name_q reads it. The ADD COLUMN rewrites the table once (~30 s per
million customers).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION customer_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(value, i, 2)), '{}')
    FROM generate_series(1, char_length(value) - 1) AS i
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute(FUNCTION)
    schema_editor.execute(
        "ALTER TABLE customers_customer ADD COLUMN IF NOT EXISTS name_bigrams text[] "
        "GENERATED ALWAYS AS (customer_bigrams(UPPER(name::text))) STORED"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS customer_name_bigram ON customers_customer USING gin (tenant_id, name_bigrams)"
    )
    schema_editor.execute("ANALYZE customers_customer")  # the pairs' frequencies, for the planner


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS customer_name_bigram")
    schema_editor.execute("ALTER TABLE customers_customer DROP COLUMN IF EXISTS name_bigrams")
    schema_editor.execute("DROP FUNCTION IF EXISTS customer_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_list_covering_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
