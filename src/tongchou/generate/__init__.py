"""The synthetic region: `tongchou generate` builds a seeded, calibrated city of six counties.

This package owns the synthetic region (issue "A synthetic region", item 1): the
demo city 绍兴 (330600, seed 000) with its six former pooling units, its
people, employers, designated institutions, catalogue, enrolments, filings and
contributions, and a year of visits and admissions with fee detail, calibrated
to the county figures of seed 004 篇8, with a few supervision patterns planted
and listed in a ground-truth file. Everything is vectorised (numpy, pyarrow,
DuckDB) and deterministic: the same seed gives the same bytes.
See docs/synthetic-region.md.
"""
