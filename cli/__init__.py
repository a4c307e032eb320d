"""The ``rag`` command (``cli.main``): an adapter over ``service.core.Service``."""
