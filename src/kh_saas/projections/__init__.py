"""Read models built from each tenant's notification log (registers, awards, targets, audit)."""
