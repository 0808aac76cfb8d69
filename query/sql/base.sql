-- Staging: one fact dataset with its dimensions attached (firm name and type, region, province,
-- population and county count of the region). Only renames and joins; no arithmetic on figures.
-- {dataset} is one of the four fact tables, chosen by the code from a fixed list (never user text).
CREATE OR REPLACE VIEW base_{dataset} AS
WITH facts AS (
    SELECT * EXCLUDE (quarter) FROM {dataset}
),
final AS (
    SELECT
        facts.*,
        firms.short_name AS firm_name,
        firms.firm_type,
        region_dim.region_name,
        region_dim.province_code,
        region_dim.province_name,
        region_dim.population,
        region_dim.counties
    FROM facts
    JOIN firms USING (firm_id)
    LEFT JOIN region_dim USING (region_code)
)
SELECT * FROM final
