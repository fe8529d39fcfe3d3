"""``__any``: list membership as one array parameter on PostgreSQL, IN (...) on SQLite."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tidecrm.core.tenancy import tenant_context
from tidecrm.org.models import Employee


def test_any_matches_like_in_and_sends_one_parameter(enterprise):
    admin = enterprise
    with tenant_context(admin.tenant):
        others = [factories.employee(admin, name=f"员工{i}") for i in range(3)]
        wanted = [admin.pk, others[1].pk, 10**9]
        with CaptureQueriesContext(connection) as queries:
            found = sorted(Employee.objects.filter(pk__any=wanted).values_list("pk", flat=True))
        assert found == sorted(Employee.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        assert found == sorted([admin.pk, others[1].pk])
        if connection.vendor == "postgresql":
            assert "= ANY(" in queries[0]["sql"]
        # Foreign keys too, and an empty list matches nothing without a query.
        assert list(Employee.objects.filter(main_department_id__any=[])) == []
        assert Employee.objects.exclude(pk__any=[admin.pk]).count() == 3
