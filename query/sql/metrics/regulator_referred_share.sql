-- 监管转送占比
CAST(sum(complaints_regulator) AS DOUBLE) / nullif(CAST(sum(complaints_total) AS DOUBLE), 0)
