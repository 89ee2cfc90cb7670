"""In an installed chatconform, copies of the checkout's top-level `reference/` (the programs the
suites start) and `fixtures/` (the bundled example submissions) land here (pyproject.toml maps
them); in a checkout this package is empty and `conformance.resources` finds them at the top."""
