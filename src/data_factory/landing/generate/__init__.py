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
  from the tickets created on D-180 .. D. Every ticket ends (solved then
  closed, or closed unsolved) before the end of day C+180, so nothing is lost,
  the open set of a long history stays bounded, and the bytes of day D are the
  same whether D is generated alone or inside a range. A range keeps of each
  creation day only the events still to come (``CreatedDay.since``).
* What a helpdesk's KPIs must get right is in every day: priorities that
  change (escalated or de-escalated at triage, before the reply, or while
  the ticket is worked); tickets never answered (closed unanswered 60 to 175
  days after creation); tickets solved without a reply; tickets open for
  months (2.5%, waiting on the customer or a fix: solved 30 to 175 days after
  creation, with customer replies and agent follow-ups, ``status_changed``
  events, on the days between); reopen chains (8% of solved tickets are
  reopened and solved again, and 30% of those once more, 1 to 6 days later);
  tickets never solved (stalled, or too slow) closed 21 to 60 days after
  their last wait. Most lifecycles still end within two weeks.
* Everything is vectorized: numpy draws the lifecycles, pyarrow compute
  assembles the JSON text column by column, and the files are written from the
  Arrow string buffer. There is no Python loop over tickets or events.

Faults (``FAULT_NAMES``) corrupt a day on purpose so that downstream checks
can be tested; see ``parse_faults``.

Modules, each importing only those listed before it: ``reference`` (the vocabulary and the
seeds), ``simulate`` (the tickets of a creation day), ``day_events`` (the events of an
export day), ``faults``, ``render`` (the JSON lines), ``write`` (the files and manifest of a
day) and ``export`` (``generate_range``, ``generate_day``).
"""
