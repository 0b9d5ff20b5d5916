"""The GROS procedure's own knowledge beside the engine: its candidate groups, each dossier's summary and
phases, the meeting calendar, the stall radar, the business calendar and the demo. It reaches the engine
only through the services and the listeners the composition root (``engine.wiring``) attaches."""
