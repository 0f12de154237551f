"""What responders do, one function per action, each returning the ``Change`` that records it.

A use case takes the tracker and plain values, reads what it needs through
the validated model, decides, and returns a ``transaction.Change`` (files to
write and the commit that records them) or a small result object. Nothing
here writes or commits: ``transaction.apply`` does that. The CLI, the demo,
alert ingestion and the escalation run all call these functions.

One module per part of the lifecycle:

- ``records``     reading an incident, and an event plus edits as a Change (the shared machinery)
- ``identify``    declare, confirm, classify
- ``notify``      assign and hand over, notifications and escalations recorded, ack, bridge, stakeholder updates
- ``contain``     containment actions: add, set their state, none possible
- ``investigate`` hypotheses, evidence, the cause, the resolution plan
- ``resolve``     the fix, its stability and confirmation; recovery
- ``close``       closure, and scheduling the review
- ``review``      the post-incident review and its action items, the calendar invite
- ``timeline``    notes and field edits, in any stage
- ``advance``     moving to another stage once its gate is met
- ``alerts``      alert notifications into incidents

A refusal the user can fix by giving other values raises ``Invalid``.
"""

from __future__ import annotations


class Invalid(ValueError):
    """A value the user gave cannot be used; ``param`` names the use case's argument it came in."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param
