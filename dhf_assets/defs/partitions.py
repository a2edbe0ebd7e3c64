"""Partitions: one per cave, registered by `archive_sensor` and by `dhf build`."""

import dagster as dg

CAVES_PARTITION = "caves"

caves_partitions = dg.DynamicPartitionsDefinition(name=CAVES_PARTITION)
