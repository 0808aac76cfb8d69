-- 万人次投诉量 (件/万人次)
sum(complaints_total) / nullif(sum(insured_persons) / 10000, 0)
