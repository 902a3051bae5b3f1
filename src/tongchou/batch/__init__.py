"""Batch replay and policy simulation (`tongchou simulate`).

A policy version is translated, by walking its pydantic model, into Ibis
expressions over a claims table: per-person running sums (window functions
partitioned by person, scheme and year, ordered by end date, begin date and
`setl_id`) give every capped amount exactly, in integer fen. The same
expression runs on DuckDB and on PySpark. Persons whose rules are not a
function of running sums are settled through the engine instead, and counted.
"""
