-- 重点人群占比 = (老年 + 青少年 + 新市民 + 残障) / 线下触达
CAST(sum(reach_elderly) + sum(reach_youth) + sum(reach_new_citizens) + sum(reach_disabled) AS DOUBLE)
    / nullif(CAST(sum(reach_offline) AS DOUBLE), 0)
