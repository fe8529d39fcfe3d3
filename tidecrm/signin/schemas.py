from datetime import datetime

from ninja import Field, Schema

from tidecrm.accounts.models import SecurityEvent
from tidecrm.core.api import DatetimeIn, Id, enum_of
from tidecrm.core.models import Tenant
from tidecrm.org.models import Employee


class EnterpriseOut(Schema):
    id: int
    name: str
    code: str
    status: str = enum_of(Tenant.Status.choices)


class EmployeeBriefOut(Schema):
    id: int
    name: str
    phone: str
    email: str
    username: str | None
    title: str
    status: str = enum_of(Employee.Status.choices)
    is_super_admin: bool


class RegisterIn(Schema):
    enterprise_name: str = Field(..., max_length=100)
    admin_name: str = Field(..., max_length=40)
    phone: str
    password: str
    email: str | None = None
    code: str | None = None


class InvitationOut(Schema):
    enterprise: EnterpriseOut
    employee_id: int
    name: str
    title: str
    invited_at: datetime


class InvitationAcceptedOut(Schema):
    enterprise: EnterpriseOut
    employee: EmployeeBriefOut


class LoginOut(Schema):
    token: str
    employee: EmployeeBriefOut
    enterprise: EnterpriseOut


class TokenIn(Schema):
    login: str
    password: str
    enterprise_id: Id | None = None
    challenge_id: str | None = None
    code: str | None = None


class SmsTokenIn(Schema):
    phone: str
    code: str
    enterprise_id: Id | None = None


class CodeIn(Schema):
    phone: str = Field(..., description="手机号；找回密码时也可填邮箱")
    purpose: str = enum_of(("login", "register", "reset"), pattern="^(login|register|reset)$")


class CodeOut(Schema):
    sent: bool
    message: str


class PasswordResetIn(Schema):
    login: str
    code: str
    new_password: str


class PasswordChangeIn(Schema):
    old_password: str
    new_password: str


class MeOut(Schema):
    employee: EmployeeBriefOut
    enterprise: EnterpriseOut
    enterprises: list[EnterpriseOut]
    roles: list[str]
    permissions: list[str]
    must_change_password: bool


class ApiTokenIn(Schema):
    name: str = Field(..., max_length=60)
    employee_id: Id | None = None
    expires_at: DatetimeIn | None = None


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    employee_id: int
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreatedOut(ApiTokenOut):
    token: str


class SecurityEventOut(Schema):
    id: int
    created_at: datetime
    employee_id: int | None
    employee_name: str | None
    kind: str = enum_of(SecurityEvent.Kind.choices)
    kind_label: str
    success: bool
    method: str
    ip: str | None
    device: str
    client: str
    detail: str


class TransferIn(Schema):
    to_employee_id: Id
    code: str
