from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("login/code/", views.send_code, name="send_code"),
    path("register/", views.register_page, name="register"),
    path("forgot-password/", views.forgot_password_page, name="forgot_password"),
    path("logout/", views.logout_view, name="logout"),
    path("switch/<int:enterprise_id>/", views.switch_enterprise, name="switch_enterprise"),
    path("me/", views.account_page, name="account"),
    path("settings/sudo/", views.sudo_page, name="sudo"),
    path("settings/security-log/", views.security_log_page, name="security_log"),
]
