"""Rendering for people: terminal text (and, later, the PR comment)."""
