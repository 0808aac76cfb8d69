"""The shared core: the submission contract, reference data, the warehouse layout, quarters, atomic writes
and the time zone rule. Every layer imports it; it imports none of them."""
