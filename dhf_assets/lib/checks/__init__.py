"""What the data-quality checks assert, per cave, on the tables and files."""
