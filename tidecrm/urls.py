from django.urls import include, path
from django.views.i18n import set_language

from tidecrm.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("tidecrm.accounts.urls")),
    path("", include("tidecrm.core.urls")),
    path("org/", include("tidecrm.org.urls")),
]
