"""Evaluation: gold questions, metrics and reports (issue 4)."""
