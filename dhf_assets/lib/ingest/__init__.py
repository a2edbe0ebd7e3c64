"""Reading the mural archive (caves.csv, murals, VOC boxes, scans) and cutting face crops."""
