"""Deprecated: the training utilities moved to `rotkeras.training`.

`rotkeras.experiments.training` still imports (with a `DeprecationWarning`) for code written
against earlier versions; the command-line tools are in `rotkeras.cli`.
"""
