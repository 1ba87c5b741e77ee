"""Use cases, grouped by capability.

Each subpackage holds the use cases of one capability: ``casework`` (open, decide, sweep,
migrate, run queued work), ``messaging`` (dispatch and delivery status), ``people``
(organisations, persons, accounts, sign-in, privacy), ``reporting`` (reports, funnel, impact),
``exchange`` (CSV import, exports, open data) and ``audit`` (verify and anchor the chain).
:mod:`pathways.services.tx` is the unit of work they all write through.
"""
