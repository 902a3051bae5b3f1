"""Visits at designated institutions: registration, description, fee lines, discharge, settlement of a visit
(`rules` pure, `service` against the store). The institution API (`tongchou.api`) translates to and from it."""
