"""The self-test's own tools, shared by tests/ (the self-test) and bench/ (the measurements): the
fixtures written out (fixtures.py), a check run as a user runs it (checks.py, checkserver.py), the
real-style class (realclass.py) and the hostile corpus (hostile.py). What each protocol's self-test
gives its reference and fixtures is in the protocol's descriptor. Never imported by the suites."""
