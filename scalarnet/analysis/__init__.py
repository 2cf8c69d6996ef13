"""Analyses of a step: the chain rule of each gradient, path by path (derive.py); the catalogue
of typical hand-derivation mistakes that reproduce wrong gradients (diagnose.py); every engine
side by side (compare.py). Results only: formatting them is the views' work.

May import: ``engines``, ``spec``, ``core``, ``i18n``.
"""
