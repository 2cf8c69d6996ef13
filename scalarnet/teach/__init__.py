"""The teaching commands: a learner's backprop function against the engine (check.py), exercise
sheets with answer keys (quiz.py), students' answers marked (grade.py), and the views of
graphs built in Python, for notebooks (explore.py).

May import: ``views``, ``analysis``, ``engines``, ``spec``, ``core``, ``micrograd``, ``i18n``.
"""
