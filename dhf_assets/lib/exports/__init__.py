"""Dataset exports: the paper's layout, an imagefolder, COCO, versioned releases and training selections.

Dagster-free: every function takes the DuckDB path, the archive and output folders, and the caves
to export, and writes into a folder that is built beside its target and swapped in at the end.
"""
