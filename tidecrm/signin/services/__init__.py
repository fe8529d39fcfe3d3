"""Registration, login (password, SMS code, new-IP check), throttling, passwords, sudo mode,
super-admin transfer and API tokens (SPEC TEN-01..26, API.md "Accounts and tenancy").

Callers import the package (``from tidecrm.signin import services``); the modules hold
``registration``, ``login``, ``joining`` (answering an invitation), ``passwords`` (reset,
change, sudo, admin password, owner transfer) and ``tokens``, on the shared helpers of
``_common`` (password rule, security log, throttling, the gates of a login).
"""

from tidecrm.core.errors import BusinessError, Throttled, ValidationFailed

from ._common import Kind, LoginResult, Purpose, check_password_opens
from .joining import invitation_accept, invitation_decline
from .login import (
    TRUSTED_IP_DAYS,
    invitations,
    login_code_send,
    login_with_code,
    login_with_password,
    memberships,
    switch_enterprise,
)
from .passwords import (
    _reset_target,
    admin_password_set,
    owner_transfer,
    owner_transfer_code_send,
    password_change,
    password_reset,
    password_reset_code_send,
    sudo_enter,
)
from .registration import AGREEMENT_VERSION, enterprise_register, registration_code_send
from .tokens import _token_hash, token_authenticate, token_create, token_revoke

__all__ = [
    "AGREEMENT_VERSION",
    "TRUSTED_IP_DAYS",
    "BusinessError",
    "Kind",
    "LoginResult",
    "Purpose",
    "Throttled",
    "ValidationFailed",
    "_reset_target",
    "_token_hash",
    "admin_password_set",
    "check_password_opens",
    "enterprise_register",
    "invitation_accept",
    "invitation_decline",
    "invitations",
    "login_code_send",
    "login_with_code",
    "login_with_password",
    "memberships",
    "owner_transfer",
    "owner_transfer_code_send",
    "password_change",
    "password_reset",
    "password_reset_code_send",
    "registration_code_send",
    "sudo_enter",
    "switch_enterprise",
    "token_authenticate",
    "token_create",
    "token_revoke",
]
