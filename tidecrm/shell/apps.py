from django.apps import AppConfig


class ShellConfig(AppConfig):
    """The pages around the modules: the workbench (工作台), the settings home, the navigation and
    the component showcase. It sits above the domain apps, so ``core`` needs none of them."""

    name = "tidecrm.shell"
    label = "shell"
    verbose_name = "Shell"
