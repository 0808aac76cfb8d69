-- 疑似代理退保占比
CAST(sum(proxy_surrender_suspected) AS DOUBLE) / nullif(CAST(sum(complaints_total) AS DOUBLE), 0)
