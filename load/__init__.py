"""Load tests: locust users playing the foreign parties of the exchange network (docs/load.md)."""
