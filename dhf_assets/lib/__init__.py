"""Dagster-free logic of dhf: image, annotation, model and table code."""
