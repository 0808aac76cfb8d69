-- 万张保单投诉量 (件/万张)
CAST(sum(complaints_total) AS DOUBLE) / nullif(CAST(sum(policies) AS DOUBLE) / 10000, 0)
