-- 适老化网点占比 (stock: latest quarter). Every ratio divides DOUBLEs: DuckDB sums integers as HUGEINT,
-- and a HUGEINT read out of the layer becomes a decimal of scale 0 that rounds any later division.
CAST(sum(outlets_age_friendly) FILTER (WHERE is_latest) AS DOUBLE)
    / nullif(CAST(sum(outlets) FILTER (WHERE is_latest) AS DOUBLE), 0)
