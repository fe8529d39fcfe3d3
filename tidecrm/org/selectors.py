"""Reads for the organisation (tenant-scoped through the managers)."""

from django.db.models import Prefetch

from tidecrm.core.errors import NotFound

from .models import Department, Employee, EmployeeDepartment, EmployeeRole


def employee_list(*, actor, status=None, department_id=None, q=None):
    """Return employees of the enterprise (the address book is visible to everyone, ORG-16)."""
    employees = Employee.objects.filter(deleted_at__isnull=True).select_related(
        "main_department", "supervisor"
    )
    if status:
        employees = employees.filter(status=status)
    if department_id:
        department = department_get(actor=actor, department_id=department_id)
        employees = employees.filter(
            department_links__department__path__startswith=department.path
        ).distinct()
    if q:
        from django.db.models import Q

        employees = employees.filter(Q(name__icontains=q) | Q(phone__contains=q) | Q(title__icontains=q))
    return employees.prefetch_related(
        Prefetch("role_links", queryset=EmployeeRole.objects.select_related("role")),
        Prefetch("department_links", queryset=EmployeeDepartment.objects.select_related("department")),
    ).order_by("id")


def employee_get(*, actor, employee_id):
    employee = employee_list(actor=actor).filter(pk=employee_id).first()
    if employee is None:
        raise NotFound()
    return employee


def department_list(*, actor):
    return Department.objects.all().order_by("path")


def department_get(*, actor, department_id):
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise NotFound()
    return department
