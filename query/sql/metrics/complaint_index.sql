-- 投诉指数: (share of the peer group's complaints) / (share of the group's premium); 1.00 = par.
-- The peer group is the same firm type (and the same period when periods are rows); {peer_group} is that
-- partition, built by the code from the dimension whitelist.
(CAST(sum(complaints_total) AS DOUBLE)
        / nullif(CAST(sum(sum(complaints_total)) OVER (PARTITION BY {peer_group}) AS DOUBLE), 0))
    / nullif(CAST(sum(premium_wan) AS DOUBLE)
             / nullif(CAST(sum(sum(premium_wan)) OVER (PARTITION BY {peer_group}) AS DOUBLE), 0), 0)
