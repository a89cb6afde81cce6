"""Pure domain model: aggregates, events, rules and value types. No I/O lives here."""
