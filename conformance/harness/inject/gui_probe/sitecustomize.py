"""GUI probe injection: serves a control socket from inside the candidate's GUI process (see
chatconform_probe.py). Loaded by putting this folder first on PYTHONPATH; the candidate's files and
command line are unchanged, and a sitecustomize the environment already had is still imported."""
import chatconform_probe
from chatconform_chain import import_next_sitecustomize

chatconform_probe.install()
import_next_sitecustomize(__file__)
