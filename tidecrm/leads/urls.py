from django.urls import path

from . import views
from .models import Lead

urlpatterns = [
    path("", views.lead_list, {"state": Lead.State.OWNED}, name="lead_list"),
    path("pending/", views.lead_list, {"state": Lead.State.UNALLOCATED}, name="lead_pending"),
    path("pool/", views.lead_list, {"state": Lead.State.POOL}, name="lead_pool"),
    path("export/", views.lead_export, {"state": Lead.State.OWNED}, name="lead_export"),
    path("pending/export/", views.lead_export, {"state": Lead.State.UNALLOCATED}, name="lead_pending_export"),
    path("pool/export/", views.lead_export, {"state": Lead.State.POOL}, name="lead_pool_export"),
    path("new/", views.lead_create, name="lead_create"),
    path("bulk/<str:action>/", views.lead_bulk, name="lead_bulk"),
    path("<int:lead_id>/", views.lead_drawer, name="lead_drawer"),
    path("<int:lead_id>/convert/", views.lead_convert, name="lead_convert"),
    path("<int:lead_id>/followups/", views.lead_followup, name="lead_followup"),
    path("<int:lead_id>/<str:action>/", views.lead_action, name="lead_action"),
    path("settings/", views.lead_settings, name="lead_settings"),
]
