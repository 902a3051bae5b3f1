"""Money to persons (issue 19 item 8 and item 5): bank payment files (代发) for manual reimbursements and
account payouts, returned payments booked back and re-issued, the second person's approval (双人复核) of
every matter moving money above the threshold, and the personal account paying for the family (家庭共济).

`rules.py`, `review.py`, `family.py`, `terms.py` are pure; `service.py` is the one module touching the store;
`cli.py` is `tongchou payment …`; `documents.py` writes the batch file. docs/front-office.md "代发".
"""
