-- 投诉指数: (share of the peer group's complaints) / (share of the group's premium); 1.00 = par.
-- The peer group is the same firm type (and the same period when periods are rows); {peer_group} is that
-- partition, built by the code from the dimension whitelist.
(sum(complaints_total) / nullif(sum(sum(complaints_total)) OVER (PARTITION BY {peer_group}), 0))
    / nullif(sum(premium_wan) / nullif(sum(sum(premium_wan)) OVER (PARTITION BY {peer_group}), 0), 0)
