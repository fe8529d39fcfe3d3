from django.urls import path

from . import views

urlpatterns = [
    path("opportunities/", views.opportunity_list, name="opportunity_list"),
    path("opportunities/board/", views.opportunity_board, name="opportunity_board"),
    path("opportunities/new/", views.opportunity_create, name="opportunity_create"),
    path("opportunities/<int:opportunity_id>/drawer/", views.opportunity_drawer, name="opportunity_drawer"),
    path("opportunities/<int:opportunity_id>/edit/", views.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:opportunity_id>/lose/", views.opportunity_lose, name="opportunity_lose"),
    path("opportunities/<int:opportunity_id>/stage/", views.opportunity_move, name="opportunity_move"),
    path(
        "opportunities/<int:opportunity_id>/followups/",
        views.opportunity_followup,
        name="opportunity_followup",
    ),
    path(
        "opportunities/<int:opportunity_id>/<str:action>/",
        views.opportunity_action,
        name="opportunity_action",
    ),
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_form, name="product_create"),
    path("products/<int:product_id>/edit/", views.product_form, name="product_edit"),
    path("products/<int:product_id>/toggle/", views.product_toggle, name="product_toggle"),
    path("products/categories/new/", views.category_create, name="product_category_create"),
    path(
        "products/categories/<int:category_id>/delete/",
        views.category_delete,
        name="product_category_delete",
    ),
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/new/", views.contract_create, name="contract_create"),
    path(
        "contracts/opportunity-options/",
        views.contract_opportunity_options,
        name="contract_opportunity_options",
    ),
    path("contracts/<int:contract_id>/", views.contract_page, name="contract_page"),
    path("contracts/<int:contract_id>/drawer/", views.contract_drawer, name="contract_drawer"),
    path("contracts/<int:contract_id>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<int:contract_id>/plans/new/", views.plan_create, name="contract_plan_create"),
    path("contracts/<int:contract_id>/payments/new/", views.payment_create, name="contract_payment_create"),
    path("contracts/<int:contract_id>/invoices/new/", views.invoice_create, name="contract_invoice_create"),
    path("contracts/<int:contract_id>/<str:action>/", views.contract_action, name="contract_action"),
    path("approvals/", views.approval_list, name="sales_approvals"),
    path("approvals/<int:request_id>/decide/", views.approval_decide, name="sales_approval_decide"),
    path("settings/stages/", views.stage_settings, name="sales_stage_settings"),
    path("settings/contracts/", views.contract_settings, name="contract_settings"),
]
