"""Synthetic helpdesk landing exports: ticket lifecycle events as NDJSON.

Layout written (the landing convention of ``FactoryPaths``)::

    <landing_root>/tickets/dt=YYYY-MM-DD/events-0001.jsonl [, events-0002.jsonl, ...]
    <landing_root>/tickets/dt=YYYY-MM-DD/_manifest.json

How a day is made
-----------------
* The tickets created on calendar day C, with their whole lifecycle (which can
  run into the following days), come from ``numpy.random.default_rng([seed,
  C.toordinal()])`` and nothing else.
* The export of day D holds every event whose ``event_at`` falls on D, taken
  from the tickets created on D-14 .. D. A lifecycle never outlasts 15 days,
  so nothing is lost, and the bytes of day D are the same whether D is
  generated alone or inside a range.
* What a helpdesk's KPIs must get right is in every day: priorities that
  change (escalated or de-escalated at triage, before the reply, or while
  the ticket is worked), tickets never answered, tickets solved without a
  reply, reopen chains (reopened, solved again). Tickets open for months are
  not: a lifecycle ends within 15 days (above).
* Everything is vectorized: numpy draws the lifecycles, pyarrow compute
  assembles the JSON text column by column, and the files are written from the
  Arrow string buffer. There is no Python loop over tickets or events.

Faults (``FAULT_NAMES``) corrupt a day on purpose so that downstream checks
can be tested; see ``parse_faults``.

Modules, each importing only those listed before it: ``reference`` (the vocabulary and the
seeds), ``simulate`` (the tickets of a creation day, the events of an export day),
``faults``, ``render`` (the JSON lines), ``write`` (the files and manifest of a day)
and ``export`` (``generate_range``, ``generate_day``).
"""
