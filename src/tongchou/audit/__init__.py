"""The access trail (审计日志): who did what, when, to which object and from where — append-only and
hash-chained so that an altered or deleted record is detected (`tongchou audit verify`).

- `models` — `audit_event` (APPEND-ONLY, one row per event) and `audit_head` (one row: the chain's last
  sequence number and hash; written only forward), migration 0008.
- `trail` — `append(session, …)` writes an event in the caller's transaction (so a change and its record
  commit together), `AuditTrail.record(…)` in its own; `verify(store)` walks the chain.
- `cli` — `tongchou audit verify|show|policies`.

What is never recorded: an unmasked ID number or phone (details are scrubbed), a password, a key.
"""
