-- 调解履行率
CAST(sum(mediation_fulfilled) AS DOUBLE) / nullif(CAST(sum(mediation_succeeded) AS DOUBLE), 0)
