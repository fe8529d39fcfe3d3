"""TEN-11 forgot / reset password, TEN-23 change password, hashing with argon2."""

import importlib

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client

from tests import factories
from tests.accounts.conftest import wrong_code
from tidecrm.accounts.models import Account, SecurityEvent
from tidecrm.accounts.sessions import SESSION_ACCOUNT, SESSION_AUTH_HASH, SESSION_EMPLOYEE, auth_hash
from tidecrm.core.tenancy import tenant_context

PASSWORD = factories.PASSWORD
NEW_PASSWORD = "Fresh2026pw"


def _login(client, login, password):
    return client.post("/auth/token", {"login": login, "password": password})


def _request_reset_code(client, login, outbox):
    with outbox.sending():
        response = client.post("/auth/sms-code", {"phone": login, "purpose": "reset"})
    assert response.status_code == 202, response.content
    return response


def _reset(client, login, code, new_password=NEW_PASSWORD):
    return client.post("/auth/password-reset", {"login": login, "code": code, "new_password": new_password})


def _password_of(employee):
    return Account.objects.get(pk=employee.account_id).password


# ---------------------------------------------------------------- forgot password


def test_forgot_password_by_phone(enterprise, client_from, outbox):
    client = client_from()
    _request_reset_code(client, enterprise.phone, outbox)

    response = _reset(client, enterprise.phone, outbox.code(enterprise.phone))

    assert response.status_code == 204, response.content
    assert _login(client, enterprise.phone, PASSWORD).status_code == 401
    assert _login(client, enterprise.phone, NEW_PASSWORD).status_code == 200
    with tenant_context(enterprise.tenant):
        assert SecurityEvent.objects.filter(kind="password_reset", employee_id=enterprise.pk).count() == 1


def test_forgot_password_by_email_sends_to_the_accounts_phone(enterprise, client_from, outbox):
    Account.objects.filter(pk=enterprise.account_id).update(email="boss@example.com")
    client = client_from()
    _request_reset_code(client, "boss@example.com", outbox)

    response = _reset(client, "boss@example.com", outbox.code(enterprise.phone))

    assert response.status_code == 204, response.content
    assert _login(client, "boss@example.com", NEW_PASSWORD).status_code == 200


def test_forgot_password_for_an_unknown_number_answers_alike_and_sends_nothing(db, client_from, outbox):
    phone = factories.next_phone()

    response = _request_reset_code(client_from(), phone, outbox)

    assert response.json()["sent"] is True
    assert outbox.count(phone) == 0
    reset = _reset(client_from(), phone, "123456")
    assert reset.status_code == 422
    assert reset.json()["code"] == "invalid_code"


def test_forgot_password_wrong_code_changes_nothing(enterprise, client_from, outbox):
    _request_reset_code(client_from(), enterprise.phone, outbox)
    before = _password_of(enterprise)

    response = _reset(client_from(), enterprise.phone, wrong_code(outbox.code(enterprise.phone)))

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_code"
    assert _password_of(enterprise) == before


def test_forgot_password_weak_password_keeps_the_code(enterprise, client_from, outbox):
    _request_reset_code(client_from(), enterprise.phone, outbox)
    code = outbox.code(enterprise.phone)

    response = _reset(client_from(), enterprise.phone, code, new_password="weak")

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert "new_password" in response.json()["details"]["fields"]
    assert _reset(client_from(), enterprise.phone, code).status_code == 204


def test_forgot_password_code_dies_after_five_wrong_tries(enterprise, client_from, outbox):
    _request_reset_code(client_from(), enterprise.phone, outbox)
    code = outbox.code(enterprise.phone)
    before = _password_of(enterprise)

    for _attempt in range(5):
        assert _reset(client_from(), enterprise.phone, wrong_code(code)).status_code == 422

    response = _reset(client_from(), enterprise.phone, code)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_code"
    assert _password_of(enterprise) == before


def test_forgot_password_code_works_once(enterprise, client_from, outbox):
    _request_reset_code(client_from(), enterprise.phone, outbox)
    code = outbox.code(enterprise.phone)
    assert _reset(client_from(), enterprise.phone, code).status_code == 204

    response = _reset(client_from(), enterprise.phone, code, new_password="Another2026")

    assert response.status_code == 422
    assert _login(client_from(), enterprise.phone, NEW_PASSWORD).status_code == 200


def test_reset_lifts_the_account_lock(enterprise, client_from, outbox):
    attacker = client_from("10.3.0.1")
    for _attempt in range(5):
        _login(attacker, enterprise.phone, "Wrong12345")
    assert _login(client_from("10.3.0.2"), enterprise.phone, PASSWORD).status_code == 429
    _request_reset_code(client_from("10.3.0.2"), enterprise.phone, outbox)

    assert _reset(client_from("10.3.0.2"), enterprise.phone, outbox.code(enterprise.phone)).status_code == 204

    assert _login(client_from("10.3.0.2"), enterprise.phone, NEW_PASSWORD).status_code == 200


# ---------------------------------------------------------------- change password (/me/password)


def test_change_password(enterprise, api, client_from):
    response = api(enterprise).post("/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 204, response.content
    assert _login(client_from(), enterprise.phone, PASSWORD).status_code == 401
    assert _login(client_from(), enterprise.phone, NEW_PASSWORD).status_code == 200
    with tenant_context(enterprise.tenant):
        assert SecurityEvent.objects.filter(kind="password_change", employee_id=enterprise.pk).count() == 1


@pytest.mark.parametrize(
    "old, new, code, field",
    [
        ("Wrong12345", NEW_PASSWORD, "invalid_password", "old_password"),
        (PASSWORD, "weak", "validation_error", "new_password"),
        (PASSWORD, "abcdefghij", "validation_error", "new_password"),
        (PASSWORD, PASSWORD, "validation_error", "new_password"),
    ],
)
def test_change_password_refusals_change_nothing(enterprise, api, old, new, code, field):
    before = _password_of(enterprise)

    response = api(enterprise).post("/me/password", {"old_password": old, "new_password": new})

    assert response.status_code == 422
    assert response.json()["code"] == code
    assert field in response.json()["details"]["fields"]
    assert _password_of(enterprise) == before


def test_change_password_needs_a_caller(db, api):
    response = api().post("/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 401


def _browser_session(employee):
    """Return a test client logged in through the web session (as the login page does)."""
    client = Client()
    session = client.session
    session[SESSION_ACCOUNT] = employee.account_id
    session[SESSION_EMPLOYEE] = employee.pk
    session[SESSION_AUTH_HASH] = auth_hash(Account.objects.get(pk=employee.account_id))
    session.save()
    return client


def test_change_password_ends_other_browser_sessions(enterprise, api):
    browser = _browser_session(enterprise)
    assert browser.get("/api/v1/me").status_code == 200

    assert (
        api(enterprise)
        .post("/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD})
        .status_code
        == 204
    )

    response = browser.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# ---------------------------------------------------------------- hashing


def test_argon2_is_the_production_hasher():
    # The shared conftest puts a fast hasher first for the tests; the settings module itself
    # must keep argon2 first.
    production = importlib.import_module("tidecrm.settings")

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_passwords_are_stored_with_argon2(db, settings):
    production = importlib.import_module("tidecrm.settings")
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    account = Account(phone=factories.next_phone())

    account.set_password(PASSWORD)

    assert account.password.startswith("argon2$argon2id$")
    assert identify_hasher(account.password).algorithm == "argon2"
    assert PASSWORD not in account.password
    assert account.check_password(PASSWORD)
    assert not account.check_password("Wrong12345")
    assert make_password(PASSWORD).startswith("argon2$")
