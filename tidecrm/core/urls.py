from django.urls import path

from . import import_views

urlpatterns = [
    path("imports/<str:kind>/new/", import_views.import_modal, name="import_modal"),
    path("imports/<str:kind>/", import_views.import_records, name="import_records"),
    path("imports/<str:kind>/template/", import_views.import_template, name="import_template"),
    path("imports/job/<int:job_id>/", import_views.import_status, name="import_status"),
    path("imports/job/<int:job_id>/failures/", import_views.import_failures, name="import_failures"),
]
