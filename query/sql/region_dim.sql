-- One row per reporting region with what the metrics need from the reference data.
-- A province row, as members report it, means the province *excluding* its separately supervised city
-- (大连, 青岛, 宁波, 厦门, 深圳 report on their own rows), so its population and county count are the
-- province's minus the city's; a province-level roll-up adds the city back and gets the whole province.
-- 总公司/全国 (000000) belongs to no province and has no population or county count.
--
-- Names say what they count: the region dimension's name of such a province row is 广东省（不含深圳）
-- (English: Guangdong (excl. Shenzhen)), since its figures leave the city out; the province dimension's
-- name (province_name) is the plain 广东省, since its figures include the city. `plain_name` /
-- `plain_name_en` keep the reference name of every region (a province filter reads "广东省").
CREATE OR REPLACE VIEW region_dim AS
WITH cities AS (
    SELECT parent_code, sum(population_2020) AS population, sum(counties) AS counties,
           string_agg(short_name, '、' ORDER BY code) AS names_zh,
           string_agg(name_en, ', ' ORDER BY code) AS names_en
    FROM regions
    WHERE kind = 'city'
    GROUP BY parent_code
),
own AS (
    SELECT
        r.code AS region_code,
        CASE WHEN c.parent_code IS NULL THEN r.name ELSE r.name || '（不含' || c.names_zh || '）' END
            AS region_name,
        CASE WHEN c.parent_code IS NULL THEN r.name_en ELSE r.name_en || ' (excl. ' || c.names_en || ')' END
            AS name_en,
        r.name AS plain_name,
        r.name_en AS plain_name_en,
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
