-- 宣教触达人次 = 线下 + 线上
sum(reach_offline) + sum(reach_online)
