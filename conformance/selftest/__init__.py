"""The self-test's own tools, shared by tests/ (the self-test) and bench/ (the measurements): the
fixtures written out (fixtures.py), a check run as a user runs it (checks.py, checkserver.py), the
real-style class (realclass.py), the hostile corpus (hostile.py) and the arguments each protocol's
self-test gives its reference and fixtures (arguments.py). Never imported by the suites themselves."""
