"""The interop matrix: every student client against every student server, and the references on both
sides (`chatconform matrix`). A cell is the protocol's interop conversation (`<protocol>/test_interop.py`,
run by `check --with-server`); blame comes from evidence, the same conversation with the reference on
the other side (verdicts.py)."""
