"""The ``gros`` command: one door onto the engine services for operators and scripts."""
