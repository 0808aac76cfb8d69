-- 亿元保费投诉量 (件/亿元): premium is held in 万元, so 亿元 = 万元 / 10,000
CAST(sum(complaints_total) AS DOUBLE) / nullif(CAST(sum(premium_wan) AS DOUBLE) / 10000, 0)
