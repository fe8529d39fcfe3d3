from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from tidecrm.api import api
from tidecrm.core import codes


@csrf_exempt  # like the API itself: a Bearer POST to an unknown path is a JSON 404, not the CSRF page
def api_not_found(request, rest=""):
    """Unknown API paths answer in the API's own error shape, not an HTML page."""
    return JsonResponse(
        {"code": codes.NOT_FOUND, "message": "接口不存在", "details": {}},
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )


urlpatterns = [
    path("api/v1/", api.urls),
    path("api/v1/<path:rest>", api_not_found),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("tidecrm.signin.urls")),
    path("", include("tidecrm.shell.urls")),
    path("", include("tidecrm.core.urls")),
    path("org/", include("tidecrm.org.urls")),
    path("leads/", include("tidecrm.leads.urls")),
    path("customers/", include("tidecrm.customers.urls")),
    path("sales/", include("tidecrm.sales.urls")),
    path("settings/", include("tidecrm.rules.urls")),
]
