-- 按时办结率
sum(resolved_on_time) / nullif(sum(resolved), 0)
