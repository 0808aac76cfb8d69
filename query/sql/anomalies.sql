-- Firm × region cells of quarter $period whose complaints jump against their own history (Warehouse.anomalies).
-- Baselines over every firm and region of {source}; the code then keeps the cells its filters choose.
-- {source}: complaints, or base_complaints with {safe} (a member's peer-safe rows); both fixed strings of the code.
-- $start: the quarter ANOMALY_HISTORY quarters before $period.
WITH cells AS (
    SELECT firm_id, region_code, period,
           CAST(sum(complaints_total) AS BIGINT) AS complaints,
           CAST(sum(proxy_surrender_suspected) AS BIGINT) AS proxy
    FROM {source}
    WHERE period BETWEEN $start AND $period AND {safe}
    GROUP BY firm_id, region_code, period
),
-- a cell's own history: its earlier quarters (how many), their median and the median distance from it (MAD)
past AS (
    SELECT firm_id, region_code, list(complaints) AS complaints
    FROM cells
    WHERE period < $period
    GROUP BY firm_id, region_code
),
history AS (
    SELECT firm_id, region_code, quarters, baseline_median,
           list_median(list_transform(complaints, lambda x: abs(x - baseline_median))) AS mad
    FROM (SELECT firm_id, region_code, complaints, len(complaints) AS quarters,
                 list_median(complaints) AS baseline_median
          FROM past)
),
-- the firm's own seasonality and growth move every region at once, a campaign a few: the baseline is scaled by
-- the firm's total now against its usual total, leaving the cell itself out (a campaign must not raise its own)
totals AS (
    SELECT firm_id, period, sum(complaints) AS total
    FROM cells
    GROUP BY firm_id, period
),
usual AS (
    SELECT firm_id, median(total) AS usual
    FROM totals
    WHERE period < $period
    GROUP BY firm_id
),
judged AS (
    SELECT cells.*, history.baseline_median, history.mad,
           CASE WHEN usual.usual - history.baseline_median > 0
                THEN (totals.total - cells.complaints) / (usual.usual - history.baseline_median)
                ELSE 1.0 END AS raw_factor
    FROM cells
    JOIN history USING (firm_id, region_code)
    LEFT JOIN totals USING (firm_id, period)
    LEFT JOIN usual USING (firm_id)
    WHERE cells.period = $period AND history.quarters >= $min_history
),
factored AS (
    SELECT *, baseline_median * factor AS expected
    FROM (SELECT *, CASE WHEN raw_factor IS NOT NULL THEN least(greatest(raw_factor, 0.5), 3.0) END AS factor
          FROM judged)
),
scored AS (
    SELECT *,
           complaints - expected AS jump,
           (complaints - expected) / greatest(1.4826 * mad * factor, sqrt(expected), 1.0) AS robust_z,
           CASE WHEN expected > 0 THEN (complaints - expected) / expected END AS jump_pct,
           CASE WHEN complaints > 0 THEN proxy / complaints END AS proxy_surrender_share
    FROM factored
)
SELECT scored.firm_id, firms.short_name AS firm_name, scored.region_code, region_dim.region_name, scored.period,
       scored.complaints, scored.baseline_median, scored.mad, scored.expected, scored.robust_z, scored.jump,
       scored.jump_pct, scored.proxy_surrender_share
FROM scored
LEFT JOIN firms USING (firm_id)
LEFT JOIN region_dim USING (region_code)
WHERE scored.robust_z >= $min_z AND scored.jump >= $min_jump
ORDER BY scored.robust_z DESC, scored.firm_id
