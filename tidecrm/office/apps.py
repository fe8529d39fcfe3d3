from django.apps import AppConfig


class OfficeConfig(AppConfig):
    name = "tidecrm.office"
    label = "office"
    verbose_name = "Office"
