"""Offline model loading: packaged weights only, never a hub download."""
