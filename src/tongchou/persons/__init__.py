"""Persons and households: registration, changes with history, households, death, newborns (docs/front-office.md)."""
