-- 万人次投诉量 (件/万人次)
CAST(sum(complaints_total) AS DOUBLE) / nullif(CAST(sum(insured_persons) AS DOUBLE) / 10000, 0)
