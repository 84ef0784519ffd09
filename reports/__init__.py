"""Reports of a conformance run: results.json (`reports.results`), JUnit XML (`reports.junit`),
the HTML report (`reports.html`), the signed evidence bundle (`reports.evidence`) and the end-of-run
console summary (`reports.console`).

The package depends only on pydantic, jinja2 and cryptography: it never imports `conformance`, so
results can be read, rendered and verified without the harness.
"""
