-- 自主参调率
CAST(sum(mediation_voluntary) AS DOUBLE) / nullif(CAST(sum(mediation_accepted) AS DOUBLE), 0)
