"""Wire-compatible protobuf schemas (Encore app metadata and runtime config)."""
