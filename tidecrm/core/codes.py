"""Every error code the product answers, as a named constant (API.md "Errors").

A code is the ``code`` of a :class:`tidecrm.core.errors.BusinessError` (and of its subclasses),
of a bulk action's ``failed`` item, and of an import's refusal. The values are a public contract
(API.md, integrators, the black-box tests): never rename one; add a new code instead. Services
raise ``BusinessError(codes.INVALID_TRANSITION, _("..."))``; ``tests/core/test_codes.py`` refuses
a code written as a string literal at a raise site.

Each comment says what the code means and its HTTP status (the status the raise sites use; the
default of ``BusinessError`` is 409).
"""

# ---------------------------------------------------------------- any request (core.errors, core.api)
CONFLICT = "conflict"  # 409: the default refusal; a save that lost a race ("保存冲突，请重试")
NOT_FOUND = "not_found"  # 404: missing, of another enterprise, or outside the caller's data scope
PERMISSION_DENIED = "permission_denied"  # 403: no function permission, or a read-only collaborator
NOT_AUTHENTICATED = "not_authenticated"  # 401: no valid token or session
VALIDATION_ERROR = "validation_error"  # 422: input that cannot be accepted; details.fields says where
BAD_REQUEST = "bad_request"  # 400: a request Django refuses (suspicious operation, bad request)
MALFORMED_MULTIPART = "malformed_multipart"  # 400: a multipart body that cannot be parsed
METHOD_NOT_ALLOWED = "method_not_allowed"  # 405: the path exists, the HTTP method does not
ERROR = "error"  # any other HTTP error of the API framework, answered with that error's status
CSRF_FAILED = "csrf_failed"  # 403: a session call that changes data without a valid CSRF token
INVALID_TRANSITION = "invalid_transition"  # 409: the record's state forbids this action
FEATURE_DISABLED = "feature_disabled"  # 403: the enterprise has not switched this feature on (orders)

# ---------------------------------------------------------------- uploads, imports, exports (core)
FILE_TOO_LARGE = "file_too_large"  # 409: an import file over 20 MB
INVALID_FILE = "invalid_file"  # 409 (import file) / 422 (upload): a file that cannot be read or taken
FILE_ENCRYPTED = "file_encrypted"  # 409: a password-protected spreadsheet
FILE_TOO_COMPLEX = "file_too_complex"  # 409: a spreadsheet too big to unpack or parse within limits
EMPTY_FILE = "empty_file"  # 409: a spreadsheet with a header and no data row
TOO_MANY_ROWS = "too_many_rows"  # 409: more rows than one import may carry
MERGED_CELLS = "merged_cells"  # 409: a spreadsheet with merged cells
MISSING_COLUMNS = "missing_columns"  # 409: an import file without a required column
EXPORT_TOO_LARGE = "export_too_large"  # 409: more rows than one export file may carry

# ---------------------------------------------------------------- login, registration, passwords (accounts)
INVALID_CREDENTIALS = "invalid_credentials"  # 401: wrong phone/username or password, or no enterprise
ENTERPRISE_REQUIRED = "enterprise_required"  # 409: the account belongs to several enterprises: pick one
ENTERPRISE_FROZEN = "enterprise_frozen"  # 403: the enterprise is frozen
ACCOUNT_DISABLED = "account_disabled"  # 403: the employee is disabled
ACCOUNT_RESIGNED = "account_resigned"  # 403: the employee has resigned
ACCOUNT_NOT_ACTIVATED = "account_not_activated"  # 403: the employee is not activated yet
PASSWORD_RESET_REQUIRED = "password_reset_required"  # noqa: S105 - 403: an admin-set password, one enterprise
VERIFICATION_REQUIRED = "verification_required"  # 409: a login from a new IP needs an SMS code (TEN-10)
TOO_MANY_ATTEMPTS = "too_many_attempts"  # 429: too many failed logins; try again later
INVALID_PASSWORD = "invalid_password"  # noqa: S105 - 422: the current password is wrong
PHONE_REGISTERED = "phone_registered"  # 409: the phone already has an account (registration)

# ---------------------------------------------------------------- SMS codes (accounts, integrations)
INVALID_CODE = "invalid_code"  # 422: a wrong, used or unknown SMS code
CODE_EXPIRED = "code_expired"  # 422: an SMS code past its validity
CODE_TOO_FREQUENT = "code_too_frequent"  # 429: another code asked for too soon
CODE_DAILY_LIMIT = "code_daily_limit"  # 429: the phone's codes for today are used up
SMS_FAILED = "sms_failed"  # 502: the SMS provider did not accept the message

# ---------------------------------------------------------------- employees, departments, roles (org)
SEATS_FULL = "seats_full"  # 409: every paid seat is taken
EMPLOYEE_EXISTS = "employee_exists"  # 409: the phone is already an employee of this enterprise
USERNAME_TAKEN = "username_taken"  # 409: the username is already used
USERNAME_IMMUTABLE = "username_immutable"  # 409: a username, once set, cannot change
EMPLOYEE_NOT_ACTIVE = "employee_not_active"  # 409: the target employee has resigned or is disabled
EMPLOYEE_NOT_RESIGNED = "employee_not_resigned"  # 409: only a resigned employee's data is inherited
INVITATION_PENDING = "invitation_pending"  # 409: the employee has not accepted the invitation yet
TOO_MANY_INVITATIONS = "too_many_invitations"  # 429: today's invitations are used up
ACCOUNT_SHARED = "account_shared"  # 409: the account is in other enterprises: it resets its own password
CANNOT_CHANGE_SELF = "cannot_change_self"  # 409: an employee cannot change their own status
SUPER_ADMIN_IMMUTABLE = "super_admin_immutable"  # 409: the super admin cannot be changed so by an admin
SUPERVISOR_CYCLE = "supervisor_cycle"  # 409: a supervisor chain that would loop
DEPARTMENT_TOO_DEEP = "department_too_deep"  # 409: more than five levels of departments
DUPLICATE_DEPARTMENT = "duplicate_department"  # 409: a sibling department has the same name
INVALID_PARENT = "invalid_parent"  # 409: a department moved under itself or its own child
DEPARTMENT_NOT_EMPTY = "department_not_empty"  # 409: a department that still has children or staff
DUPLICATE_ROLE = "duplicate_role"  # 409: a role with the same name exists
SYSTEM_ROLE = "system_role"  # 409: a system role cannot be renamed, deleted or changed so

# ---------------------------------------------------------------- holding and ownership (rules, leads, ...)
HOLDING_LIMIT_REACHED = "holding_limit_reached"  # 409: the employee holds as many records as allowed
ALREADY_CLAIMED = "already_claimed"  # 409: someone else claimed the lead or customer first
DAILY_CLAIM_LIMIT_REACHED = "daily_claim_limit_reached"  # 409: today's claims are used up
RECLAIM_COOLDOWN = "reclaim_cooldown"  # 409: released or recycled too recently to claim it back
SAME_OWNER = "same_owner"  # 409: the customer is already held by that employee
LIBRARY_MISMATCH = "library_mismatch"  # 409: the employee is not in the customer's library
DELETION_FORBIDDEN = "deletion_forbidden"  # 403: the enterprise forbids deleting customers

# ---------------------------------------------------------------- leads
DUPLICATE_LEAD = "duplicate_lead"  # 409: a lead (or a contact) with this phone or name exists

# ---------------------------------------------------------------- customers and contacts
DUPLICATE_CUSTOMER = "duplicate_customer"  # 409: a customer with this name or phone exists
CONTACT_LIMIT_REACHED = "contact_limit_reached"  # 409: a customer has at most 10 contacts
LAST_CONTACT = "last_contact"  # 409: a customer keeps at least one contact
PRIMARY_CONTACT_REQUIRED = "primary_contact_required"  # 409: deleting the primary contact needs a new one
COLLABORATOR_IS_OWNER = "collaborator_is_owner"  # 409: the customer's owner is not added as a collaborator

# ---------------------------------------------------------------- customer settings (libraries, stages, tags)
DUPLICATE_LIBRARY = "duplicate_library"  # 409: a library with the same name exists
DEFAULT_LIBRARY = "default_library"  # 409: the default library cannot be deleted
LIBRARY_NOT_EMPTY = "library_not_empty"  # 409: a library that still has customers
DUPLICATE_STAGE = "duplicate_stage"  # 409: a customer stage or an opportunity stage with the same name
STAGE_LIMIT_REACHED = "stage_limit_reached"  # 409: too many (or, for opportunity stages, too few) stages
TERMINAL_STAGE = "terminal_stage"  # 409: the last customer stage is fixed
STAGE_IN_USE = "stage_in_use"  # 409: a stage with records on it, deleted without a stage to move them to
DUPLICATE_TAG_GROUP = "duplicate_tag_group"  # 409: a tag group with the same name exists
TAG_GROUP_IN_USE = "tag_group_in_use"  # 409: a group made single-choice while customers hold several
DUPLICATE_TAG = "duplicate_tag"  # 409: the group has a tag with the same name

# ---------------------------------------------------------------- sales (opportunities, contracts, products)
LAST_STAGE = "last_stage"  # 409: the last opportunity stage (won) cannot be deleted or moved
OPPORTUNITY_HAS_CONTRACT = "opportunity_has_contract"  # 409: the opportunity already has a contract
CONTRACT_IN_APPROVAL = "contract_in_approval"  # 409: a customer with a contract in approval stays held
PLAN_EXCEEDS_AMOUNT = "plan_exceeds_amount"  # 409: payment plans above the contract (order) amount
PAYMENT_EXCEEDS_AMOUNT = "payment_exceeds_amount"  # 409: payments above the amount, not confirmed
INVOICE_EXCEEDS_AMOUNT = "invoice_exceeds_amount"  # 409: invoices above the amount
DUPLICATE_CATEGORY = "duplicate_category"  # 409: a sibling product category has the same name
CATEGORY_TOO_DEEP = "category_too_deep"  # 409: product categories nested too deep
CATEGORY_NOT_EMPTY = "category_not_empty"  # 409: a category that still has children or products
DUPLICATE_SKU = "duplicate_sku"  # 409: a product with the same code exists

# ---------------------------------------------------------------- approvals (office)
APPROVAL_PENDING = "approval_pending"  # 409: the record is already in approval
ALREADY_DECIDED = "already_decided"  # 409: the approval (or its step) has already been decided
NOT_APPROVER = "not_approver"  # 403: the caller is not an approver of the current step
