"""Model tests for process owners: scenarios in YAML next to the models (``processen/tests/*.yaml``) run
against the real engine — starting, completing tasks as a group, delivering messages, moving the clock —
and the audit trail of the run tells which elements and sequence flows of each process they reached.

    scenarios.py  read and check the YAML files (Dutch errors naming file, scenario and step)
    runner.py     play each scenario through the engine's services and compare what it expects
    coverage.py   the models' elements and flows, and which of them a run's audit trail reached
    report.py     the coverage as a table and as the diagrams themselves in one HTML file

Like the rest of the core this package knows no GROS: the ``gros test`` command opens the engine with the
domain's listeners and hands in how to read a dossier's outcome and phase.
"""
