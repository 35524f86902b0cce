"""The cloud-neutral core: metadata, environments, plans, names, support, errors."""
