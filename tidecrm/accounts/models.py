"""Identities (global: phone / e-mail / password), codes, throttles, tokens and the security log.

An :class:`Account` is a person's identity across enterprises (TEN-13); their membership of one
enterprise is an :class:`tidecrm.org.models.Employee`.
"""

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tidecrm.core import clock
from tidecrm.core.models import TenantModel


class Account(models.Model):
    """A login identity. Not tenant-owned: one account may belong to several enterprises."""

    phone = models.CharField(max_length=20, unique=True)
    email = models.EmailField(null=True, blank=True)
    password = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    last_login_at = models.DateTimeField(null=True, blank=True)
    # The enterprise whose admin set the current password (a new employee's initial password, an
    # admin reset); empty once the owner set it with a code sent to the phone (reset, or
    # registration). Such a password opens that enterprise only (issue 11): the admin knows it.
    password_enterprise_id = models.BigIntegerField(null=True, blank=True)
    agreement_version = models.CharField(max_length=16, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=Q(email__isnull=False), name="account_unique_email"
            )
        ]

    def __str__(self):
        return self.phone

    def set_password(self, raw_password):
        self.password = make_password(raw_password)

    def check_password(self, raw_password):
        return bool(self.password) and check_password(raw_password, self.password)


class Membership(models.Model):
    """Which enterprises an account belongs to, and its username there (global lookup table).

    Login starts from an identity, before any tenant is known; this table answers "which
    enterprises?" without a cross-tenant scan of employees (they stay keyed by tenant_id).

    An account joins an enterprise only with its owner's consent: an admin who adds an employee
    whose phone already has an account creates an *invitation* (``joined_at`` empty). Until the
    owner accepts it — by choosing that enterprise after logging in with their own password or
    SMS code — the enterprise cannot log in as that account, and its admins never write the
    account's credentials (issue 11, finding 1).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    enterprise = models.ForeignKey("core.Tenant", on_delete=models.CASCADE, related_name="+")
    employee_id = models.BigIntegerField()
    username = models.CharField(max_length=40, null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_pending(self):
        return self.joined_at is None

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "enterprise"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["username"], name="membership_username")]


class VerificationCode(models.Model):
    """A one-time code sent by SMS (TEN-02): 6 digits, 5 minutes, 5 wrong tries."""

    class Purpose(models.TextChoices):
        REGISTER = "register", _("注册")
        LOGIN = "login", _("验证码登录")
        NEW_IP = "new_ip", _("新IP验证")
        RESET = "reset", _("找回密码")
        SUDO = "sudo", _("进入管理后台")
        TRANSFER = "transfer", _("转移企业")

    phone = models.CharField(max_length=20)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    code_hash = models.CharField(max_length=255)
    challenge_id = models.CharField(max_length=40, unique=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "purpose", "-created_at"], name="code_phone_purpose")]


class LoginLock(models.Model):
    """Consecutive login failures of one key ("account:<id>" or "ip:<address>") and its lock."""

    key = models.CharField(max_length=80, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)


class TrustedIP(models.Model):
    """An IP an account has logged in from (TEN-10): trusted for 90 days after last use."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="trusted_ips")
    ip = models.GenericIPAddressField()
    first_seen_at = models.DateTimeField(default=clock.now)
    last_seen_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "ip"], name="trusted_ip_unique")]


class SecurityEvent(TenantModel):
    """One line of the enterprise's security log (安全日志, TEN-20)."""

    class Kind(models.TextChoices):
        LOGIN_SUCCESS = "login_success", _("登录成功")
        LOGIN_FAILURE = "login_failure", _("登录失败")
        LOGIN_LOCKED = "login_locked", _("登录锁定")
        NEW_IP = "new_ip_verification", _("新IP验证")
        PASSWORD_CHANGE = "password_change", _("修改密码")
        PASSWORD_RESET = "password_reset", _("找回密码")
        SUDO = "sudo", _("进入管理后台")
        OWNER_TRANSFER = "owner_transfer", _("转移企业")
        TOKEN_CREATED = "token_created", _("创建API令牌")
        TOKEN_REVOKED = "token_revoked", _("撤销API令牌")
        LOGOUT = "logout", _("退出登录")
        INVITATION_ACCEPTED = "invitation_accepted", _("接受企业邀请")
        INVITATION_DECLINED = "invitation_declined", _("拒绝企业邀请")

    employee = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    success = models.BooleanField(default=True)
    method = models.CharField(max_length=16, blank=True)  # password / sms / token
    ip = models.GenericIPAddressField(null=True, blank=True)
    device = models.CharField(max_length=200, blank=True)
    client = models.CharField(max_length=16, blank=True)  # web / api
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["tenant", "-created_at"], name="security_event_recent")]
        ordering = ["-created_at", "-id"]


class ApiToken(TenantModel):
    """A per-employee API token. The secret is shown once; only its SHA-256 is stored.

    The token text is ``<tenant_id>.<secret>`` so a lookup starts with ``tenant_id``.
    """

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.CASCADE, related_name="api_tokens", db_index=False
    )
    name = models.CharField(_("名称"), max_length=60)
    key_hash = models.CharField(max_length=64)
    prefix = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Who created it when not the employee themselves (an admin's 代建 token): such a token works
    # in this enterprise only, never for the person's account as a whole (issue 11).
    issued_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key_hash"], name="api_token_unique_hash")]
        indexes = [models.Index(fields=["tenant", "employee"], name="api_token_employee")]
