-- 万张保单投诉量 (件/万张)
sum(complaints_total) / nullif(sum(policies) / 10000, 0)
