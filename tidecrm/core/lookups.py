"""``field__any=[...]``: membership in a long list of values, sent as one array parameter.

``__in`` with a few hundred ids (a manager's data scope) writes one placeholder per id: Django
builds and psycopg parses a query of several kilobytes on every request, and PostgreSQL plans it
afresh. ``= ANY(%s)`` sends the list as one array and plans the same way (the index condition of
the owner indexes). SQLite has no arrays and gets the plain ``IN (...)``.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            # Cast to the column's type: psycopg sends small integers as int2[], and a cross-type
            # array comparison makes the index scan several times slower.
            return f"{lhs} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", (*lhs_params, values)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # foreign keys only look up their own class_lookups
