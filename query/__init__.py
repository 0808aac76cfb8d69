"""The query layer: DuckDB over the warehouse, every metric defined once (query/sql/). See docs/ARCHITECTURE.md."""

from query.catalog import Metric
from query.filters import Filters, Scope
from query.warehouse import DIMS, QueryError, Warehouse

__all__ = ["DIMS", "Filters", "Metric", "QueryError", "Scope", "Warehouse"]
