"""The parser metadata schema (encore.parser.meta.v1), ours: the core reads it."""
