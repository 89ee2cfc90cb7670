"""Diagnoses: the likely cause of each failure in the student's code, with its evidence.

Three sources, never a verdict (a diagnosis is computed after the verdict and cannot change it):
- observations (observe.py): what the harness saw when the test failed: a traceback, where each
  thread of the program was blocked and what was left unread on its sockets, the failed check itself;
- experiments (experiment.py): the failed test replayed with the same seed and one thing changed
  (how bytes are cut into reads, the time allowed, the typing pace); the change that makes it pass
  is evidence;
- code facts (code.py): a read of the submission's syntax tree that points at the line likely at
  fault; a fact only locates and strengthens a cause that evidence already supports.

engine.py ranks the causes (causes.py names them, docs/diagnoses.md explains them); plugin.py runs
it in the suite. Per protocol, `conformance/<protocol>/diagnose.py` maps failed checks to causes.
"""
