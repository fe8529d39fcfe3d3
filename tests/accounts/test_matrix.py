"""Accounts API: the permission matrix (STYLE habit 9) over every route of ``tidecrm/signin/api.py``.

The /auth routes are open to anonymous callers; every other route answers anonymous 401. A
logged-in caller succeeds; an employee without the admin right gets 403; a route that names a
token, an employee or an invitation answers 404 for another account's or another enterprise's,
and a refusal changes nothing (accounts, memberships, employees, tokens, codes, security log).
"""

from dataclasses import dataclass

import pytest

from tests import factories
from tests.matrix import Case, call, module_world, uncovered_routes
from tidecrm.accounts.models import Account, ApiToken, Membership, SecurityEvent, VerificationCode
from tidecrm.core.models import Tenant
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services as org_services
from tidecrm.org.models import Employee
from tidecrm.signin import services as account_services

PASSWORD = factories.PASSWORD
NEW_PASSWORD = "NewSecret456"
NOT_FOUND = (404, "not_found")
DENIED = (403, "permission_denied")


@dataclass
class A(Case):
    """An accounts case. The path names records as ``{token}``, ``{invitation}`` of world[side];
    a callable body is given world[side] too."""

    caller: str = "owner"  # who succeeds: the super admin, or "member" (the invited account)
    member: tuple | None = None  # what the 普通员工 gets when it is not the caller that succeeds
    label: str = ""  # told apart from another row of the same route in the test ids

    def __str__(self):
        return f"{super().__str__()} {self.label}".strip()

    def url(self, world, side="own"):
        return self.path.format(**world[side])

    def payload(self, world, side="own"):
        return self.body(world[side]) if callable(self.body) else self.body


def _build():
    """Enterprise A (super admin, a 普通员工, a colleague; tokens of the first two) and B, which invited
    the 普通员工's account; C invited the super admin's account. A's 普通员工 may answer B."""
    owner = factories.enterprise(name="矩阵账号企业")
    other = factories.enterprise(name="矩阵邀请企业")
    third = factories.enterprise(name="矩阵第三企业")
    member = factories.employee(owner, name="普通员工", role_keys=("member",))
    colleague = factories.employee(owner, name="同事", role_keys=("sales",))
    foreign_employee = factories.employee(other, name="外企员工", role_keys=("sales",))
    with tenant_context(other.tenant):
        org_services.employee_create(actor=other, name="受邀普通员工", phone=member.phone)
    with tenant_context(third.tenant):
        org_services.employee_create(actor=third, name="受邀管理员", phone=owner.phone)

    def token(employee, name):
        with tenant_context(employee.tenant):
            return account_services.token_create(actor=employee, name=name)[0].pk

    return {
        "owner": owner,
        "member": member,
        "own": {
            "token": token(owner, "管理员的令牌"),
            "employee": colleague.pk,
            "invitation": other.tenant_id,
        },
        "foreign": {
            "token": token(foreign_employee, "外企的令牌"),
            "employee": foreign_employee.pk,
            "invitation": third.tenant_id,  # the super admin's invitation, not the 普通员工's
        },
        "member_token": token(member, "普通员工的令牌"),
        "tenants": [owner.tenant, other.tenant, third.tenant],
    }


shared_world = module_world(_build)


@pytest.fixture
def world(db, shared_world):
    return shared_world


def _transfer(ids):
    return {"to_employee_id": ids["employee"], "code": ids.get("code", "000000")}


CASES = [
    A("get", "/me"),
    A("get", "/me/invitations", caller="member"),
    A("post", "/me/invitations/{invitation}/accept", {}, record="invitation", caller="member"),
    A("post", "/me/invitations/{invitation}/decline", {}, record="invitation", caller="member"),
    A("post", "/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}),
    A("get", "/me/tokens"),
    A("get", "/me/tokens?all=true", permission="settings.api_tokens", member=DENIED),
    A("post", "/me/tokens", {"name": "脚本"}),
    A(
        "post",
        "/me/tokens",
        lambda ids: {"name": "代建令牌", "employee_id": ids["employee"]},
        "settings.api_tokens",
        "employee",
        member=DENIED,
        label="代建",
    ),
    # Another account's token is not there for a caller without 管理全员 API 令牌.
    A("delete", "/me/tokens/{token}", record="token", member=NOT_FOUND),
    A("get", "/security-log", permission="settings.security_log", member=DENIED),
    A("post", "/enterprise/transfer/code", {}, "settings.transfer_owner", member=DENIED, ok=(202,)),
    A("post", "/enterprise/transfer", _transfer, "settings.transfer_owner", "employee", member=DENIED),
]
INVITATION_CASES = [c for c in CASES if c.record == "invitation"]


# Open to anonymous callers: each has its own test at the end of the module.
PUBLIC = [
    ("post", "/auth/register"),
    ("post", "/auth/token"),
    ("post", "/auth/token/sms"),
    ("post", "/auth/sms-code"),
    ("post", "/auth/password-reset"),
]


def test_every_accounts_route_has_a_row():
    assert uncovered_routes("accounts", [(c.method, c.path) for c in CASES] + PUBLIC) == []


def _snapshot(tenants):
    """The identity tables (global) and, per enterprise, its employees, tokens and security log.
    A token's ``last_used_at`` moves on the caller's own request and is left out."""
    token_fields = [f.attname for f in ApiToken._meta.concrete_fields if f.name != "last_used_at"]
    rows = {
        "accounts": list(Account.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "codes": list(VerificationCode.objects.order_by("pk").values()),
        "tenants": list(Tenant.objects.order_by("pk").values()),
    }
    for tenant in tenants:
        with tenant_context(tenant):
            rows[tenant.pk] = (
                list(Employee.objects.order_by("pk").values()),
                list(ApiToken.objects.order_by("pk").values(*token_fields)),
                list(SecurityEvent.objects.order_by("pk").values()),
            )
    return rows


def _answer(response):
    return response.status_code, response.json().get("code")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_anonymous_gets_401(case, db, api):
    fake = {"own": {"token": 1, "employee": 1, "invitation": 1}}
    assert _answer(call(api(), case, fake)) == (401, "not_authenticated")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_logged_in_caller_succeeds(case, world, api, outbox):
    client = api(world[case.caller])
    ids = dict(world["own"])
    if case.path == "/enterprise/transfer":
        with outbox.sending():
            assert client.post("/enterprise/transfer/code").status_code == 202
        ids["code"] = outbox.code(world["owner"].phone)
    response = call(client, case, {"own": ids})
    assert response.status_code in case.ok, response.content


@pytest.mark.parametrize("case", [c for c in CASES if c.member], ids=str)
def test_without_permission_gets_refused_and_changes_nothing(case, world, api):
    client = api(world["member"])
    before = _snapshot(world["tenants"])
    response = call(client, case, world)
    assert _answer(response) == case.member, response.content
    assert _snapshot(world["tenants"]) == before


@pytest.mark.parametrize("case", INVITATION_CASES, ids=str)
def test_another_accounts_invitation_is_404_and_untouched(case, world, api):
    """The super admin names the enterprise that invited the 普通员工, not it."""
    client = api(world["owner"])
    before = _snapshot(world["tenants"])
    response = call(client, case, world)
    assert _answer(response) == NOT_FOUND, response.content
    assert _snapshot(world["tenants"]) == before


@pytest.mark.parametrize("case", [c for c in CASES if c.record], ids=str)
def test_other_enterprise_id_is_404_and_untouched(case, world, api):
    client = api(world[case.caller])
    before = _snapshot(world["tenants"])
    response = call(client, case, world, side="foreign")
    assert _answer(response) == NOT_FOUND, response.content
    assert _snapshot(world["tenants"]) == before


def test_member_revokes_its_own_token_but_not_the_admins(world, api):
    client = api(world["member"])
    assert client.delete(f"/me/tokens/{world['own']['token']}").status_code == 404
    assert client.delete(f"/me/tokens/{world['member_token']}").status_code == 204
    assert ApiToken.unscoped.get(pk=world["own"]["token"]).revoked_at is None


# ---------------------------------------------------------------- the open /auth routes


def _code(client, outbox, phone, purpose):
    with outbox.sending():
        response = client.post("/auth/sms-code", {"phone": phone, "purpose": purpose})
    assert response.status_code == 202, response.content
    return outbox.code(phone)


def test_register_needs_no_login(db, api):
    response = api().post(
        "/auth/register",
        {
            "enterprise_name": "匿名注册企业",
            "admin_name": "新人",
            "phone": "13955550001",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.content


def test_token_needs_no_login(world, api):
    response = api().post("/auth/token", {"login": world["owner"].phone, "password": PASSWORD})
    assert response.status_code == 200, response.content
    assert response.json()["employee"]["id"] == world["owner"].pk


def test_sms_code_and_sms_token_need_no_login(world, api, outbox):
    phone = world["owner"].phone
    code = _code(api(), outbox, phone, "login")
    response = api().post("/auth/token/sms", {"phone": phone, "code": code})
    assert response.status_code == 200, response.content
    assert response.json()["employee"]["id"] == world["owner"].pk


def test_password_reset_needs_no_login(world, api, outbox):
    phone = world["member"].phone
    code = _code(api(), outbox, phone, "reset")
    response = api().post(
        "/auth/password-reset", {"login": phone, "code": code, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 204, response.content
