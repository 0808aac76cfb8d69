"""The query layer: DuckDB over the warehouse, every metric defined once (query/sql/). See docs/ARCHITECTURE.md."""

from query.catalog import Metric
from query.filters import MIN_PEERS, Filters, Scope
from query.warehouse import ANOMALY_HISTORY, BETTER_THAN_DEFINITION, DIMS, QueryError, Warehouse

__all__ = ["ANOMALY_HISTORY", "BETTER_THAN_DEFINITION", "DIMS", "MIN_PEERS", "Filters", "Metric", "QueryError", "Scope",
           "Warehouse"]
