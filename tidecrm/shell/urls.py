from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("settings/", views.settings_home, name="settings_home"),
    path("dev/components/", views.components_demo, name="components_demo"),
]
