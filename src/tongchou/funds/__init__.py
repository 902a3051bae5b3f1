"""The pooled fund (统筹基金): what it took in, what it paid, and what it is heading for.

This package owns the fund-level views of the pool, per county and for the
whole region:

- the fund operation analysis (基金运行分析, ``tongchou report fund-operation``):
  funding, visits by type and institution tier, fund paid, average costs,
  year-on-year change, the full-year projection and early-warning indicators
  (``operation``, ``indicators``), computed from a claims table
  (``claims_source``) and a funding file (``funding``), rendered as JSON,
  Markdown or a self-contained web page (``render_*``);
- later: budgets and their execution, final accounts, the risk adjustment
  fund and the other statements of docs/reference/fund-rules.md.

The modules are split into a functional core (pure functions over aggregate
figures held as integer fen or exact ``Decimal``; never ``float``) and thin
imperative shells that read files and write output.
"""
