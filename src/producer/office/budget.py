"""The budget against what was spent: estimate, committed (booked), actual, variance.

Per category: the line's estimate; *committed*, the estimated cost of bookings not yet settled
(a booking's costs of a category are settled once an expense of that category names the
booking), a cancelled booking counting its cancellation charge; *actual*, the expenses; *variance* = estimate − committed − actual (negative: over).
The approved total is ``Budget.approved_total``, else the sum of the lines; a warning says when
actual + committed passes it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from producer.errors import NotFoundError, ValidationError
from producer.model.office import Budget, BudgetLine, Category, Expense, Office
from producer.office.estimate import CostItem, booking_costs, costs
from producer.office.money import ZERO, text


def parse_category(value: str) -> Category:
    try:
        return Category(value.strip().lower())
    except ValueError:
        allowed = ", ".join(c.value for c in Category)
        raise ValidationError(f"--category {value!r}: not one of {allowed}") from None


@dataclass(frozen=True)
class LineReport:
    category: Category
    estimate: Decimal
    committed: Decimal
    actual: Decimal

    @property
    def variance(self) -> Decimal:
        return self.estimate - self.committed - self.actual


@dataclass(frozen=True)
class BudgetReport:
    currency: str
    lines: tuple[LineReport, ...]
    approved_total: Decimal
    approved_is_sum: bool
    committed_items: tuple[CostItem, ...]
    notes: tuple[str, ...]

    def total(self, field: str) -> Decimal:
        return sum((getattr(line, field) for line in self.lines), ZERO)

    @property
    def warnings(self) -> tuple[str, ...]:
        spent = self.total("actual") + self.total("committed")
        if spent > self.approved_total:
            over = spent - self.approved_total
            what = "the sum of the lines" if self.approved_is_sum else "the approved total"
            return (
                f"actual + committed ({text(spent, self.currency)}) passes {what} "
                f"({text(self.approved_total, self.currency)}) by {text(over, self.currency)}",
            )
        return ()

    def to_json(self) -> dict[str, object]:
        c = self.currency

        def amounts(line: LineReport) -> dict[str, object]:
            return {
                "estimate": text(line.estimate, c),
                "committed": text(line.committed, c),
                "actual": text(line.actual, c),
                "variance": text(line.variance, c),
            }

        totals = LineReport(
            Category.OTHER,
            self.total("estimate"),
            self.total("committed"),
            self.total("actual"),
        )
        return {
            "currency": c,
            "lines": [{"category": line.category.value, **amounts(line)} for line in self.lines],
            "total": amounts(totals),
            "approved_total": text(self.approved_total, c),
            "approved_total_is_sum_of_lines": self.approved_is_sum,
            "warnings": list(self.warnings),
            "committed_items": [
                {
                    "booking": i.booking,
                    "category": i.category.value,
                    "what": i.what,
                    "amount": text(i.amount, c),
                }
                for i in self.committed_items
            ],
            "notes": list(self.notes),
        }


def settled(budget: Budget) -> set[tuple[str, Category]]:
    """(booking, category) pairs an expense has paid."""
    return {(e.booking, e.category) for e in budget.expenses if e.booking}


def report(office: Office, currency: str) -> BudgetReport:
    budget = office.budget
    done = settled(budget)
    items: list[CostItem] = []
    notes: list[str] = []
    for b in office.bookings.bookings:
        items += [i for i in costs(b, office, currency) if (b.id, i.category) not in done]
        if not any(key[0] == b.id for key in done):
            notes += booking_costs(b, office, currency)[1]
    estimate = {line.category: line.estimate for line in budget.lines}
    committed: dict[Category, Decimal] = {}
    for i in items:
        committed[i.category] = committed.get(i.category, ZERO) + i.amount
    actual: dict[Category, Decimal] = {}
    for e in budget.expenses:
        actual[e.category] = actual.get(e.category, ZERO) + e.amount
    used = set(estimate) | set(committed) | set(actual)
    lines = tuple(
        LineReport(c, estimate.get(c, ZERO), committed.get(c, ZERO), actual.get(c, ZERO))
        for c in Category
        if c in used
    )
    approved = budget.approved_total
    is_sum = approved is None
    if approved is None:
        approved = sum(estimate.values(), ZERO)
    return BudgetReport(
        currency, lines, approved, is_sum, tuple(items), tuple(dict.fromkeys(notes))
    )


def set_line(
    budget: Budget, category: Category, estimate: Decimal, recoupable: bool | None, note: str | None
) -> Budget:
    old = next((line for line in budget.lines if line.category == category), None)
    line = BudgetLine(
        category,
        estimate,
        old.recoupable
        if recoupable is None and old
        else (True if recoupable is None else recoupable),
        (old.note if old else "") if note is None else note,
    )
    lines = [x for x in budget.lines if x.category != category] + [line]
    order = list(Category)
    return replace(budget, lines=tuple(sorted(lines, key=lambda x: order.index(x.category))))


def add_expense(
    office: Office,
    category: Category,
    amount: Decimal,
    day: date,
    booking: str = "",
    note: str = "",
    recoupable: bool | None = None,
) -> tuple[Budget, Expense]:
    budget = office.budget
    if booking and office.bookings.booking(booking) is None:
        known = ", ".join(b.id for b in office.bookings.bookings) or "none yet"
        raise NotFoundError(f"--booking {booking!r}: no such booking ({known})")
    if recoupable is None:
        line = next((x for x in budget.lines if x.category == category), None)
        recoupable = line.recoupable if line else category not in (Category.MARKETING,)
    n = max((int(e.id[1:]) for e in budget.expenses if e.id[1:].isdigit()), default=0) + 1
    expense = Expense(f"e{n}", category, amount, day, booking, recoupable, note)
    return replace(budget, expenses=(*budget.expenses, expense)), expense


def remove_expense(budget: Budget, expense_id: str) -> Budget:
    if not any(e.id == expense_id for e in budget.expenses):
        known = ", ".join(e.id for e in budget.expenses) or "none yet"
        raise NotFoundError(f"expense {expense_id!r}: no such expense ({known})")
    return replace(budget, expenses=tuple(e for e in budget.expenses if e.id != expense_id))


def recoupable_actuals(budget: Budget) -> Decimal:
    """The recoupable money spent so far (a contract's ``--recoupable-costs budget``)."""
    return sum((e.amount for e in budget.expenses if e.recoupable), ZERO)


__all__ = [
    "BudgetReport",
    "LineReport",
    "add_expense",
    "parse_category",
    "recoupable_actuals",
    "remove_expense",
    "report",
    "set_line",
    "settled",
]
