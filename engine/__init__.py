"""GROS werkstroom. Three layers, each importing only downward (ARCHITECTURE.md; tests/test_architecture.py):
the engine core (``bpmn``, ``store``, ``forms``, ``services``, ``derived``, ``scheduler``) runs any Camunda 7
model; ``gros`` is the procedure's domain; ``web``, ``cli`` and the top-level ``webhooks`` are the doors,
put together by ``wiring``."""
