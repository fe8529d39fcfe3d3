from django.urls import path

from . import views

urlpatterns = [path("holding-limits/", views.holding_limits, name="holding_limits")]
