from django.urls import path

from . import picker, views

urlpatterns = [
    path("", views.org_index, name="org_index"),
    path("departments/new/", views.department_create, name="org_department_create"),
    path("departments/<int:department_id>/edit/", views.department_edit, name="org_department_edit"),
    path("departments/<int:department_id>/delete/", views.department_delete, name="org_department_delete"),
    path("employees/search/", picker.employee_search, name="org_employee_search"),
    path("employees/new/", views.employee_create, name="org_employee_create"),
    path("employees/bulk/<str:action>/", views.employees_bulk_status, name="org_employees_bulk_status"),
    path("employees/batch/<str:field>/", views.employees_bulk_edit, name="org_employees_bulk_edit"),
    path("employees/<int:employee_id>/", views.employee_drawer, name="org_employee_drawer"),
    path(
        "employees/<int:employee_id>/status/<str:action>/",
        views.employee_status,
        name="org_employee_status",
    ),
    path("employees/<int:employee_id>/edit/<str:field>/", views.employee_edit, name="org_employee_edit"),
    path("roles/", views.role_list, name="org_roles"),
    path("roles/new/", views.role_create, name="org_role_create"),
    path("roles/<int:role_id>/", views.role_edit, name="org_role_edit"),
    path("roles/<int:role_id>/delete/", views.role_delete, name="org_role_delete"),
    path("roles/<int:role_id>/members/", views.role_members, name="org_role_members"),
    path("contacts/", views.address_book, name="org_contacts"),
    path("recycle-bin/", views.recycle_bin, name="org_recycle_bin"),
    path("inheritance/", views.inheritance_list, name="org_inheritance"),
    path("inheritance/inherit/", views.inheritance_inherit, name="org_inherit"),
]
