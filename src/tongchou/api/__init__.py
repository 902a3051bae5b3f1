"""The institution API: real-time one-stop settlement in the national interface's shape.

Owns the wire format (the national envelope and each transaction's fields,
docs/reference/national-interface.md), request signing and replay protection
(docs/reference/contracts.md), and the FastAPI app that maps transactions onto the
services. Business rules stay in the services and the engine.
"""
