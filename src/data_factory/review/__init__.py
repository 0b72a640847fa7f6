"""`factory ci`: what a change of the dbt project does, before it merges.

The base ref's checkout and the head are parsed and compared by dbt's own
state selection, built on a sample window of generated days, and their
data compared; a Markdown report and JUnit XML say what a reviewer needs."""
