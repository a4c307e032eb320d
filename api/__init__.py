"""HTTP adapter over the rag library (issue 5)."""
