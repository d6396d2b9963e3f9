"""gunicorn settings for every server a benchmark starts: the committed gunicorn.conf.py as it
resolves in the benchmark's environment, with the access log off (`accesslog = None`; a log
file, even /dev/null, still costs each request a formatted line). Both sides of a comparison
load this same file, so their worker class, workers, threads and recycling are identical."""

import runpy
from pathlib import Path

_committed = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
globals().update({name: value for name, value in _committed.items() if not name.startswith("_")})
accesslog = None
errorlog = "/dev/null"
