from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tidecrm.accounts"
    label = "accounts"
    verbose_name = "Accounts"
