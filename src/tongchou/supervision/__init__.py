"""Supervision (基金监管): smart audit rules, screening, fraud cases and recovery, credit ratings,
county performance assessment. See docs/supervision.md.

Functional core: `rules` (the catalogue as data), `screening` (one claim, pure), `batch` (DuckDB SQL
over the claims and fee-detail tables), `cases` (the case workflow as pure transitions),
`postings` (recovery and fine entries), `credit` and `assessment` (scoring as data).
Thin shell: `service` (store), `hook` (settlement integration), `cli`.
"""
