"""The employee picker's server side (components/employee_picker.html, app.js ``tideEmployeePicker``):
a page shows only the chosen employee(s); typing asks this endpoint for the matches, so no page
renders the whole enterprise (issue 13)."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from tidecrm.core.web import login_required

from . import selectors
from .models import Employee


@login_required
@require_GET
def employee_search(request):
    """Answer ``{"results": [{id, name, department, resigned}]}``: at most 20 employees of the
    caller's enterprise matching ``q`` (name or phone); ``resigned=1`` includes resigned ones."""
    employees = selectors.employee_search(
        actor=request.employee,
        # PostgreSQL text cannot hold NUL (a 500 otherwise); nobody's name contains one.
        q=(request.GET.get("q") or "").replace("\x00", "")[:40],
        include_resigned=request.GET.get("resigned") == "1",
    )
    results = [
        {
            "id": employee.pk,
            "name": employee.name,
            "department": employee.main_department.name if employee.main_department else "",
            "resigned": employee.status == Employee.Status.RESIGNED,
        }
        for employee in employees
    ]
    return JsonResponse({"results": results}, json_dumps_params={"ensure_ascii": False})
