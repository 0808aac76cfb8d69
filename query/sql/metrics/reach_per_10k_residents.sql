-- 每万人触达人次: offline reach / (residents / 10,000). Each region's population counts once per
-- group however many firms and quarters report it (region_first); regions without a population
-- (总公司/全国) are left out of both sides.
CAST(sum(reach_offline) FILTER (WHERE population IS NOT NULL) AS DOUBLE)
    / nullif(CAST(sum(population) FILTER (WHERE region_first) AS DOUBLE) / 10000, 0)
