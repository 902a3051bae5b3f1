"""Console access: users, roles and permissions (data in `roles.yaml`), sessions, CSRF, headers, masking.

Layout (each module small and separately testable):

- `permissions` — roles and permissions loaded from `roles.yaml`; `Principal` (who is asking, with
  which role and county) and `Principal.county_scope` (the county a query must be limited to).
- `passwords` — argon2id hashing (argon2-cffi) and the password rule.
- `models` — the `console_user`, `console_session` and `console_manual_claim` tables (migration 0006).
- `users` — `UserService`: add, change password, list, authenticate with lockout.
- `sessions` — `SessionService`: server-side sessions with idle and absolute expiry, one CSRF token each.
- `csrf` — token comparison and the pre-sign-in (double-submit) token.
- `headers` — `SecureHeadersMiddleware` (CSP without any remote origin, frame denial, …).
- `masking` — what an ID number or a phone looks like on a page.

Extension points for later work (kept out on purpose): county row-level security in PostgreSQL
(`Principal.county_scope` is the value to set as the session variable), key rotation, and the
audit trail (`UserService`/`SessionService` take a clock and return the rows they changed).
"""
