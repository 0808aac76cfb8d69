-- 调解成功率: divides by cases concluded (结案), not accepted: open cases are not failures
CAST(sum(mediation_succeeded) AS DOUBLE) / nullif(CAST(sum(mediation_concluded) AS DOUBLE), 0)
