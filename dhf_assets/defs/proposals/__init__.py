"""Face-box proposals: the detectors run over whole murals that nobody has annotated yet."""
