"""What a person reads and sees: step tables (table.py, matrix_table.py), chain-rule
derivations (derivation.py), Graphviz diagrams (diagram/), the narration of a step
(narration.py), the HTML step viewer (viewer.py, assets/), animations (animation.py), plots
(plot.py), and turning DOT into SVG, PNG or PDF (render.py, fonts.py, wasm_worker.py).

May import: ``analysis``, ``engines``, ``spec``, ``core``, ``i18n``.
"""
