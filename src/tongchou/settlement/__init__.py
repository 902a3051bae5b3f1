"""The settlement engine: one visit or admission, under a policy, becomes who pays what.

Pure functions over plain data, no I/O: `split_items` (step 1 of
docs/reference/settlement-rules.md), `settle` (steps 2–7), `cancel` (step 8's exact inverse on
the year-to-date state). Money is integer fen throughout. `claims_io` reads and
writes the `tongchou settle` line format; `cli` is the command.
"""
