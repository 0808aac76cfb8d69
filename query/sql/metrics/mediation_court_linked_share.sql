-- 诉调对接占比
sum(mediation_court_linked) / nullif(sum(mediation_accepted), 0)
