"""Issue 11, finding 1: no enterprise reaches another enterprise's account.

An enterprise that registers itself adds the phone of another enterprise's super admin as an
employee, then tries every way to write that account's password or to log in as it: the API,
the org page's 重置密码 modal and the employee import. An existing account joins another
enterprise only when its owner accepts (choosing the enterprise after logging in with their own
credentials, or on the invitations API); until then it is 未激活 with a pending invitation.
"""

import re

import pytest
from django.test import Client

from tests import factories
from tests.conftest import mark_sudo
from tests.core.test_imports import xlsx
from tidecrm.accounts.models import Account, ApiToken, Membership
from tidecrm.core import imports
from tidecrm.core.models import Tenant
from tidecrm.core.tenancy import tenant_context
from tidecrm.integrations.models import SandboxSms
from tidecrm.org.models import Employee
from tidecrm.signin import services as account_services

PASSWORD = factories.PASSWORD
ATTACKER_PASSWORD = "Attack1234"


@pytest.fixture
def victim(db):
    """Another enterprise's super admin: the account under attack."""
    return factories.enterprise(name="受害企业有限公司", admin_name="受害者", phone="13912340008")


@pytest.fixture
def attacker(db):
    return factories.enterprise(name="自助注册企业", admin_name="攻击者", phone="13712340001")


def _password_of(phone):
    return Account.objects.get(phone=phone)


def _assert_victim_untouched(victim):
    account = _password_of(victim.phone)
    assert account.check_password(PASSWORD)
    assert not account.check_password(ATTACKER_PASSWORD)


def _login(phone, password, enterprise_id=None):
    body = {"login": phone, "password": password}
    if enterprise_id:
        body["enterprise_id"] = enterprise_id
    return Client().post("/api/v1/auth/token", body, content_type="application/json")


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (the invitation SMS) as the real request cycle would."""
    global _capture
    _capture = django_capture_on_commit_callbacks


_capture = None


def _invited(attacker, victim, api):
    with _capture(execute=True):
        response = api(attacker).post(
            "/employees", {"name": "受害者", "phone": victim.phone, "password": ATTACKER_PASSWORD}
        )
    assert response.status_code == 201, response.content
    with tenant_context(attacker.tenant):
        return Employee.objects.get(pk=response.json()["id"])


def test_adding_an_existing_phone_invites_it_and_writes_no_password(attacker, victim, api):
    invited = _invited(attacker, victim, api)

    assert (invited.status, invited.invitation) == ("inactive", "pending")
    assert not invited.must_change_password
    _assert_victim_untouched(victim)
    membership = Membership.objects.get(account_id=victim.account_id, enterprise_id=attacker.tenant_id)
    assert membership.joined_at is None and membership.invited_at is not None
    # The person is told, by SMS, who invited them.
    assert SandboxSms.objects.filter(phone=victim.phone, text__contains="自助注册企业").exists()
    # The attacker's password does not open the account anywhere.
    assert _login(victim.phone, ATTACKER_PASSWORD).status_code == 401
    assert _login(victim.phone, ATTACKER_PASSWORD, attacker.tenant_id).status_code == 401


def test_admin_reset_of_an_invited_account_is_refused_on_the_api(attacker, victim, api):
    invited = _invited(attacker, victim, api)

    response = api(attacker).post(f"/employees/{invited.pk}/password", {"password": ATTACKER_PASSWORD})

    assert response.status_code == 409
    assert response.json()["code"] == "invitation_pending"
    _assert_victim_untouched(victim)
    assert _login(victim.phone, ATTACKER_PASSWORD, attacker.tenant_id).status_code == 401


def test_admin_reset_of_an_invited_account_is_refused_on_the_org_page(attacker, victim, api):
    invited = _invited(attacker, victim, api)
    client = Client()
    assert (
        client.post("/login/", {"login": attacker.phone, "password": PASSWORD, "agree": "1"}).status_code
        == 302
    )
    mark_sudo(client)  # the org page is enterprise settings

    page = client.post(
        f"/org/employees/{invited.pk}/edit/password/", {"password": ATTACKER_PASSWORD}, HTTP_HX_REQUEST="true"
    )

    assert page.status_code == 200
    assert 'data-code="invitation_pending"' in page.content.decode()
    _assert_victim_untouched(victim)


def test_the_employee_import_invites_and_sets_no_password(
    attacker, victim, django_capture_on_commit_callbacks
):
    with tenant_context(attacker.tenant), django_capture_on_commit_callbacks(execute=True):
        job = imports.import_start(
            actor=attacker,
            kind="employee",
            file_name="员工.xlsx",
            content=xlsx([["员工姓名", "手机", "初始密码"], ["受害者", victim.phone, ATTACKER_PASSWORD]]),
        )
    job.refresh_from_db()

    assert (job.status, job.succeeded) == ("done", 1)
    with tenant_context(attacker.tenant):
        assert Employee.objects.get(phone=victim.phone).invitation == "pending"
    _assert_victim_untouched(victim)
    assert _login(victim.phone, ATTACKER_PASSWORD, attacker.tenant_id).status_code == 401


def test_a_shared_account_is_never_written_by_an_admin_who_gets_a_reset_code_sent_instead(
    attacker, victim, api
):
    invited = _invited(attacker, victim, api)
    # The victim accepts (logs in with their own password and chooses the inviting enterprise).
    assert _login(victim.phone, PASSWORD, attacker.tenant_id).status_code == 200
    SandboxSms.objects.all().delete()

    with _capture(execute=True):
        response = api(attacker).post(f"/employees/{invited.pk}/password", {"password": ATTACKER_PASSWORD})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "account_shared" and body["details"]["reset_code_sent"] is True
    assert "忘记密码" in body["message"]
    _assert_victim_untouched(victim)
    assert SandboxSms.objects.filter(phone=victim.phone, text__contains="找回密码").count() == 1
    # ...and the victim's own enterprise cannot do it either, now that the account is shared.
    with tenant_context(victim.tenant):
        deputy = factories.employee(victim, name="副管理员", role_keys=("admin",))
    response = api(deputy).post(f"/employees/{victim.pk}/password", {"password": ATTACKER_PASSWORD})
    assert response.status_code in (403, 409)
    _assert_victim_untouched(victim)


def test_an_account_born_in_the_enterprise_may_be_reset_by_its_admin(attacker, api):
    response = api(attacker).post("/employees", {"name": "新人", "phone": "13712349999"})
    person = response.json()["id"]
    assert response.json()["status"] == "active"

    reset = api(attacker).post(f"/employees/{person}/password", {"password": "Fresh1234"})

    assert reset.status_code == 204, reset.content
    assert _login("13712349999", "Fresh1234").status_code == 200


def test_the_chooser_names_enterprises_only_after_the_accounts_own_password(attacker, victim, api):
    _invited(attacker, victim, api)

    wrong = _login(victim.phone, ATTACKER_PASSWORD)
    assert wrong.status_code == 401
    assert "enterprises" not in wrong.content.decode() and "受害企业" not in wrong.content.decode()

    right = _login(victim.phone, PASSWORD)  # one joined enterprise: straight in, no chooser
    assert right.status_code == 200
    assert right.json()["enterprise"]["id"] == victim.tenant_id


def test_accepting_by_choosing_the_enterprise_at_login(attacker, victim, api):
    invited = _invited(attacker, victim, api)
    second = factories.enterprise(name="第三家企业", admin_name="受害者", phone=victim.phone)

    asked = _login(victim.phone, PASSWORD)
    assert asked.status_code == 409
    choices = {e["name"]: e["invitation"] for e in asked.json()["details"]["enterprises"]}
    assert choices == {"受害企业有限公司": False, "第三家企业": False, "自助注册企业": True}

    joined = _login(victim.phone, PASSWORD, attacker.tenant_id)

    assert joined.status_code == 200, joined.content
    assert joined.json()["employee"]["id"] == invited.pk
    with tenant_context(attacker.tenant):
        invited.refresh_from_db()
        assert (invited.status, invited.invitation) == ("active", "")
    assert second.tenant_id != attacker.tenant_id


def test_invitations_api_accept_and_decline(attacker, victim, api):
    invited = _invited(attacker, victim, api)
    mine = api(victim)

    listed = mine.get("/me/invitations")
    assert listed.status_code == 200
    assert [(i["enterprise"]["name"], i["employee_id"]) for i in listed.json()] == [
        ("自助注册企业", invited.pk)
    ]

    assert mine.post(f"/me/invitations/{victim.tenant_id}/accept").status_code == 404
    declined = mine.post(f"/me/invitations/{attacker.tenant_id}/decline")

    assert declined.status_code == 204
    assert mine.get("/me/invitations").json() == []
    with tenant_context(attacker.tenant):
        invited.refresh_from_db()
        assert invited.invitation == "declined"
    assert _login(victim.phone, PASSWORD, attacker.tenant_id).status_code == 401
    activate = api(attacker).post(f"/employees/{invited.pk}/activate")
    assert activate.status_code == 409 and activate.json()["code"] == "invitation_pending"


def test_an_admin_cannot_activate_a_pending_invitation(attacker, victim, api):
    invited = _invited(attacker, victim, api)

    response = api(attacker).post(f"/employees/{invited.pk}/activate")

    assert response.status_code == 409 and response.json()["code"] == "invitation_pending"
    with tenant_context(attacker.tenant):
        invited.refresh_from_db()
        assert invited.status == "inactive"


def test_accepting_without_a_free_seat_changes_nothing(attacker, victim, api):
    invited = _invited(attacker, victim, api)
    Tenant.objects.filter(pk=attacker.tenant_id).update(seats_total=1)

    response = api(victim).post(f"/me/invitations/{attacker.tenant_id}/accept")

    assert response.status_code == 409 and response.json()["code"] == "seats_full"
    membership = Membership.objects.get(account_id=victim.account_id, enterprise_id=attacker.tenant_id)
    assert membership.joined_at is None
    with tenant_context(attacker.tenant):
        invited.refresh_from_db()
        assert (invited.status, invited.invitation) == ("inactive", "pending")


def test_accept_in_the_personal_settings_page(attacker, victim, api):
    _invited(attacker, victim, api)
    client = Client()
    assert (
        client.post("/login/", {"login": victim.phone, "password": PASSWORD, "agree": "1"}).status_code == 302
    )

    page = client.get("/me/").content.decode()
    assert 'data-testid="invitations"' in page and "自助注册企业" in page
    accepted = client.post(f"/switch/{attacker.tenant_id}/")

    assert accepted.status_code == 302
    assert Membership.objects.get(account_id=victim.account_id, enterprise_id=attacker.tenant_id).joined_at


def test_a_login_by_sms_code_proves_the_owner_too(attacker, victim, api, django_capture_on_commit_callbacks):
    _invited(attacker, victim, api)
    with django_capture_on_commit_callbacks(execute=True):
        account_services.login_code_send(phone=victim.phone)
    code = re.search(
        r"验证码是 (\d{6})", SandboxSms.objects.filter(text__contains="用于登录").get().text
    ).group(1)

    result = account_services.login_with_code(phone=victim.phone, code=code, enterprise_id=attacker.tenant_id)

    assert result.employee.tenant_id == attacker.tenant_id


def test_no_token_is_minted_for_an_invited_employee(attacker, victim, api):
    invited = _invited(attacker, victim, api)

    response = api(attacker).post("/me/tokens", {"name": "代建", "employee_id": invited.pk})

    assert response.status_code == 409 and response.json()["code"] == "employee_not_active"
    with tenant_context(attacker.tenant):
        assert not ApiToken.objects.filter(employee=invited).exists()


def test_tokens_made_while_an_invitation_waited_die_when_it_is_accepted(attacker, victim, api):
    invited = _invited(attacker, victim, api)
    with tenant_context(attacker.tenant):  # e.g. made before this rule existed
        ApiToken.objects.create(employee=invited, name="旧", key_hash="x" * 64, prefix="x", expires_at=None)

    assert _login(victim.phone, PASSWORD, attacker.tenant_id).status_code == 200

    with tenant_context(attacker.tenant):
        assert ApiToken.objects.get(name="旧").revoked_at is not None


def test_an_email_of_another_account_does_not_become_a_second_login(attacker, victim, api):
    Account.objects.filter(pk=victim.account_id).update(email="boss@victim.example")

    response = api(attacker).post(
        "/employees",
        {
            "name": "冒名",
            "phone": "13712348888",
            "email": "Boss@Victim.example",
            "password": ATTACKER_PASSWORD,
        },
    )

    assert response.status_code == 201, response.content
    assert Account.objects.get(phone="13712348888").email is None
    assert _login("boss@victim.example", ATTACKER_PASSWORD).status_code == 401
    assert _login("boss@victim.example", PASSWORD).json()["employee"]["id"] == victim.pk


def test_the_org_page_says_an_invitation_went_out_and_shows_it(attacker, victim):
    client = Client()
    assert (
        client.post("/login/", {"login": attacker.phone, "password": PASSWORD, "agree": "1"}).status_code
        == 302
    )
    mark_sudo(client)

    with _capture(execute=True):
        added = client.post(
            "/org/employees/new/",
            {"name": "受害者", "phone": victim.phone, "password": ATTACKER_PASSWORD},
            HTTP_HX_REQUEST="true",
        )

    assert added.status_code == 204
    assert "已向“受害者”发送加入邀请" in client.get(added.headers["HX-Redirect"]).content.decode()
    with tenant_context(attacker.tenant):
        invited = Employee.objects.get(phone=victim.phone)
    drawer = client.get(f"/org/employees/{invited.pk}/").content.decode()
    assert 'data-testid="invitation-pending"' in drawer
    assert "重置密码" not in drawer and "/activate/" not in drawer
    _assert_victim_untouched(victim)
