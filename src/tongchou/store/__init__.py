"""The store: the SQLAlchemy data model, its Alembic migrations, encryption of personal data,
the unit of work of the services, the fixture loader and the claims export (the imperative shell).
"""
