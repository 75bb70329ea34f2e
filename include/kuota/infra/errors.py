"""The errors a step raises, in one place: the Airflow glue and the CLI tell a failure that
retrying will not heal (a broken file, a failed suite, a closed period) from one that may."""

from __future__ import annotations


class ContractError(Exception):
    """A partner's file breaks its contract.  The message names the file and the rule."""


class Rejected(ContractError):
    """A partner's file breaks the contract; the message names the rule and the rows. The
    ingesting step quarantines the file whole, then reports it as a ContractError."""


class PeriodeDitutup(ContractError):
    """The period is closed: the step does nothing, and says so."""


class QualityError(Exception):
    """A stage's output breaks its contract: the run must stop here."""


class Busy(Exception):
    """Another process still runs the same step of the period after the wait."""


class MigrationError(Exception):
    """The warehouse and its migration files disagree (an applied file edited, a warehouse
    newer than the code): nothing was applied."""
