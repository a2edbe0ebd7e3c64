"""DuckDB connections and tables, output files, quarantine rows, SQL models and what changed since a build."""
