"""Prefect orchestration for newsclean: thin flows over cleaners/ (no cleaning logic here)."""
