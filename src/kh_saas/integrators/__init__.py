"""What integrators get (tích hợp): the public event contract, its feed and stream, webhooks."""
