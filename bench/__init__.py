"""Benchmarks of the ticket data factory, side by side, in one run:
`python -m bench` (`make bench`, `make bench-quick`).

These machines are shared and noisy, so absolute seconds mean little: every
figure runs its sides in the same run, interleaved (the order rotates with
each repetition), takes the median of the repeated samples of each side, and
reports a ratio.

1. ingest    `factory ingest` against DuckDB alone (`create table as select *
             from read_json(...)`) on the same files.
2. history   the factory's build of one day (models, checks, counts,
             evidence, state) with 30, then 365 days of history already built.
3. backfill  `factory backfill` against a shell loop of `dbt build --vars
             '{partition: D}'` subprocesses and against the limit: DuckDB alone
             replaying the compiled model SQL the factory ran. The tables must
             come out identical (row count and content hash per partition).
4. evidence  `factory evidence --target-dir` on a synthetic 5,000-node project,
             against dbt-artifacts-parser reading the same two files.
5. status    `factory status --format json` over 10 assets x 365 days.
6. gate      the gate's fingerprint re-check of one consumer-day (the cells
             it releases, recomputed in the warehouse) at 20,000 tickets/day,
             against the rest of its decision and the whole `factory gate`.
7. backfill_year  `factory backfill` of 365 days, a day's cost early and late.
8. verify    `factory verify` of one day and of 365 days at 2,000 tickets/day
             (landing hashed, evidence checked, fingerprints per asset),
             against a plain `factory status`.

Results: a table on stdout and <data>/bench/results.json (--out to change;
<data> is $FACTORY_HOME, else data/ beside the project). `--update-readme`
rewrites the README table between its bench markers from that file. Work
directories live under <data>/bench/work/. Progress goes to stderr.

Exit codes: 0 every figure measured (targets met or not); 1 a figure failed,
for example the sides' tables differ; 2 bad usage.

Modules: one per figure (ingest_vs_read_json, history_growth, backfill,
evidence_scale, status_scale, gate_recheck, backfill_year, verify_chain),
each with a `measure(bench, figure)` and the workers it runs in their own
process (`python -m bench _worker NAME ...`);
and what they share: processes (running and measuring a child process),
figure (interleaved samples, medians, targets), sizes, homes (factory homes
to measure in), suite (the run's settings and the template run), results
(results.json), report (the table on stdout and in the README), cli.
"""
