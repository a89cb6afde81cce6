"""HTTP API (Litestar): routes under ``/v1``, problem details, auth, health and metrics."""
