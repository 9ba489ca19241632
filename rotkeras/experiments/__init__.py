"""Experiment runners behind the `rotkeras` command line."""
