-- 适老化网点占比 (stock: latest quarter)
sum(outlets_age_friendly) FILTER (WHERE is_latest) / nullif(sum(outlets) FILTER (WHERE is_latest), 0)
