"""Log lines at the boundaries (issue 12, item 6): each names its tenant and employee, none a secret.

Every test reads the records through the console handler's filter (``core.logs.ContextFilter``,
attached to caplog's handler here as settings.LOGGING attaches it to the console).
"""

import logging

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories
from tests.accounts.conftest import IpClient, Outbox
from tests.conftest import PASSWORD
from tests.core.test_imports import xlsx
from tidecrm.core import hooks, imports, logs
from tidecrm.core.tenancy import employee_context, tenant_context
from tidecrm.integrations import sms
from tidecrm.rules import engine

EMPLOYEE_HEADERS = ["员工姓名", "手机", "职位", "部门", "角色", "初始密码"]


@pytest.fixture
def client_from():
    return IpClient


@pytest.fixture
def outbox(db, django_capture_on_commit_callbacks):
    return Outbox(django_capture_on_commit_callbacks)


@pytest.fixture
def captured(caplog):
    """caplog at INFO for the tidecrm loggers, its records passed through the context filter."""
    context = logs.ContextFilter()
    caplog.handler.addFilter(context)
    with caplog.at_level(logging.INFO, logger="tidecrm"):
        yield caplog
    caplog.handler.removeFilter(context)


def lines(caplog, logger):
    return [record for record in caplog.records if record.name == logger]


def one(caplog, logger, text):
    """The single record of ``logger`` whose message contains ``text``."""
    found = [record for record in lines(caplog, logger) if text in record.getMessage()]
    assert len(found) == 1, [record.getMessage() for record in lines(caplog, logger)]
    return found[0]


def formatted(caplog):
    """Everything logged, as the console would print it (format of settings.LOGGING)."""
    formatter = logging.Formatter(settings.LOGGING["formatters"]["console"]["format"])
    return "\n".join(formatter.format(record) for record in caplog.records)


# ---------------------------------------------------------------- the filter and the format


def test_every_record_names_the_bound_tenant_and_employee(enterprise, captured):
    with tenant_context(enterprise.tenant), employee_context(enterprise):
        logging.getLogger("tidecrm.anything").info("inside")
    logging.getLogger("tidecrm.anything").info("outside")
    logging.getLogger("tidecrm.anything").info("named", extra={"tenant": 7, "employee": 8})

    inside, outside, named = captured.records
    assert (inside.tenant, inside.employee) == (enterprise.tenant_id, enterprise.pk)
    assert (outside.tenant, outside.employee) == ("-", "-")
    assert (named.tenant, named.employee) == (7, 8)
    text = formatted(captured)
    assert f"tenant={enterprise.tenant_id} employee={enterprise.pk} inside" in text
    assert "tenant=- employee=- outside" in text


def test_the_console_handler_carries_the_filter():
    console = settings.LOGGING["handlers"]["console"]
    assert console["filters"] == ["context"] and console["formatter"] == "console"
    assert settings.LOGGING["filters"]["context"]["()"] == "tidecrm.core.logs.ContextFilter"


# ---------------------------------------------------------------- imports and jobs


def test_an_import_logs_queued_started_and_finished_with_counts(
    enterprise, captured, django_capture_on_commit_callbacks
):
    token = factories.token_for(enterprise)
    content = xlsx(
        [
            EMPLOYEE_HEADERS,
            ["王五", "13800004101", "", "", "", "Start123"],
            ["", "13800004102", "", "", "", ""],
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/employees/imports",
            {"file": SimpleUploadedFile("员工.xlsx", content)},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]

    ids = (enterprise.tenant_id, enterprise.pk)
    # queued in the request (the middleware bound the caller), run by the job (bound to the uploader)
    queued = one(captured, "tidecrm.imports", f"queued job={job_id}")
    started = one(captured, "tidecrm.imports", f"started job={job_id}")
    finished = one(captured, "tidecrm.imports", f"finished job={job_id}")
    assert "total=2 processed=2 succeeded=1 failed=1" in finished.getMessage()
    job_started = one(captured, "tidecrm.jobs", "job import started")
    job_finished = one(captured, "tidecrm.jobs", "job import finished")
    assert "status=done" in job_finished.getMessage()
    for record in (queued, started, finished, job_started, job_finished):
        assert (record.tenant, record.employee) == ids, record.getMessage()
    text = formatted(captured)
    for secret in ("13800004101", "13800004102", "Start123", token, token.partition(".")[2][:8]):
        assert secret not in text


def test_a_crashed_import_logs_its_failure(bound, captured, monkeypatch, django_capture_on_commit_callbacks):
    def crash(actor, rows, context):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports.IMPORTERS["employee"], "import_rows", crash)
    content = xlsx([EMPLOYEE_HEADERS, ["王五", "13800004201", "", "", "", ""]])
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_start(actor=bound, kind="employee", file_name="x.xlsx", content=content)

    failed = one(captured, "tidecrm.imports", f"failed job={job.pk}")
    assert failed.levelno == logging.ERROR and "processed=0 succeeded=0 failed=0" in failed.getMessage()
    assert (failed.tenant, failed.employee) == (bound.tenant_id, bound.pk)
    assert "status=failed" in one(captured, "tidecrm.jobs", "job import finished").getMessage()
    assert "13800004201" not in formatted(captured)


def test_each_rule_of_each_tenant_logs_its_outcome(enterprise, captured, monkeypatch):
    monkeypatch.setitem(hooks._ENTRIES, hooks.RULES, {"counting": lambda now: 3})

    engine.run_due(tenant_ids=[enterprise.tenant_id])

    finished = one(captured, "tidecrm.jobs", "job rule:counting finished")
    assert "changed=3" in finished.getMessage()
    assert (finished.tenant, finished.employee) == (enterprise.tenant_id, "-")


def test_a_failing_job_logs_the_failure_and_still_raises(enterprise, captured, monkeypatch):
    def broken(now):
        raise RuntimeError("boom")

    monkeypatch.setitem(hooks._ENTRIES, hooks.RULES, {"broken": broken})

    with pytest.raises(RuntimeError):
        engine.run_due(tenant_ids=[enterprise.tenant_id])

    failed = one(captured, "tidecrm.jobs", "job rule:broken failed")
    assert failed.levelno == logging.ERROR and "error=RuntimeError" in failed.getMessage()
    assert failed.tenant == enterprise.tenant_id


# ---------------------------------------------------------------- providers


def test_an_sms_logs_provider_outcome_and_duration_never_the_text_or_number(db, captured, settings):
    settings.SMS_PROVIDER = "sandbox"

    sms.send_sms("13800138011", "【潮汐CRM】您的验证码是 246810")

    sent = one(captured, "tidecrm.providers", "sms send via sandbox ok")
    assert "target=138****8011" in sent.getMessage() and "ms=" in sent.getMessage()
    text = formatted(captured)
    assert "13800138011" not in text and "246810" not in text


def test_a_failed_provider_call_logs_the_error_class_only(db, captured, settings, monkeypatch):
    settings.SMS_PROVIDER = "http"
    monkeypatch.setenv("SMS_HTTP_URL", "http://127.0.0.1:9/send?key=url-secret")  # nothing listens
    monkeypatch.setenv("SMS_HTTP_TOKEN", "provider-secret")

    with pytest.raises(sms.SmsError):
        sms.send_sms("13800138012", "您的验证码是 135791")

    failed = one(captured, "tidecrm.providers", "sms send via http failed")
    assert failed.levelno == logging.WARNING and "error=SmsError" in failed.getMessage()
    text = formatted(captured)
    for secret in ("provider-secret", "url-secret", "135791", "13800138012"):
        assert secret not in text


# ---------------------------------------------------------------- login and tokens


def test_a_password_login_logs_the_employee_it_let_in(enterprise, captured, client_from):
    response = client_from("10.7.0.1").post("/auth/token", {"login": enterprise.phone, "password": PASSWORD})
    assert response.status_code == 200, response.content

    succeeded = one(captured, "tidecrm.login", "login succeeded method=password")
    assert (succeeded.tenant, succeeded.employee) == (enterprise.tenant_id, enterprise.pk)
    issued = one(captured, "tidecrm.login", "token issued")
    assert (issued.tenant, issued.employee) == (enterprise.tenant_id, enterprise.pk)
    raw = response.json()["token"]
    text = formatted(captured)
    for secret in (PASSWORD, raw, raw.partition(".")[2][:8], enterprise.phone):
        assert secret not in text


def test_failed_and_throttled_logins_log_their_code_with_the_phone_masked(enterprise, captured, client_from):
    client = client_from("10.7.0.2")
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT + 1):
        client.post("/auth/token", {"login": enterprise.phone, "password": "Wrong4321"})

    failures = [r for r in lines(captured, "tidecrm.login") if "login failed" in r.getMessage()]
    assert len(failures) == settings.LOGIN_FAILURE_LIMIT - 1
    assert "code=invalid_credentials" in failures[0].getMessage()
    masked = f"{enterprise.phone[:3]}****{enterprise.phone[-4:]}"
    assert f"login={masked}" in failures[0].getMessage()
    throttled = [r for r in lines(captured, "tidecrm.login") if "login throttled" in r.getMessage()]
    assert len(throttled) == 2 and "code=too_many_attempts" in throttled[0].getMessage()
    text = formatted(captured)
    assert "Wrong4321" not in text and enterprise.phone not in text


def test_an_sms_login_never_logs_the_code(enterprise, captured, client_from, outbox):
    client = client_from("10.7.0.3")
    with outbox.sending():
        client.post("/auth/sms-code", {"phone": enterprise.phone, "purpose": "login"})
    code = outbox.code(enterprise.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    client.post("/auth/token/sms", {"phone": enterprise.phone, "code": wrong})
    response = client.post("/auth/token/sms", {"phone": enterprise.phone, "code": code})
    assert response.status_code == 200, response.content

    assert "code=invalid_code" in one(captured, "tidecrm.login", "login failed method=sms").getMessage()
    succeeded = one(captured, "tidecrm.login", "login succeeded method=sms")
    assert (succeeded.tenant, succeeded.employee) == (enterprise.tenant_id, enterprise.pk)
    one(captured, "tidecrm.providers", "sms send via sandbox ok")
    text = formatted(captured)
    for secret in (code, wrong, enterprise.phone):
        assert secret not in text


def test_creating_and_revoking_a_token_are_logged_without_the_token(enterprise, captured, api):
    client = api(enterprise)
    created = client.post("/me/tokens", {"name": "脚本"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert client.delete(f"/me/tokens/{body['id']}").status_code == 204

    issued = one(captured, "tidecrm.login", f"token issued token={body['id']}")
    revoked = one(captured, "tidecrm.login", f"token revoked token={body['id']}")
    for record in (issued, revoked):
        assert (record.tenant, record.employee) == (enterprise.tenant_id, enterprise.pk)
    text = formatted(captured)
    assert body["token"] not in text and body["prefix"] not in text
