"""Webhooks (Standard Webhooks 1.0): signed, ordered, at-least-once delivery of public events.

Each endpoint (điểm nhận) has its own cursor in the tenant's public events and its own
queue of deliveries; the dispatcher sends them in ``sequence`` order, one at a time per
endpoint, retrying on a schedule, and stores the cursor with the delivery rows in one
transaction, so a process killed at any moment loses nothing (it may send one twice: the
receiver dedupes on ``webhook-id``).
"""
