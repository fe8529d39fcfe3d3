"""Pages of accounts (tidecrm/signin/views.py) through the Django test client: login, register,
forgot password, the SMS code partial, sudo, the security log, enterprise switch, CSRF, language."""

import re

import pytest
from django.test import Client
from django.utils import translation

from tests import factories
from tidecrm.accounts.models import Account, SecurityEvent
from tidecrm.accounts.sessions import SESSION_EMPLOYEE, SESSION_SUDO
from tidecrm.core import clock
from tidecrm.core.models import Tenant
from tidecrm.core.tenancy import tenant_context
from tidecrm.integrations.models import SandboxSms
from tidecrm.signin.views import device_summary

PASSWORD = factories.PASSWORD
NEW_PASSWORD = "Fresh4567"


def log_in(client, employee, password=PASSWORD, **extra):
    return client.post("/login/", {"login": employee.phone, "password": password, "agree": "1", **extra})


def html(response):
    return response.content.decode()


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def admin_client(client, enterprise):
    assert log_in(client, enterprise).status_code == 302
    return client


# ---------------------------------------------------------------- login


def test_login_page_answers(db, client):
    response = client.get("/login/")

    assert response.status_code == 200
    assert "登录" in html(response)
    assert 'data-testid="login-form"' in html(response)


def test_wrong_password_is_refused_in_chinese(enterprise, client):
    response = log_in(client, enterprise, password="Wrong1234")

    assert response.status_code == 200
    assert "账号或密码错误" in html(response)
    assert 'data-code="invalid_credentials"' in html(response)
    assert SESSION_EMPLOYEE not in client.session
    with tenant_context(enterprise.tenant):
        assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN_FAILURE).count() == 1


def test_login_needs_the_agreement_ticked(enterprise, client):
    response = client.post("/login/", {"login": enterprise.phone, "password": PASSWORD})

    assert response.status_code == 200
    assert "请阅读并同意服务协议和隐私协议" in html(response)
    assert SESSION_EMPLOYEE not in client.session
    with tenant_context(enterprise.tenant):
        assert not SecurityEvent.objects.filter(
            kind=SecurityEvent.Kind.LOGIN_SUCCESS, method="password"
        ).exists()


def test_login_lands_on_the_workbench(enterprise, client):
    response = log_in(client, enterprise)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_EMPLOYEE] == enterprise.pk
    home = client.get("/")
    assert home.status_code == 200
    assert 'data-testid="workbench"' in html(home)
    for module in ("客户管理", "线索", "商机/合同", "统计", "办公", "设置"):
        assert module in html(home)


def test_login_goes_back_to_next_but_never_off_site(enterprise, client):
    assert log_in(client, enterprise, next="/me/")["Location"] == "/me/"
    client.post("/logout/")
    assert log_in(client, enterprise, next="https://evil.example/")["Location"] == "/"


def test_anonymous_visitors_are_sent_to_login(db, client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2F"


def test_an_account_in_two_enterprises_chooses_one(enterprise, client):
    second = factories.enterprise(name="宁波第二分公司", phone=enterprise.phone, password=PASSWORD)

    asked = log_in(client, enterprise)
    assert asked.status_code == 200
    assert 'data-testid="enterprise-chooser"' in html(asked)
    assert 'data-code="enterprise_required"' in html(asked)
    chosen = log_in(client, enterprise, enterprise_id=second.tenant_id)
    assert chosen.status_code == 302
    assert client.session[SESSION_EMPLOYEE] == second.pk


def test_choosing_someone_elses_enterprise_is_refused(enterprise, other_enterprise, client):
    response = log_in(client, enterprise, enterprise_id=other_enterprise.tenant_id)

    assert 'data-code="invalid_credentials"' in html(response)
    assert SESSION_EMPLOYEE not in client.session


def test_logout_ends_the_session(admin_client):
    response = admin_client.post("/logout/")

    assert response["Location"] == "/login/"
    assert admin_client.get("/").status_code == 302


# ---------------------------------------------------------------- SMS codes


def send_code(client, capture, **data):
    """POST /login/code/ as htmx; the SMS goes out on commit, so run those callbacks."""
    with capture(execute=True):
        return client.post("/login/code/", data, HTTP_HX_REQUEST="true")


def test_htmx_code_request_answers_the_status_partial(
    enterprise, client, settings, django_capture_on_commit_callbacks
):
    settings.SHOW_SMS_OUTBOX = True

    response = send_code(client, django_capture_on_commit_callbacks, phone=enterprise.phone, purpose="login")

    assert response.status_code == 200
    body = html(response)
    assert 'data-testid="code-status"' in body and "验证码已发送" in body
    assert "<html" not in body  # a partial, not a page
    assert 'id="sms-outbox"' in body and 'hx-swap-oob="true"' in body  # the demo outbox refreshes
    assert response["HX-Trigger"] == '{"code-wait": {"seconds": 60}}'
    assert SandboxSms.objects.filter(phone=enterprise.phone).count() == 1


def test_code_request_with_a_bad_phone_says_why_and_starts_no_countdown(db, client):
    response = client.post("/login/code/", {"phone": "123", "purpose": "login"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "text-danger" in html(response) and "请输入正确的11位手机号" in html(response)
    assert "HX-Trigger" not in response
    assert not SandboxSms.objects.exists()


def test_a_second_code_within_a_minute_counts_down_the_rest(
    enterprise, client, django_capture_on_commit_callbacks
):
    send_code(client, django_capture_on_commit_callbacks, phone=enterprise.phone, purpose="login")

    again = send_code(client, django_capture_on_commit_callbacks, phone=enterprise.phone, purpose="login")

    assert "验证码发送过于频繁" in html(again)
    assert '"code-wait"' in again["HX-Trigger"]
    assert SandboxSms.objects.count() == 1


def test_sms_code_login(enterprise, client, django_capture_on_commit_callbacks):
    send_code(client, django_capture_on_commit_callbacks, phone=enterprise.phone, purpose="login")
    code = re.search(r"验证码是 (\d{6})", SandboxSms.objects.get().text).group(1)

    response = client.post("/login/", {"mode": "sms", "phone": enterprise.phone, "code": code, "agree": "1"})

    assert response.status_code == 302
    assert client.session[SESSION_EMPLOYEE] == enterprise.pk


def test_outbox_shows_only_when_enabled(db, client, settings):
    settings.SHOW_SMS_OUTBOX = False
    assert 'data-testid="sms-outbox"' not in html(client.get("/login/"))
    settings.SHOW_SMS_OUTBOX = True
    assert 'data-testid="sms-outbox"' in html(client.get("/login/"))


def test_outbox_shows_only_the_codes_of_the_phone_typed_on_the_page(
    enterprise, client, settings, django_capture_on_commit_callbacks
):
    """Issue 11, finding 12: the demo outbox never shows codes sent to someone else's phone."""
    settings.SHOW_SMS_OUTBOX = True
    other = factories.employee(enterprise, name="别人")
    send_code(client, django_capture_on_commit_callbacks, phone=other.phone, purpose="login")
    assert SandboxSms.objects.filter(phone=other.phone).exists()

    untyped = html(client.get("/login/"))
    mine = html(client.get(f"/login/?phone={enterprise.phone}"))
    theirs = html(client.get(f"/login/?phone={other.phone}"))

    assert 'data-testid="sms-outbox"' in untyped and "验证码是" not in untyped
    assert "验证码是" not in mine and other.phone not in mine
    assert "验证码是" in theirs
    posted = client.post("/login/", {"mode": "sms", "phone": enterprise.phone, "code": "1", "agree": "1"})
    assert "验证码是" not in html(posted)


def test_demo_outbox_is_off_without_debug():
    """SHOW_SMS_OUTBOX follows DEBUG alone (no environment switch turns it on in production)."""
    import os
    import subprocess
    import sys

    script = (
        "import django,os;django.setup();from django.conf import settings;print(settings.SHOW_SMS_OUTBOX)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tidecrm.settings"}
    shown = {}
    for debug in ("0", "1"):
        env["DEBUG"] = debug
        shown[debug] = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
    assert shown == {"0": "False", "1": "True"}


# ---------------------------------------------------------------- register


def test_register_reports_mismatched_passwords_and_creates_nothing(db, client):
    response = client.post(
        "/register/",
        {
            "enterprise_name": "杭州潮汐科技有限公司",
            "admin_name": "王小明",
            "phone": "13812345678",
            "password": PASSWORD,
            "password_confirm": "Other1234",
            "agree": "1",
        },
    )

    assert response.status_code == 200
    assert "两次输入的密码不一致" in html(response)
    assert 'value="杭州潮汐科技有限公司"' in html(response)  # what was typed stays
    assert not Tenant.objects.exists() and not Account.objects.exists()


def test_register_reports_the_services_field_messages(db, client):
    response = client.post(
        "/register/", {"phone": "123", "password": PASSWORD, "password_confirm": PASSWORD, "agree": "1"}
    )

    assert "请填写企业名称" in html(response)
    assert "请填写您的姓名" in html(response)
    assert not Tenant.objects.exists()


def test_register_needs_the_agreement(db, client):
    response = client.post(
        "/register/",
        {"enterprise_name": "某公司", "admin_name": "王", "phone": "13812345678", "password": PASSWORD},
    )

    assert "请阅读并同意服务协议和隐私协议" in html(response)
    assert not Tenant.objects.exists()


def test_register_creates_the_enterprise_and_logs_in(db, client):
    response = client.post(
        "/register/",
        {
            "enterprise_name": "杭州潮汐科技有限公司",
            "admin_name": "王小明",
            "phone": "13812345678",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "agree": "1",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert "杭州潮汐科技有限公司" in html(home) and "创建成功" in html(home)


# ---------------------------------------------------------------- forgot password


def test_forgot_password_through_the_sandbox_outbox(
    enterprise, client, settings, django_capture_on_commit_callbacks
):
    settings.SHOW_SMS_OUTBOX = True
    sent = send_code(client, django_capture_on_commit_callbacks, login=enterprise.phone, purpose="reset")
    assert "验证码已发送" in html(sent)
    page = client.get(f"/forgot-password/?login={enterprise.phone}")
    code = re.search(r"验证码是 (\d{6})，5分钟内有效，用于找回密码", html(page)).group(1)

    response = client.post(
        "/forgot-password/",
        {
            "login": enterprise.phone,
            "code": code,
            "new_password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "密码已重置" in html(client.get("/login/"))
    assert 'data-code="invalid_credentials"' in html(log_in(client, enterprise))
    assert log_in(client, enterprise, password=NEW_PASSWORD).status_code == 302


def test_forgot_password_with_a_wrong_code_changes_nothing(
    enterprise, client, django_capture_on_commit_callbacks
):
    send_code(client, django_capture_on_commit_callbacks, login=enterprise.phone, purpose="reset")

    response = client.post(
        "/forgot-password/",
        {
            "login": enterprise.phone,
            "code": "000000",
            "new_password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "验证码错误" in html(response)
    assert Account.objects.get(phone=enterprise.phone).check_password(PASSWORD)


# ---------------------------------------------------------------- sudo, settings, security log


def test_settings_need_a_fresh_reauthentication(admin_client):
    response = admin_client.get("/settings/")

    assert response.status_code == 302
    assert response["Location"].startswith("/settings/sudo/")


def test_sudo_with_a_wrong_password_stays_out(admin_client):
    response = admin_client.post("/settings/sudo/", {"password": "Wrong1234", "next": "/settings/"})

    assert response.status_code == 200
    assert "密码不正确" in html(response)
    assert admin_client.get("/settings/").status_code == 302


def test_sudo_with_the_password_opens_settings_and_the_security_log(admin_client, enterprise):
    response = admin_client.post("/settings/sudo/", {"password": PASSWORD, "next": "/settings/"})

    assert response.status_code == 302 and response["Location"] == "/settings/"
    settings_page = admin_client.get("/settings/")
    assert settings_page.status_code == 200
    assert enterprise.tenant.name in html(settings_page)
    log = admin_client.get("/settings/security-log/")
    assert log.status_code == 200
    assert 'data-testid="security-log"' in html(log) and "登录成功" in html(log)
    assert 'data-testid="pagination"' in html(log)


def test_security_log_filters_and_htmx_answer_the_table_only(admin_client):
    admin_client.post("/settings/sudo/", {"password": PASSWORD})

    failed = admin_client.get("/settings/security-log/", {"success": "0"}, HTTP_HX_REQUEST="true")
    nothing = admin_client.get("/settings/security-log/", {"date_to": "2000-01-01"}, HTTP_HX_REQUEST="true")

    assert "<html" not in html(failed) and 'data-testid="empty-state"' in html(failed)
    assert 'data-testid="empty-state"' in html(nothing)
    assert "没有符合条件的日志" in html(nothing)


def test_security_log_is_forbidden_to_a_sales_employee(enterprise):
    sales = factories.employee(enterprise, name="销售小李", role_keys=("sales",))
    client = Client()
    assert log_in(client, sales).status_code == 302
    # A 销售顾问 gets no sudo page at all ...
    assert client.get("/settings/sudo/").status_code == 403
    refused = client.post("/settings/sudo/", {"password": PASSWORD})
    assert refused.status_code == 403
    assert 'data-code="permission_denied"' in html(refused)
    # ... and even with a fresh sudo mark the log itself refuses.
    session = client.session
    session[SESSION_SUDO] = clock.now().isoformat()
    session.save()

    response = client.get("/settings/security-log/")

    assert response.status_code == 403
    assert 'data-testid="error-page"' in html(response)
    assert 'data-code="permission_denied"' in html(response)


# ---------------------------------------------------------------- enterprise switch


def test_switch_to_another_own_enterprise(admin_client, enterprise):
    second = factories.enterprise(name="宁波第二分公司", phone=enterprise.phone, password=PASSWORD)

    response = admin_client.post(f"/switch/{second.tenant_id}/")

    assert response.status_code == 302
    assert admin_client.session[SESSION_EMPLOYEE] == second.pk
    assert "已切换到「宁波第二分公司」" in html(admin_client.get("/"))


def test_switch_to_a_foreign_enterprise_is_not_possible(admin_client, enterprise, other_enterprise):
    response = admin_client.post(f"/switch/{other_enterprise.tenant_id}/")

    assert response.status_code == 404
    assert 'data-code="not_found"' in html(response)
    assert admin_client.session[SESSION_EMPLOYEE] == enterprise.pk
    assert other_enterprise.tenant.name not in html(admin_client.get("/"))


def test_switch_needs_a_post(admin_client, enterprise):
    assert admin_client.get(f"/switch/{enterprise.tenant_id}/").status_code == 405


# ---------------------------------------------------------------- CSRF and language


def test_posts_without_a_csrf_token_are_refused(enterprise):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"login": enterprise.phone, "password": PASSWORD, "agree": "1"})

    assert response.status_code == 403
    assert SESSION_EMPLOYEE not in client.session


def test_english_can_be_chosen(db, client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})

    assert response.status_code == 302 and response["Location"] == "/login/"
    page = html(client.get("/login/"))
    assert 'lang="en"' in page
    assert "Log in to Tide CRM" in page and "Forgot password?" in page
    refused = html(client.post("/login/", {"login": "13800000000", "password": "x"}))
    assert "Please read and accept the Terms of Service and the Privacy Policy" in refused


def test_english_error_messages_from_the_services(enterprise, client):
    client.post("/i18n/setlang/", {"language": "en"})

    response = log_in(client, enterprise, password="Wrong1234")

    assert "Wrong account or password" in html(response)


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
            "Chrome · Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 MicroMessenger/8.0.47",
            "微信 · iOS",
        ),
        ("python-requests/2.32.3", "python-requests"),
        ("", "—"),
    ],
)
def test_security_log_shows_a_short_device(user_agent, summary):
    with translation.override("zh-hans"):
        assert device_summary(user_agent) == summary
