"""TEN-06 login by SMS code and TEN-02 verification-code rules (60 s resend, 5 minutes, once)."""

from datetime import timedelta

from tests import factories
from tests.accounts.conftest import wrong_code
from tidecrm.accounts.models import SecurityEvent
from tidecrm.core import clock
from tidecrm.core.tenancy import tenant_context
from tidecrm.org.models import Employee


def _send(client, phone, purpose="login"):
    return client.post("/auth/sms-code", {"phone": phone, "purpose": purpose})


def _sms_login(client, phone, code, **extra):
    return client.post("/auth/token/sms", {"phone": phone, "code": code, **extra})


def test_code_login(enterprise, client_from, outbox):
    client = client_from("10.2.0.1")
    with outbox.sending():
        response = _send(client, enterprise.phone)
    assert response.status_code == 202
    assert response.json()["sent"] is True
    assert outbox.count(enterprise.phone) == 1

    response = _sms_login(client, enterprise.phone, outbox.code(enterprise.phone))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["employee"]["id"] == enterprise.pk
    assert body["token"].startswith(f"{enterprise.tenant_id}.")
    assert client_from(token=body["token"]).get("/me").status_code == 200
    with tenant_context(enterprise.tenant):
        assert SecurityEvent.objects.filter(kind="login_success", method="sms").count() == 1


def test_known_and_unknown_numbers_answer_alike(enterprise, client_from, outbox):
    with outbox.sending():
        known = _send(client_from(), enterprise.phone)
        unknown = _send(client_from(), factories.next_phone())

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()


def test_invalid_phone_is_a_validation_error(db, client_from):
    response = _send(client_from(), "12345")

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert "phone" in response.json()["details"]["fields"]


def test_unknown_purpose_is_a_validation_error(enterprise, client_from):
    response = _send(client_from(), enterprise.phone, purpose="anything")

    assert response.status_code == 422
    assert "purpose" in response.json()["details"]["fields"]


def test_resend_waits_60_seconds(enterprise, client_from, outbox):
    with outbox.sending():
        assert _send(client_from(), enterprise.phone).status_code == 202

    with outbox.sending(), clock.shifted(timedelta(seconds=59)):
        response = _send(client_from(), enterprise.phone)
    assert response.status_code == 429
    assert response.json()["code"] == "code_too_frequent"
    assert response.json()["details"]["retry_after"] >= 1
    assert outbox.count(enterprise.phone) == 1

    with outbox.sending(), clock.shifted(timedelta(seconds=61)):
        assert _send(client_from(), enterprise.phone).status_code == 202
    assert outbox.count(enterprise.phone) == 2


def test_at_most_ten_codes_a_day(enterprise, client_from, outbox):
    with outbox.sending():
        for index in range(10):
            with clock.shifted(timedelta(seconds=61 * index)):
                assert _send(client_from(), enterprise.phone).status_code == 202, index
        with clock.shifted(timedelta(seconds=61 * 10)):
            response = _send(client_from(), enterprise.phone)
        assert response.status_code == 429
        assert response.json()["code"] == "code_daily_limit"
        with clock.shifted(timedelta(days=1, seconds=61 * 10)):
            assert _send(client_from(), enterprise.phone).status_code == 202
    assert outbox.count(enterprise.phone) == 11


def test_newest_code_is_the_valid_one_after_a_resend(enterprise, client_from, outbox):
    with outbox.sending():
        _send(client_from(), enterprise.phone)
    first = outbox.code(enterprise.phone)
    with clock.shifted(timedelta(seconds=61)):
        with outbox.sending():
            _send(client_from(), enterprise.phone)
        second = outbox.code(enterprise.phone)
        if first != second:
            assert _sms_login(client_from(), enterprise.phone, first).status_code == 422
        assert _sms_login(client_from(), enterprise.phone, second).status_code == 200


def test_expired_code_is_refused(enterprise, client_from, outbox):
    with outbox.sending():
        _send(client_from(), enterprise.phone)
    code = outbox.code(enterprise.phone)

    with clock.shifted(timedelta(minutes=6)):
        response = _sms_login(client_from(), enterprise.phone, code)

    assert response.status_code == 422
    assert response.json()["code"] == "code_expired"


def test_code_is_valid_for_a_little_under_5_minutes(enterprise, client_from, outbox):
    with outbox.sending():
        _send(client_from(), enterprise.phone)
    code = outbox.code(enterprise.phone)

    with clock.shifted(timedelta(minutes=4, seconds=50)):
        assert _sms_login(client_from(), enterprise.phone, code).status_code == 200


def test_code_works_only_once(enterprise, client_from, outbox):
    with outbox.sending():
        _send(client_from(), enterprise.phone)
    code = outbox.code(enterprise.phone)
    assert _sms_login(client_from(), enterprise.phone, code).status_code == 200

    response = _sms_login(client_from(), enterprise.phone, code)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_code"


def test_wrong_code_is_refused_and_five_kill_the_code(enterprise, client_from, outbox):
    with outbox.sending():
        _send(client_from(), enterprise.phone)
    code = outbox.code(enterprise.phone)

    # Each try from its own IP, so that the per-IP lock below does not hide the code's own limit.
    for attempt in range(5):
        response = _sms_login(client_from(f"10.2.1.{attempt + 1}"), enterprise.phone, wrong_code(code))
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_code"

    response = _sms_login(client_from("10.2.1.99"), enterprise.phone, code)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_code"


def test_five_wrong_codes_from_one_ip_lock_that_ip(enterprise, client_from, outbox):
    with outbox.sending():
        _send(client_from(), enterprise.phone)
    code = outbox.code(enterprise.phone)
    attacker = client_from("10.2.2.1")
    for _attempt in range(5):
        assert _sms_login(attacker, enterprise.phone, wrong_code(code)).status_code == 422

    response = _sms_login(attacker, enterprise.phone, code)

    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"


def test_code_of_another_purpose_does_not_log_in(enterprise, client_from, outbox):
    with outbox.sending():
        _send(client_from(), enterprise.phone, purpose="reset")
    code = outbox.code(enterprise.phone)

    response = _sms_login(client_from(), enterprise.phone, code)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_code"


def test_code_login_refuses_a_disabled_employee(enterprise, client_from, outbox):
    person = factories.employee(enterprise)
    with tenant_context(enterprise.tenant):
        Employee.objects.filter(pk=person.pk).update(status=Employee.Status.DISABLED)
    with outbox.sending():
        _send(client_from(), person.phone)

    response = _sms_login(client_from(), person.phone, outbox.code(person.phone))

    assert response.status_code == 403
    assert response.json()["code"] == "account_disabled"


def test_code_login_in_two_enterprises_needs_a_choice(enterprise, client_from, outbox):
    second = factories.enterprise(name="第二家公司", phone=enterprise.phone)
    with outbox.sending():
        _send(client_from(), enterprise.phone)

    response = _sms_login(client_from(), enterprise.phone, outbox.code(enterprise.phone))

    assert response.status_code == 409
    assert response.json()["code"] == "enterprise_required"
    assert {item["id"] for item in response.json()["details"]["enterprises"]} == {
        enterprise.tenant_id,
        second.tenant_id,
    }


def test_unknown_numbers_are_throttled_like_known_ones(db, client_from, outbox):
    """The answers must not reveal whether a number has an account (no SMS is sent to it)."""
    unknown = "13612345678"
    with outbox.sending():
        assert _send(client_from(), unknown).status_code == 202
        response = _send(client_from(), unknown)
    assert response.status_code == 429
    assert response.json()["code"] == "code_too_frequent"
    assert outbox.count(unknown) == 0
