"""Benchmarks that print figures for the speed goals (``gros bench``). Not tests."""
