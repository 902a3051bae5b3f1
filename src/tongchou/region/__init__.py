"""The pool region's reference data as a bureau loads it: counties, institutions, the catalogue, persons with
their enrolments, filings and opening account balances (`tongchou load`, `tongchou catalogue import`)."""
