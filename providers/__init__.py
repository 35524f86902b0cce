"""Targets: one package per cloud (and `local`), the same module names in each."""
