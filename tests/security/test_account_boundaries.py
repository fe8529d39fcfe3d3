"""Issue 11, finding 1 (review): what an admin learns or makes stays inside their enterprise.

A password an admin set opens only that admin's enterprise; a token an admin minted (代建) acts
in that enterprise only; nobody mints a token for someone whose rights they lack; an invitation
is accepted only after every check of the login; invitations cannot be used to spam or probe.
"""

import pytest
from django.test import Client

from tests import factories
from tidecrm.accounts.models import Account, ApiToken, Membership
from tidecrm.core.tenancy import tenant_context
from tidecrm.integrations.models import SandboxSms
from tidecrm.org import services as org_services
from tidecrm.org.services import invitations as org_invitations
from tidecrm.signin import services as account_services

PASSWORD = factories.PASSWORD
ADMIN_SET = "Init1234"


def _login(phone, password, enterprise_id=None, ip="10.20.0.1"):
    body = {"login": phone, "password": password}
    if enterprise_id:
        body["enterprise_id"] = enterprise_id
    return Client(REMOTE_ADDR=ip).post("/api/v1/auth/token", body, content_type="application/json")


@pytest.fixture
def admin_made(enterprise, api):
    """A person whose account an admin created with a password the admin knows."""
    response = api(enterprise).post(
        "/employees", {"name": "新人", "phone": "13512340001", "password": ADMIN_SET}
    )
    assert response.status_code == 201
    return Account.objects.get(phone="13512340001")


def test_an_admin_set_password_opens_its_enterprise_only(enterprise, admin_made, api):
    assert admin_made.password_enterprise_id == enterprise.tenant_id
    assert _login(admin_made.phone, ADMIN_SET).status_code == 200

    # The person registers an enterprise of their own with the same phone: refused until they
    # set their own password, since the admin knows this one.
    refused = Client().post(
        "/api/v1/auth/register",
        {
            "enterprise_name": "自己的公司",
            "admin_name": "新人",
            "phone": admin_made.phone,
            "password": ADMIN_SET,
        },
        content_type="application/json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "password_reset_required"
    assert Membership.objects.filter(account=admin_made).count() == 1


def test_an_admin_set_password_does_not_accept_another_enterprises_invitation(enterprise, admin_made, api):
    other = factories.enterprise(name="第二家企业")
    with tenant_context(other.tenant):
        org_services.employee_create_by_admin(actor=other, name="新人", phone=admin_made.phone)

    by_password = _login(admin_made.phone, ADMIN_SET, other.tenant_id)
    assert by_password.status_code == 403 and by_password.json()["code"] == "password_reset_required"
    assert Membership.objects.get(account=admin_made, enterprise_id=other.tenant_id).joined_at is None
    # By session too: the header switch / 接受并进入 refuses.
    client = Client(REMOTE_ADDR="10.20.0.1")
    client.post("/login/", {"login": admin_made.phone, "password": ADMIN_SET, "agree": "1"})
    client.post(f"/switch/{other.tenant_id}/")
    assert Membership.objects.get(account=admin_made, enterprise_id=other.tenant_id).joined_at is None


def test_after_a_reset_by_code_the_password_is_the_owners(
    enterprise, admin_made, django_capture_on_commit_callbacks
):
    other = factories.enterprise(name="第二家企业")
    with tenant_context(other.tenant):
        org_services.employee_create_by_admin(actor=other, name="新人", phone=admin_made.phone)
    with django_capture_on_commit_callbacks(execute=True):
        account_services.password_reset_code_send(login=admin_made.phone)
    code = (
        SandboxSms.objects.filter(phone=admin_made.phone, text__contains="找回密码")
        .get()
        .text.split("验证码是 ")[1][:6]
    )
    account_services.password_reset(login=admin_made.phone, code=code, new_password="Mine12345")

    assert Account.objects.get(pk=admin_made.pk).password_enterprise_id is None
    assert _login(admin_made.phone, "Mine12345", other.tenant_id).status_code == 200


def test_an_admin_reset_marks_the_password_as_the_admins(enterprise, api):
    person = factories.employee(enterprise, name="员工")

    assert (
        api(enterprise).post(f"/employees/{person.pk}/password", {"password": ADMIN_SET}).status_code == 204
    )

    assert Account.objects.get(pk=person.account_id).password_enterprise_id == enterprise.tenant_id


def test_accepting_by_login_waits_for_the_new_ip_check(enterprise, api):
    person = factories.employee(factories.enterprise(name="本家"), name="张三")
    assert _login(person.phone, PASSWORD, ip="10.20.1.1").status_code == 200  # IP now trusted
    with tenant_context(enterprise.tenant):
        org_services.employee_create_by_admin(actor=enterprise, name="张三", phone=person.phone)

    asked = _login(person.phone, PASSWORD, enterprise.tenant_id, ip="10.20.9.9")

    assert asked.status_code == 409 and asked.json()["code"] == "verification_required"
    assert (
        Membership.objects.get(account_id=person.account_id, enterprise_id=enterprise.tenant_id).joined_at
        is None
    )


# ---------------------------------------------------------------- minted tokens (代建)


@pytest.fixture
def token_keeper(enterprise):
    """Someone whose only extra right is managing API tokens."""
    with tenant_context(enterprise.tenant):
        role = org_services.role_create(
            actor=enterprise, name="令牌管理", permissions=["settings.api_tokens"]
        )
        keeper = factories.employee(enterprise, name="令牌员", role_keys=())
        org_services.employee_set_roles(actor=enterprise, employee=keeper, roles=[role])
    return keeper


@pytest.mark.parametrize("target", ["owner", "admin", "rep"])
def test_nobody_mints_a_token_for_someone_whose_rights_they_lack(enterprise, token_keeper, api, target):
    people = {
        "owner": enterprise,
        "admin": factories.employee(enterprise, name="管理员", role_keys=("admin",)),
        "rep": factories.employee(enterprise, name="销售", role_keys=("sales",)),
    }

    response = api(token_keeper).post("/me/tokens", {"name": "冒充", "employee_id": people[target].pk})

    assert response.status_code == 403, response.content
    with tenant_context(enterprise.tenant):
        assert not ApiToken.objects.filter(name="冒充").exists()


def test_a_minted_token_acts_in_its_enterprise_only(enterprise, api):
    person = factories.employee(enterprise, name="员工")
    second = factories.enterprise(name="员工自己的公司", phone=person.phone)
    inviter = factories.enterprise(name="邀请方")
    with tenant_context(inviter.tenant):
        org_services.employee_create_by_admin(actor=inviter, name="员工", phone=person.phone)
    minted = api(enterprise).post("/me/tokens", {"name": "代建", "employee_id": person.pk}).json()["token"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {minted}")

    me = client.get("/api/v1/me").json()
    assert [e["id"] for e in me["enterprises"]] == [enterprise.tenant_id]
    assert client.get("/api/v1/me/invitations").status_code == 403
    assert client.post(f"/api/v1/me/invitations/{inviter.tenant_id}/decline").status_code == 403
    assert client.post(f"/api/v1/me/invitations/{inviter.tenant_id}/accept").status_code == 403
    change = client.post(
        "/api/v1/me/password",
        {"old_password": PASSWORD, "new_password": "Other1234"},
        content_type="application/json",
    )
    assert change.status_code == 403
    # A token made with it carries the same issuer: no way out.
    again = client.post("/api/v1/me/tokens", {"name": "再建"}, content_type="application/json").json()[
        "token"
    ]
    assert Client(HTTP_AUTHORIZATION=f"Bearer {again}").get("/api/v1/me/invitations").status_code == 403
    assert (
        Membership.objects.get(account_id=person.account_id, enterprise_id=inviter.tenant_id).joined_at
        is None
    )
    assert second.tenant_id


def test_a_token_without_a_lifetime_is_refused(enterprise):
    with tenant_context(enterprise.tenant):
        ApiToken.objects.create(
            employee=enterprise,
            name="旧",
            key_hash=account_services._token_hash("old"),
            prefix="old",
            expires_at=None,
        )
    response = Client(HTTP_AUTHORIZATION=f"Bearer {enterprise.tenant_id}.old").get("/api/v1/me")
    assert response.status_code == 401


def test_a_naive_expiry_is_read_in_the_enterprise_zone(enterprise, api):
    response = api(enterprise).post("/me/tokens", {"name": "本地时间", "expires_at": "2027-06-01T00:00:00"})
    assert response.status_code in (201, 422), response.content


def test_a_garbage_token_id_on_the_account_page_is_no_500(enterprise):
    client = Client()
    client.post("/login/", {"login": enterprise.phone, "password": PASSWORD, "agree": "1"})
    for token_id in ("abc", "", "²", "99999999999999999999999"):
        response = client.post("/me/", {"action": "token_revoke", "token_id": token_id})
        assert response.status_code in (200, 404), token_id


# ---------------------------------------------------------------- invitations are no megaphone


def test_one_phone_gets_at_most_three_invitation_texts_a_day(db, django_capture_on_commit_callbacks):
    person = factories.enterprise(name="本家")
    for index in range(5):
        inviter = factories.enterprise(name=f"邀请方{index}")
        with tenant_context(inviter.tenant), django_capture_on_commit_callbacks(execute=True):
            org_services.employee_create_by_admin(actor=inviter, name="甲", phone=person.phone)

    assert SandboxSms.objects.filter(phone=person.phone, text__contains="邀请您加入").count() == 3
    assert Membership.objects.filter(account_id=person.account_id, joined_at__isnull=True).count() == 5


def test_an_enterprise_sends_a_bounded_number_of_invitations_a_day(enterprise, api, monkeypatch):
    # Read where the limit is checked (org.services.invitations._check_invitations_allowed).
    monkeypatch.setattr(org_invitations, "INVITATIONS_PER_DAY", 2)
    phones = [factories.enterprise(name=f"别家{i}").phone for i in range(3)]

    responses = [api(enterprise).post("/employees", {"name": "甲", "phone": phone}) for phone in phones]

    assert [r.status_code for r in responses] == [201, 201, 429]
    assert responses[-1].json()["code"] == "too_many_invitations"


# ---------------------------------------------------------------- nobody is told who is registered


def test_a_reset_code_for_a_username_answers_alike_and_goes_to_nobody_when_shared(enterprise, api):
    factories.employee(enterprise, name="甲", username="zhangsan")
    other = factories.enterprise(name="别家")
    factories.employee(other, name="乙", username="zhangsan")
    client = Client()

    shared = client.post(
        "/api/v1/auth/sms-code", {"phone": "zhangsan", "purpose": "reset"}, content_type="application/json"
    )
    unknown = client.post(
        "/api/v1/auth/sms-code", {"phone": "nobody_here", "purpose": "reset"}, content_type="application/json"
    )

    assert shared.status_code == unknown.status_code == 202
    assert not SandboxSms.objects.filter(text__contains="找回密码").exists()


def test_registering_with_someone_elses_email_in_another_case_takes_no_login(enterprise):
    Account.objects.filter(pk=enterprise.account_id).update(email="boss@example.com")

    response = Client().post(
        "/api/v1/auth/register",
        {
            "enterprise_name": "新公司",
            "admin_name": "冒名",
            "phone": "13512349999",
            "password": PASSWORD,
            "email": "BOSS@example.com",
        },
        content_type="application/json",
    )

    assert response.status_code == 201
    assert Account.objects.get(phone="13512349999").email is None
    assert account_services._reset_target("boss@example.com")[0].pk == enterprise.account_id
