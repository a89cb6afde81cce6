"""Domain errors: each names the rule it enforces, so the API can explain a rejection."""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """A command the domain refuses; ``code`` is stable, ``field`` names the input at fault."""

    status_hint = 422

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class RuleViolation(DomainError):
    """A rule of the rules table (``kh_saas.domain.rules``) does not hold."""

    def __init__(self, rule: str, message: str, field: str | None = None) -> None:
        super().__init__(rule, message, field=field)
        self.rule = rule


class IllegalTransition(DomainError):
    """An action not allowed in the current state; names the actions that are."""

    status_hint = 409

    def __init__(self, entity: str, state: str, action: str, allowed: Iterable[str]) -> None:
        self.state = state
        self.action = action
        self.allowed = sorted(allowed)
        listed = ", ".join(self.allowed) or "none"
        super().__init__(
            "illegal_transition",
            f"cannot {action} a {entity} that is {state}; allowed now: {listed}",
        )


class Conflict(DomainError):
    """The command clashes with what is already recorded (a duplicate, a stale version)."""

    status_hint = 409


class NotFound(DomainError):
    """No such aggregate in this province (also what another province's ids look like)."""

    status_hint = 404

    def __init__(self, what: str, ident: object) -> None:
        super().__init__("not_found", f"no {what} {ident} in this province")
