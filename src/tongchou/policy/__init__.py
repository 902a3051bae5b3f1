"""Policies as data: the schema of policy files, loading, validation and resolution.

A policy is a YAML file under `policies/` with a stable id, a pooling region, a
scheme and dated versions. This package owns its schema (pydantic, exported as
JSON Schema in docs/), the loader that reports a malformed file with its path
and reason, and the resolution of the version in force for a claim.
"""
