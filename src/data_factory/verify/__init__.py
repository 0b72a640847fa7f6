"""`factory verify`: for each asset x day, the chain a newcomer would check
by hand, from the export's bytes to the decisions that released it, and the
first link of it that does not hold.

`history` reads everything once (evidence files, landing manifests and their
files' hashes, the project's manifest, the warehouse's fingerprints per
asset); `links` is the ordered list of link checks; `walk` runs them for
each cell in scope. It writes nothing.
"""
