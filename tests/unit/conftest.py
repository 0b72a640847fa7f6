"""Unit tests: pure functions on small hand-made inputs. No dbt, no warehouse."""
