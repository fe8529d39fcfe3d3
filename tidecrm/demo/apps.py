from django.apps import AppConfig


class DemoConfig(AppConfig):
    """``manage.py load_demo``: the demo enterprise of ``make run``. It uses every module's
    services, so it sits at the top of the dependency graph, above every domain app."""

    name = "tidecrm.demo"
    label = "demo"
    verbose_name = "Demo"
