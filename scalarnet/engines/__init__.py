"""The engines: what they share, the step record and the training loop (record.py); the scalar
engine that builds and walks the node graph of a batch (scalar.py, ``Exercise``); the graph
traced once and replayed over numpy (compiled.py); the numpy matrix engine for layered
networks (matrix.py); a trained exercise on any examples (evaluate.py); the quantities an
exercise asks for at a step (quantities.py).

May import: ``core``, ``spec``, ``i18n``.
"""
