"""The campaign machinery: one network timeline (timeline), the scenario scheduler (engine), the run of
one campaign (runner), what checks look at (view), the reference network's processes (processes), a
run's options (run_options) and state (conformance_run), one check's result (check_results), the
reports (reporting), a `spoc-harness run` session (session) and the kill matrix (killmatrix).

Import the modules themselves; this package imports nothing, so that importing one part stays cheap.
"""
