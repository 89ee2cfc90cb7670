"""Grading a class: collect submissions, detect their protocol, check each one contained and in
parallel, score them from a rubric, and write the class report and the platforms' native results.
Every step after the checks reads only the result documents that `check --json` writes."""
