-- 亿元保费投诉量 (件/亿元): premium is held in 万元, so 亿元 = 万元 / 10,000
sum(complaints_total) / nullif(sum(premium_wan) / 10000, 0)
