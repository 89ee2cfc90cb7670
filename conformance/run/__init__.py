"""The pytest side of chatconform, one job per module; conformance/conftest.py registers them."""
