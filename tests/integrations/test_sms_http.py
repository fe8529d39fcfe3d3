"""SMS providers: the HTTP one against a local server, the sandbox outbox, and the selection."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tidecrm.integrations import sms
from tidecrm.integrations.models import SandboxSms


class _Recorder(BaseHTTPRequestHandler):
    """Record each request; answer with the server's ``answer_status``."""

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", 0))
        self.server.received.append(
            {
                "path": self.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "body": self.rfile.read(length),
            }
        )
        self.send_response(self.server.answer_status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass


@pytest.fixture
def sms_server():
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    server.received = []
    server.answer_status = 200
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_http_provider_posts_json_with_the_bearer_token(sms_server):
    provider = sms.HttpSmsProvider(sms_server.url, "provider-secret", sign="潮汐CRM")

    provider.send("13800138000", "您的验证码是 123456")

    assert len(sms_server.received) == 1
    request = sms_server.received[0]
    assert request["path"] == "/send"
    assert request["headers"]["authorization"] == "Bearer provider-secret"
    assert request["headers"]["content-type"] == "application/json"
    assert json.loads(request["body"]) == {
        "phone": "13800138000",
        "text": "您的验证码是 123456",
        "sign": "潮汐CRM",
    }


@pytest.mark.parametrize("status", [500, 503, 400, 401])
def test_http_provider_raises_sms_failed_on_an_error_answer(sms_server, status):
    sms_server.answer_status = status
    provider = sms.HttpSmsProvider(sms_server.url, "provider-secret")

    with pytest.raises(sms.SmsError) as raised:
        provider.send("13800138000", "text")

    assert raised.value.code == "sms_failed"
    assert raised.value.status == 502
    assert len(sms_server.received) == 1


def test_http_provider_raises_sms_failed_when_nobody_answers(sms_server, caplog):
    url = sms_server.url
    sms_server.shutdown()
    sms_server.server_close()

    with caplog.at_level(logging.WARNING, logger="tidecrm.providers"):
        with pytest.raises(sms.SmsError) as raised:
            sms.HttpSmsProvider(url, "provider-secret", timeout=2).send("13800138000", "text")

    # The caller gets a fixed answer; the network error's own text is in the provider log only.
    network_error = str(raised.value.__cause__)
    assert network_error
    assert raised.value.code == "sms_failed"
    assert raised.value.as_dict() == {
        "code": "sms_failed",
        "message": "短信发送失败，请稍后重试",
        "details": {"provider": "http"},
    }
    assert network_error not in str(raised.value.as_dict())
    assert [record.getMessage() for record in caplog.records if record.name == "tidecrm.providers"] == [
        f"sms send via http not accepted reason={network_error}"
    ]


def test_sandbox_provider_writes_the_outbox(db):
    sms.SandboxSmsProvider().send("13800138000", "您的验证码是 654321")

    message = SandboxSms.objects.get(phone="13800138000")
    assert message.text == "您的验证码是 654321"
    assert sms.sandbox_outbox(message.phone) == [message]
    assert sms.sandbox_outbox("13000000000") == []


def test_sandbox_is_the_default_provider(db, settings):
    settings.SMS_PROVIDER = "sandbox"

    sms.send_sms("13800138001", "hello")

    assert SandboxSms.objects.filter(phone="13800138001", text="hello").exists()


def test_http_provider_is_chosen_by_the_setting(db, settings, monkeypatch, sms_server):
    settings.SMS_PROVIDER = "http"
    monkeypatch.setenv("SMS_HTTP_URL", sms_server.url)
    monkeypatch.setenv("SMS_HTTP_TOKEN", "from-env")

    assert isinstance(sms.get_provider(), sms.HttpSmsProvider)
    sms.send_sms("13800138002", "hello")

    assert not SandboxSms.objects.exists()
    assert len(sms_server.received) == 1
    assert sms_server.received[0]["headers"]["authorization"] == "Bearer from-env"
    assert json.loads(sms_server.received[0]["body"])["phone"] == "13800138002"
