from django.urls import path

from . import io_views, views

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("v/<str:view>/", views.customer_list, name="customer_view"),
    path("new/", views.customer_create, name="customer_create"),
    path("bulk/<str:action>/", views.customer_bulk, name="customer_bulk"),
    path("views/save/", views.view_save, name="customer_view_save"),
    path("views/<int:view_id>/", views.view_open, name="customer_view_open"),
    path("views/<int:view_id>/delete/", views.view_delete, name="customer_view_delete"),
    path("export/", io_views.customer_export_page, name="customer_export"),
    path("followups/", views.followup_list, name="followup_list"),
    path("followups/export/", views.followup_export, name="followup_export"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="followup_attachment"),
    path("settings/", views.customer_settings, name="customer_settings"),
    path("settings/<str:tab>/", views.customer_settings, name="customer_settings_tab"),
    path("<int:customer_id>/", views.customer_page, name="customer_page"),
    path("<int:customer_id>/drawer/", views.customer_drawer, name="customer_drawer"),
    path("<int:customer_id>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:customer_id>/followups/", views.customer_followup, name="customer_followup"),
    path("<int:customer_id>/tags/", views.customer_tags, name="customer_tags"),
    path("<int:customer_id>/collaborators/", views.collaborator_add, name="customer_collaborator_add"),
    path(
        "<int:customer_id>/collaborators/<int:employee_id>/remove/",
        views.collaborator_remove,
        name="customer_collaborator_remove",
    ),
    path("<int:customer_id>/contacts/new/", views.contact_form, name="customer_contact_add"),
    path("<int:customer_id>/contacts/<int:contact_id>/", views.contact_form, name="customer_contact_edit"),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/delete/",
        views.contact_delete,
        name="customer_contact_delete",
    ),
    path("<int:customer_id>/move/<str:action>/", views.customer_move, name="customer_move"),
    path("<int:customer_id>/<str:action>/", views.customer_action, name="customer_action"),
]
