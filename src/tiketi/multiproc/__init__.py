"""The multi-process mode on one machine: every service in its own processes behind nginx.

`tiketi cluster` (cluster.py) starts it; nginx.py writes nginx's configuration; flashsale.py
and audit.py drive a flash sale over it (with faults, chaos.py) and check that nothing was
sold twice or lost. docs/scale.md describes it.
"""
