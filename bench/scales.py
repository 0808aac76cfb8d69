"""Data sizes of the growth benchmarks (bench/queries.py, bench/pages.py, bench/growth.py): factor → (years, firms).

1× is 10 years × 250 firms × 36 regions; the others grow both years and firms, so firm-quarters grow ×4 and ×10.
"""

SCALES = {1: (10, 250), 4: (20, 500), 10: (25, 1000)}
