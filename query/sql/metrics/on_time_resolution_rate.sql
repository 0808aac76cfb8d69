-- 按时办结率
CAST(sum(resolved_on_time) AS DOUBLE) / nullif(CAST(sum(resolved) AS DOUBLE), 0)
