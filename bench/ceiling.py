"""The machine's ceiling for an endpoint of Tide CRM: a bare Django view that runs one indexed
``SELECT ... LIMIT 20`` on the benchmark's customers and answers JSON, with no middleware, no
authentication and no serialisation layer. ``bench/over_http.py`` serves it with the product's
gunicorn settings (gunicorn.conf.py) against the same database in the same run, so every case's
req/s can be read as a ratio to what this machine can do at all.

    DATABASE_URL=postgres://... CEILING_TENANT=1 .venv/bin/gunicorn --pythonpath bench ceiling:application
"""

import os

import dj_database_url
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="ceiling-only",  # noqa: S106 - no session, no signing: a placeholder
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
    DATABASES={"default": dj_database_url.config(conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")))},
)

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after settings.configure
from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

TENANT = int(os.environ.get("CEILING_TENANT", "1"))


def customers(request):
    """Page 1 of the newest owned customers (the customer_state_recent index), as JSON."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, name, owner_id, created_at FROM customers_customer "
            "WHERE tenant_id = %s AND state = 'owned' ORDER BY created_at DESC, id DESC LIMIT 20",
            [TENANT],
        )
        rows = cursor.fetchall()
    items = [{"id": r[0], "name": r[1], "owner_id": r[2], "created_at": r[3].isoformat()} for r in rows]
    return JsonResponse({"items": items, "page": 1, "page_size": 20})


urlpatterns = [path("ceiling", customers)]
application = get_wsgi_application()
