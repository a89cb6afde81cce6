"""PostgreSQL plumbing: the embedded server, shared pools per cluster, migrations, event store."""
