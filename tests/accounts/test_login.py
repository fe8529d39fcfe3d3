"""TEN-05 password login, TEN-13 enterprise choice, throttling, security log, TEN-10 new-IP check."""

from datetime import timedelta

import pytest

from tests import factories
from tests.accounts.conftest import wrong_code
from tidecrm.accounts.models import Account, LoginLock, SecurityEvent, TrustedIP
from tidecrm.core import clock
from tidecrm.core.tenancy import tenant_context
from tidecrm.org.models import Employee

PASSWORD = factories.PASSWORD
IP_A = "10.1.0.1"
IP_B = "10.1.0.2"


def _login(client, login, password=PASSWORD, **extra):
    return client.post("/auth/token", {"login": login, "password": password, **extra})


def _events(tenant, **filters):
    with tenant_context(tenant):
        return list(SecurityEvent.objects.filter(**filters).order_by("id"))


def _assert_token_works(client_from, response, employee):
    token = response.json()["token"]
    assert token.startswith(f"{employee.tenant_id}.")
    me = client_from(token=token).get("/me")
    assert me.status_code == 200
    assert me.json()["employee"]["id"] == employee.pk


# ---------------------------------------------------------------- who may log in


def test_login_by_phone(enterprise, client_from):
    response = _login(client_from(), enterprise.phone)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["employee"]["id"] == enterprise.pk
    assert body["enterprise"]["id"] == enterprise.tenant_id
    _assert_token_works(client_from, response, enterprise)


def test_login_by_phone_in_another_format(enterprise, client_from):
    formatted = f"+86 {enterprise.phone[:3]}-{enterprise.phone[3:7]}-{enterprise.phone[7:]}"

    assert _login(client_from(), formatted).status_code == 200


def test_login_by_email(enterprise, client_from):
    Account.objects.filter(pk=enterprise.account_id).update(email="boss@example.com")

    response = _login(client_from(), "Boss@Example.com")

    assert response.status_code == 200, response.content
    assert response.json()["employee"]["id"] == enterprise.pk


def test_login_by_username(enterprise, client_from):
    person = factories.employee(enterprise, name="张三", username="zhangsan")

    response = _login(client_from(), "zhangsan")

    assert response.status_code == 200, response.content
    assert response.json()["employee"]["id"] == person.pk
    _assert_token_works(client_from, response, person)


@pytest.mark.parametrize(
    "login, password",
    [
        ("owner", "Wrong12345"),  # right login, wrong password
        ("13000000000", PASSWORD),  # unknown phone
        ("nobody@example.com", PASSWORD),  # unknown e-mail
        ("nobody", PASSWORD),  # unknown username
        ("owner", ""),
    ],
)
def test_wrong_credentials_answer_401(enterprise, client_from, login, password):
    login = enterprise.phone if login == "owner" else login

    response = _login(client_from(), login, password)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert "token" not in response.json()


def test_account_in_two_enterprises_must_choose(enterprise, client_from):
    second = factories.enterprise(name="第二家公司", phone=enterprise.phone)
    client = client_from()

    response = _login(client, enterprise.phone)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "enterprise_required"
    listed = {item["id"]: item["name"] for item in body["details"]["enterprises"]}
    assert listed == {enterprise.tenant_id: enterprise.tenant.name, second.tenant_id: "第二家公司"}

    response = _login(client, enterprise.phone, enterprise_id=second.tenant_id)
    assert response.status_code == 200, response.content
    assert response.json()["enterprise"]["id"] == second.tenant_id
    assert response.json()["employee"]["id"] == second.pk
    _assert_token_works(client_from, response, second)


def test_enterprise_of_someone_else_is_refused(enterprise, other_enterprise, client_from):
    response = _login(client_from(), enterprise.phone, enterprise_id=other_enterprise.tenant_id)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    "status, code",
    [
        (Employee.Status.DISABLED, "account_disabled"),
        (Employee.Status.RESIGNED, "account_resigned"),
        (Employee.Status.INACTIVE, "account_not_activated"),
    ],
)
def test_employee_who_may_not_log_in_is_refused(enterprise, client_from, status, code):
    person = factories.employee(enterprise)
    with tenant_context(enterprise.tenant):
        Employee.objects.filter(pk=person.pk).update(status=status)

    response = _login(client_from(), person.phone)

    assert response.status_code == 403
    assert response.json()["code"] == code
    with tenant_context(enterprise.tenant):
        assert not SecurityEvent.objects.filter(employee_id=person.pk, kind="login_success").exists()


# ---------------------------------------------------------------- throttling (TEN-05)


def test_five_wrong_passwords_lock_the_account_for_15_minutes(enterprise, client_from):
    client = client_from(IP_A)
    for _attempt in range(4):
        response = _login(client, enterprise.phone, "Wrong12345")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
    fifth = _login(client, enterprise.phone, "Wrong12345")
    assert fifth.status_code in (401, 429)

    # Locked: even the right password is refused, from this IP and from another one.
    for ip in (IP_A, IP_B):
        response = _login(client_from(ip), enterprise.phone)
        assert response.status_code == 429, ip
        assert response.json()["code"] == "too_many_attempts"
        assert "locked_until" in response.json()["details"]

    with clock.shifted(timedelta(minutes=14)):
        assert _login(client, enterprise.phone).status_code == 429
    with clock.shifted(timedelta(minutes=16)):
        response = _login(client, enterprise.phone)
        assert response.status_code == 200, response.content
    # Success clears the counters.
    assert not LoginLock.objects.filter(key=f"account:{enterprise.account_id}").exists()


def test_failures_below_the_limit_are_forgotten_after_a_success(enterprise, client_from):
    client = client_from(IP_A)
    for _attempt in range(4):
        assert _login(client, enterprise.phone, "Wrong12345").status_code == 401
    assert _login(client, enterprise.phone).status_code == 200
    for _attempt in range(4):
        assert _login(client, enterprise.phone, "Wrong12345").status_code == 401

    assert _login(client, enterprise.phone).status_code == 200


def test_five_failures_from_one_ip_lock_that_ip_only(enterprise, client_from):
    attacker = client_from(IP_A)
    for number in range(5):
        response = _login(attacker, f"1300000000{number}", "Wrong12345")
        assert response.status_code in (401, 429)

    response = _login(attacker, enterprise.phone)
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"

    # The account itself is not locked: another IP logs in.
    response = _login(client_from(IP_B), enterprise.phone)
    assert response.status_code == 200, response.content


def test_security_log_records_failures_lock_and_success(enterprise, client_from):
    client = client_from(IP_A)
    for _attempt in range(5):
        _login(client, enterprise.phone, "Wrong12345")

    failures = _events(enterprise.tenant, kind="login_failure")
    assert len(failures) == 4
    assert all(not event.success and event.ip == IP_A for event in failures)
    assert all(event.employee_id == enterprise.pk for event in failures)
    locked = _events(enterprise.tenant, kind="login_locked")
    assert len(locked) == 1
    assert locked[0].success is False

    with clock.shifted(timedelta(minutes=16)):
        assert _login(client, enterprise.phone).status_code == 200
    successes = _events(enterprise.tenant, kind="login_success", ip=IP_A)
    assert len(successes) == 1
    assert successes[0].employee_id == enterprise.pk
    assert successes[0].method == "password"
    assert successes[0].client == "api"


def test_failures_are_logged_in_every_enterprise_of_the_account(enterprise, client_from):
    second = factories.enterprise(name="第二家公司", phone=enterprise.phone)

    _login(client_from(IP_A), enterprise.phone, "Wrong12345")

    assert len(_events(enterprise.tenant, kind="login_failure")) == 1
    assert len(_events(second.tenant, kind="login_failure")) == 1


# ---------------------------------------------------------------- new-IP check (TEN-10)


def _challenge(client, employee, outbox):
    with outbox.sending():
        response = _login(client, employee.phone)
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "verification_required"
    assert body["details"]["challenge_id"]
    return body["details"]["challenge_id"], outbox.code(employee.phone)


def test_first_login_needs_no_challenge_and_trusts_the_ip(enterprise, client_from, outbox):
    assert not TrustedIP.objects.filter(account_id=enterprise.account_id).exists()

    response = _login(client_from(IP_A), enterprise.phone)

    assert response.status_code == 200, response.content
    assert TrustedIP.objects.filter(account_id=enterprise.account_id, ip=IP_A).exists()
    assert outbox.count(enterprise.phone) == 0
    # The same IP again: still no challenge.
    assert _login(client_from(IP_A), enterprise.phone).status_code == 200


def test_new_ip_needs_the_sms_code(enterprise, client_from, outbox):
    assert _login(client_from(IP_A), enterprise.phone).status_code == 200
    client_b = client_from(IP_B)

    challenge_id, code = _challenge(client_b, enterprise, outbox)
    assert not TrustedIP.objects.filter(account_id=enterprise.account_id, ip=IP_B).exists()

    response = _login(client_b, enterprise.phone, challenge_id=challenge_id, code=code)
    assert response.status_code == 200, response.content
    _assert_token_works(client_from, response, enterprise)
    assert TrustedIP.objects.filter(account_id=enterprise.account_id, ip=IP_B).exists()
    assert _events(enterprise.tenant, kind="new_ip_verification", ip=IP_B)
    # Now trusted: no second challenge.
    assert _login(client_b, enterprise.phone).status_code == 200


def test_registration_ip_is_trusted(db, api, client_from):
    phone = factories.next_phone()
    registered = api().post(
        "/auth/register",
        {"enterprise_name": "注册IP公司", "admin_name": "王总", "phone": phone, "password": PASSWORD},
    )
    assert registered.status_code == 201

    assert _login(client_from("127.0.0.1"), phone).status_code == 200
    assert _login(client_from(IP_B), phone).json()["code"] == "verification_required"


def test_new_ip_wrong_code_is_refused(enterprise, client_from, outbox):
    assert _login(client_from(IP_A), enterprise.phone).status_code == 200
    client_b = client_from(IP_B)
    challenge_id, code = _challenge(client_b, enterprise, outbox)

    response = _login(client_b, enterprise.phone, challenge_id=challenge_id, code=wrong_code(code))

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_code"
    assert not TrustedIP.objects.filter(account_id=enterprise.account_id, ip=IP_B).exists()


def test_new_ip_challenge_dies_after_five_wrong_codes(enterprise, client_from, outbox):
    assert _login(client_from(IP_A), enterprise.phone).status_code == 200
    client_b = client_from(IP_B)
    challenge_id, code = _challenge(client_b, enterprise, outbox)

    for _attempt in range(5):
        response = _login(client_b, enterprise.phone, challenge_id=challenge_id, code=wrong_code(code))
        assert response.status_code == 422

    response = _login(client_b, enterprise.phone, challenge_id=challenge_id, code=code)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_code"
    assert not TrustedIP.objects.filter(account_id=enterprise.account_id, ip=IP_B).exists()


def test_new_ip_code_needs_the_right_password(enterprise, client_from, outbox):
    assert _login(client_from(IP_A), enterprise.phone).status_code == 200
    client_b = client_from(IP_B)
    challenge_id, code = _challenge(client_b, enterprise, outbox)

    response = _login(client_b, enterprise.phone, "Wrong12345", challenge_id=challenge_id, code=code)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_new_ip_challenge_of_another_account_does_not_count(enterprise, client_from, outbox):
    other = factories.employee(enterprise, name="李四")
    for person in (enterprise, other):
        assert _login(client_from(IP_A), person.phone).status_code == 200
    client_b = client_from(IP_B)
    other_challenge, other_code = _challenge(client_b, other, outbox)
    with clock.shifted(timedelta(seconds=1)):
        _challenge(client_b, enterprise, outbox)

    response = _login(client_b, enterprise.phone, challenge_id=other_challenge, code=other_code)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_code"


def test_trusted_ip_expires_after_90_days(enterprise, client_from, outbox):
    assert _login(client_from(IP_A), enterprise.phone).status_code == 200
    assert _login(client_from(IP_B), enterprise.phone).status_code == 409

    with clock.shifted(timedelta(days=91)):
        with outbox.sending():
            response = _login(client_from(IP_A), enterprise.phone)
    assert response.status_code == 409
    assert response.json()["code"] == "verification_required"


def test_frozen_enterprise_refuses_login(enterprise, client_from):
    from tidecrm.core.models import Tenant

    Tenant.objects.filter(pk=enterprise.tenant_id).update(status=Tenant.Status.FROZEN)
    response = _login(client_from(), enterprise.phone)
    assert response.status_code == 403
    assert response.json()["code"] == "enterprise_frozen"
    assert not _events(enterprise.tenant, kind="login_success", method="password")
