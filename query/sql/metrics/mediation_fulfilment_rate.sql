-- 调解履行率
sum(mediation_fulfilled) / nullif(sum(mediation_succeeded), 0)
