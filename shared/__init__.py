"""The platform package every service of the suite uses.

Envelope, bus, outbox, inbox, tracing, auth, problem errors, idempotency, the app factory pieces
and the test kit. Business rules never live here.
"""
