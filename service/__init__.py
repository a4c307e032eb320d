"""The composition root (``root``), the settings object (``settings``) and ``Service`` (``core``):
what every adapter builds on."""
