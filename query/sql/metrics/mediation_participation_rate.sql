-- 自主参调率
sum(mediation_voluntary) / nullif(sum(mediation_accepted), 0)
