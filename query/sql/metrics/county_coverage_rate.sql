-- 县域覆盖率: counties covered / county-level divisions of the region, as at the end of the range
-- (stock: the latest quarter of each firm and region, never summed over quarters)
CAST(sum(counties_covered) FILTER (WHERE is_latest) AS DOUBLE)
    / nullif(CAST(sum(counties) FILTER (WHERE is_latest AND counties_covered IS NOT NULL) AS DOUBLE), 0)
