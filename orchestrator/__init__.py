"""Deploy Encore-style apps: parser metadata in, infrastructure and runtime config out."""
