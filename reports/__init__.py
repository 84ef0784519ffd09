"""Reports of a conformance run: results.json (`reports.results`, each evidence step and curl line kept once
by `reports.evidence_table`), JUnit XML (`reports.junit`), the HTML report (`reports.html`, with its
pictures in `reports.plots`, drawn by a process of their own in `reports.drawing`), the signed evidence bundle
(`reports.evidence`), the end-of-run console summary (`reports.console`), and the certification
record: accepted deviations (`reports.deviations`), the pseudonymised copy of a bundle
(`reports.pseudonymise`) and the certificate (`reports.certificate`).

The package depends only on pydantic, jinja2, cryptography and matplotlib (imported only when a
picture is drawn); the certificate's PDF uses an installed Chromium when there is one. It never
imports `conformance`, so results can be read, rendered, verified and certified without the harness.
"""
