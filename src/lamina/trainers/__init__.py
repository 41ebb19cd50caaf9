"""Training loops: ``compile``, ``fit``, ``evaluate`` and ``predict`` for models."""
