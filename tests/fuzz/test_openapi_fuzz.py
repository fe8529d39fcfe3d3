"""Issue 12: no input to any operation of the OpenAPI document makes the API answer 5xx.

A bounded, deterministic schemathesis run over ``/api/v1/openapi.json`` loaded from the app in
process (WSGI, no network): every operation gets a fixed number of generated cases, positive
(valid for the schema) and negative (invalid on purpose), sent with a Bearer token of a seeded
enterprise's super admin (the demo's 张总, beside another enterprise; in positive cases half the
integer path ids are drawn from the seeded range so operations get past their 404). Only
``not_a_server_error`` is checked; a failure lists each operation with the case (as curl) and
the last line of the server's traceback.

Hypothesis is derandomized, keeps no example database and does not shrink, so the run takes the
same path and the same time every time (about a minute here: 165 operations, 3,300 cases). Uploads
go to a temporary MEDIA_ROOT and Hypothesis' caches to a temporary directory. SQLite only
(``make test-pg`` deselects the ``fuzz`` marker).
"""

import time
import traceback
from collections import Counter
from io import StringIO

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, configuration, given, strategies
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from tests import factories
from tidecrm.accounts.models import Account, Membership
from tidecrm.core.models import Tenant
from tidecrm.core.tenancy import tenant_context
from tidecrm.demo.management.commands.load_demo import ADMIN_PHONE
from tidecrm.org.models import Employee

pytestmark = pytest.mark.fuzz

BASE = "/api/v1"
# Demo ids run from 1 to about this (employees, leads, customers, opportunities, ...).
SEEDED_IDS = 30
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 12, schemathesis.GenerationMode.NEGATIVE: 8}
FUZZ_SETTINGS = hypothesis_settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


class InProcessApp:
    """Django's WSGI handler, as the test client runs it: inside the test's transaction.

    The handler closes "old" connections when a request starts and finishes, which inside the
    test's atomic block would drop the connection and its data; the test client turns that off
    the same way. The last uncaught exception of a request is kept for the report.
    """

    def __init__(self):
        self.handler = WSGIHandler()
        self.exception = None

    def __call__(self, environ, start_response):
        self.exception = None
        return self.handler(environ, start_response)

    def record(self, sender, request=None, **kwargs):
        self.exception = traceback.format_exc()

    def __enter__(self):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        got_request_exception.connect(self.record)
        return self

    def __exit__(self, *exc_info):
        got_request_exception.disconnect(self.record)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _traceback_line(text):
    """The innermost project frame and the exception of a formatted traceback."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    frames = [line for line in lines if line.startswith('File "') and "/tidecrm/" in line]
    return " | ".join(part for part in (frames[-1] if frames else "", lines[-1] if lines else "") if part)


@pytest.fixture
def demo_owner(db, other_enterprise):
    """The super admin (张总) of the demo enterprise, loaded beside another enterprise: ids of
    real records, of both tenants, are there to be found."""
    call_command("load_demo", stdout=StringIO())
    account = Account.objects.get(phone=ADMIN_PHONE)
    membership = Membership.objects.get(account=account)
    with tenant_context(Tenant.objects.get(pk=membership.enterprise_id)):
        return Employee.objects.get(account=account)


@pytest.fixture
def hypothesis_home(tmp_path):
    """Hypothesis keeps its caches (constants, unicode tables) under the temporary directory."""
    configuration.set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    configuration.set_hypothesis_home_dir(None)


def _integer_path_parameters(operation):
    return [
        parameter.name
        for parameter in operation.iter_parameters()
        if parameter.location.value == "path"
        and parameter.definition.get("schema", {}).get("type") == "integer"
    ]


def test_no_operation_answers_5xx(demo_owner, hypothesis_home, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    figures = {"operations": 0, "cases": 0}
    statuses = Counter()
    failures = {}  # (operation, status, traceback line) -> the first case, as curl
    started = time.monotonic()
    with InProcessApp() as app:
        schema = schemathesis.openapi.from_wsgi(f"{BASE}/openapi.json", app)
        token = {"raw": factories.token_for(demo_owner)}

        def runner(operation, mode, examples):
            """The bounded hypothesis run of one operation in one generation mode."""
            id_names = _integer_path_parameters(operation)

            @hypothesis_settings(FUZZ_SETTINGS, max_examples=examples)
            @given(case=operation.as_strategy(generation_mode=mode), data=strategies.data())
            def run(case, data):
                if mode is schemathesis.GenerationMode.POSITIVE:
                    # Half the ids are ones the demo has, so the operation gets past its 404.
                    for name in id_names:
                        if data.draw(strategies.booleans()):
                            case.path_parameters[name] = data.draw(strategies.integers(1, SEEDED_IDS))
                figures["cases"] += 1
                response = case.call(app=app, headers={"Authorization": f"Bearer {token['raw']}"})
                statuses[response.status_code // 100 * 100] += 1
                if response.status_code == 401 and "Authorization" in response.request.headers:
                    # A case revoked the token (a password change, a token delete): take a new one.
                    token["raw"] = factories.token_for(demo_owner)
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except FailureGroup:
                    key = (operation.label, response.status_code, _traceback_line(app.exception))
                    failures.setdefault(key, case.as_curl_command())

            return run

        for result in schema.get_all_operations():
            operation = result.ok()
            figures["operations"] += 1
            for mode, examples in EXAMPLES.items():
                runner(operation, mode, examples)()

    summary = (
        f"schemathesis: {figures['operations']} operations, {figures['cases']} cases, "
        f"{len(failures)} server errors in {time.monotonic() - started:.0f}s; "
        f"answers {dict(sorted(statuses.items()))}"
    )
    print(f"\n{summary}")
    assert not failures, "\n\n".join(
        [summary]
        + [f"{label} -> {status}\n  {line}\n  {curl}" for (label, status, line), curl in failures.items()]
    )
