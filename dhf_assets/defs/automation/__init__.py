"""Automation: which job the archive sensor and the schedule launch, and the global refresh after cave runs."""
