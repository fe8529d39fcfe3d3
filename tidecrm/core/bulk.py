"""Bulk actions the API.md way: every record succeeds or fails on its own."""

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypedDict

from django.db import models, transaction

from .errors import BusinessError


class Failure(TypedDict):
    id: Any
    code: str
    message: str


class BulkResult(TypedDict):
    """The answer of a bulk action: the ids that succeeded, and each failure with its reason."""

    succeeded: list[Any]
    failed: list[Failure]


def each_independently(ids: Iterable[Hashable], apply: Callable[[Any], object]) -> BulkResult:
    """Run ``apply(id)`` for every id in its own savepoint; return ``{succeeded, failed}``.

    One refusal never undoes or blocks the others, and leaves nothing half-done of its own.
    """
    succeeded: list[Any] = []
    failed: list[Failure] = []
    for record_id in dict.fromkeys(ids):
        try:
            with transaction.atomic():
                apply(record_id)
        except BusinessError as error:
            failed.append({"id": record_id, "code": error.code, "message": error.message})
        else:
            succeeded.append(record_id)
    return {"succeeded": succeeded, "failed": failed}


def fast_insert(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, batch_size: int = 1000
) -> list[int]:
    """Insert ``rows`` (dicts of field attname → value) with multi-row INSERT ... RETURNING id.

    For imports of 100,000 rows: building model instances and Django's bulk_create spend most of
    the time per value; here missing fields take their model default (computed once per call)
    and each column's converter is chosen once. Only plain fields are supported (text, numbers,
    booleans, dates, JSON, foreign-key ids). Returns the new primary keys in order.
    """
    import json

    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    defaults = {f.attname: f.get_default() for f in fields}
    converters: list[Callable[[Any], Any] | None] = []
    for field in fields:
        if isinstance(field, models.JSONField):
            converters.append(lambda value: None if value is None else json.dumps(value, ensure_ascii=False))
        elif isinstance(field, models.DateTimeField):
            converters.append(connection.ops.adapt_datetimefield_value)
        else:
            converters.append(None)
    if connection.vendor == "postgresql":
        return _copy_insert(model, fields, defaults, rows)
    plan = list(zip([f.attname for f in fields], converters, strict=True))
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    row_placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = connection.ops.quote_name(model._meta.db_table)
    ids: list[int] = []
    # The last value converted per column: a chunk's shared timestamp or tag list is converted
    # once, not once per row (same object → same result).
    last: list[tuple[Any, Any]] = [(None, None)] * len(plan)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            params: list[Any] = []
            for row in batch:
                for position, (attname, convert) in enumerate(plan):
                    value = row[attname] if attname in row else defaults[attname]
                    if convert and value is not None:
                        seen, converted = last[position]
                        if seen is not value:
                            converted = convert(value)
                            last[position] = (value, converted)
                        value = converted
                    params.append(value)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_placeholder] * len(batch))} RETURNING id",
                params,
            )
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def _copy_insert(
    model: type[models.Model],
    fields: Sequence[Any],
    defaults: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
) -> list[int]:
    """PostgreSQL: take ids from the table's sequence, then stream the rows with COPY."""
    import json

    from django.db import connection

    if not rows:
        return []
    table = model._meta.db_table
    json_columns = {f.attname for f in fields if isinstance(f, models.JSONField)}
    attnames = [f.attname for f in fields]
    # COPY goes to psycopg directly: wrap its errors as Django's (IntegrityError for a duplicate).
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(table)} (id, {columns}) FROM STDIN"
        ) as copy:
            for pk, row in zip(ids, rows, strict=True):
                values = [pk]
                for attname in attnames:
                    value = row[attname] if attname in row else defaults[attname]
                    if attname in json_columns and value is not None:
                        value = json.dumps(value, ensure_ascii=False)
                    values.append(value)
                copy.write_row(values)
    return ids
