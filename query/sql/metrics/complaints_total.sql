-- 投诉总量 (件)
sum(complaints_total)
