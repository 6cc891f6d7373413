"""Pure decisions of the terminal-state cleanup (``deletionStrategy``, KubeRay v1.5+; rules on
``jobDeploymentStatus`` v1.6+), kept apart from the controller so they can be tested as plain functions.

``decide_deletion_rules`` mirrors ``handleDeletionRules``: rules matching the RayJob's jobStatus (or deployment
status) are due at ``endTime + ttlSeconds``; due rules whose effect is already achieved are skipped; of the rest,
exactly one (the most impactful, ties to list order) runs per reconcile; the earliest not-yet-due rule sets the
next requeue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..model.enums import DeletionPolicyType, JobStatus
from ..model.rayjob import DeletionRule, DeletionStrategy, RayJobStatus


@dataclass(frozen=True)
class RuleDecision:
    execute: DeletionPolicyType | None  # the one policy to run now, if any
    requeue_at: float | None  # virtual time of the next pending rule (the controller adds 2 s)


def rule_matches(rule: DeletionRule, status: RayJobStatus) -> bool:
    """``isDeletionRuleMatched``: exactly one of jobStatus / jobDeploymentStatus is set on a rule."""
    if rule.condition.job_status is not None:
        return rule.condition.job_status == status.job_status
    return rule.condition.job_deployment_status == status.job_deployment_status


def most_impactful(rules: Sequence[DeletionRule]) -> DeletionRule:
    """``selectMostImpactfulRule``: the highest impact wins; among equals, the first in list order."""
    best = rules[0]
    for rule in rules[1:]:
        if rule.policy.impact > best.policy.impact:
            best = rule
    return best


def decide_deletion_rules(rules: Sequence[DeletionRule], status: RayJobStatus, end_time: float, now: float,
                          is_done: Callable[[DeletionPolicyType], bool]) -> RuleDecision:
    overdue: list[DeletionRule] = []
    next_due: float | None = None
    for rule in rules:
        if not rule_matches(rule, status):
            continue
        due = end_time + rule.condition.ttl_seconds
        if now < due:
            next_due = due if next_due is None else min(next_due, due)
            continue
        if is_done(rule.policy):
            continue
        overdue.append(rule)
    execute = most_impactful(overdue).policy if overdue else None
    return RuleDecision(execute, next_due)


def legacy_policy(strategy: DeletionStrategy, job_status: JobStatus) -> DeletionPolicyType | None:
    """``handleLegacyDeletionPolicy``: keyed on jobStatus; STOPPED, RUNNING, "" … get no policy at all."""
    if job_status == JobStatus.SUCCEEDED:
        return strategy.on_success
    if job_status == JobStatus.FAILED:
        return strategy.on_failure
    return None
