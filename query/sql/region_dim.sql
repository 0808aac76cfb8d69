-- One row per reporting region with what the metrics need from the reference data.
-- A province row, as members report it, means the province *excluding* its separately supervised city
-- (大连, 青岛, 宁波, 厦门, 深圳 report on their own rows), so its population and county count are the
-- province's minus the city's; a province-level roll-up adds the city back and gets the whole province.
-- 总公司/全国 (000000) belongs to no province and has no population or county count.
CREATE OR REPLACE VIEW region_dim AS
WITH cities AS (
    SELECT parent_code, sum(population_2020) AS population, sum(counties) AS counties
    FROM regions
    WHERE kind = 'city'
    GROUP BY parent_code
),
own AS (
    SELECT
        r.code AS region_code,
        r.name AS region_name,
        r.name_en,
        r.kind,
        CASE WHEN r.kind = 'city' THEN r.parent_code ELSE r.code END AS province_code,
        r.population_2020 - coalesce(c.population, 0) AS population,
        r.counties - coalesce(c.counties, 0) AS counties
    FROM regions AS r
    LEFT JOIN cities AS c ON c.parent_code = r.code
),
final AS (
    SELECT own.*, p.name AS province_name, p.name_en AS province_name_en
    FROM own
    LEFT JOIN regions AS p ON p.code = own.province_code
)
SELECT * FROM final
