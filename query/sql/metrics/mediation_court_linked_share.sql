-- 诉调对接占比
CAST(sum(mediation_court_linked) AS DOUBLE) / nullif(CAST(sum(mediation_accepted) AS DOUBLE), 0)
