"""kh_saas — hosted, event-sourced backend for the Khuyến học learning-society movement."""

__version__ = "0.1.0"
