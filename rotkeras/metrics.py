"""Metrics of rotkeras."""
