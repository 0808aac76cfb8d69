-- 调解成功率: divides by cases concluded (结案), not accepted: open cases are not failures
sum(mediation_succeeded) / nullif(sum(mediation_concluded), 0)
