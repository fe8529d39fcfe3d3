"""How a person gets into an enterprise and looks after their own credentials: registration,
login (password, SMS code, the new-IP check), joining an enterprise they were invited to,
switching enterprise, passwords and sudo mode, the super-admin transfer and API tokens, with
their pages and API (SPEC TEN-01..26, API.md "Accounts and tenancy").

It sits above ``org`` because each of these flows creates or chooses an ``Employee``; the
identities themselves (accounts, memberships, codes, tokens, the session marks, the password
rule) are ``tidecrm.accounts``, below ``org``, which writes them too (decision 26).
"""
