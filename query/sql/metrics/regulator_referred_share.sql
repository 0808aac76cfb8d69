-- 监管转送占比
sum(complaints_regulator) / nullif(sum(complaints_total), 0)
