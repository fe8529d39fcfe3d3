"""How gunicorn serves Tide CRM: read by ``bin/serve`` (``make run``) and by ``make bench``
(bench/over_http.py), so the benchmark measures the server the product ships with.

gunicorn reads this file from the working directory; the environment can override each value
(``WEB_WORKERS``, ``WEB_THREADS``, ``WEB_KEEPALIVE``). The worker model is chosen by measurement
(docs/decisions.md, "How the web server runs").
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = int(os.environ.get("WEB_KEEPALIVE", "2"))
