"""Query layer: DuckDB over the Parquet warehouse; every metric defined once (see docs/ARCHITECTURE.md)."""
