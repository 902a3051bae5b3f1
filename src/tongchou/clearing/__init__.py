"""Clearing with designated institutions (清算): the functional core.

Pure functions over plain records (no I/O): monthly statements, 3201 totals
reconciliation, global budget (总额预算) year-end band sharing, DIP (按病种分值
付费) points, point value, pre-payment and liquidation, capitation (按人头付费).
`rules` holds the rules as data (YAML under policies/clearing/), `plan` the
year's plan, `yearend` the year end; the shell: `source` the DuckDB batch over
a claims table, `service` the store, `documents` the Chinese statements, `cli`
the command line. Money is integer fen, ratios Decimal. See docs/clearing.md.
"""
