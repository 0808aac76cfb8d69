-- 疑似代理退保占比
sum(proxy_surrender_suspected) / nullif(sum(complaints_total), 0)
