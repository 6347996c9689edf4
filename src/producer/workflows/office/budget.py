"""The budget: estimate lines, the approved total, expenses (actuals) and union scale cards."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path

from producer.errors import FormatError, NotFoundError, ValidationError
from producer.model import Expense, ScaleCard
from producer.office import budget as bud
from producer.office import money
from producer.storage import Project
from producer.storage.codec import from_dict
from producer.storage.files import loads, read_text
from producer.storage.migrations import upgrade
from producer.workflows.office.conventions import now_in

EXAMPLE_SCALE_CARD = "union-scale-example.json"


def budget_line(
    root: Path,
    category: str,
    estimate: str,
    recoupable: bool | None = None,
    note: str | None = None,
) -> None:
    cat = bud.parse_category(category)
    amount = money.parse_amount(estimate, f"estimate of {cat.value}")
    project = Project.open(root)
    with project.transaction(f"budget {cat.value} {estimate}") as tx:
        office = tx.office
        tx.put_office(
            replace(office, budget=bud.set_line(office.budget, cat, amount, recoupable, note))
        )


def budget_approve(root: Path, total: str) -> None:
    amount = money.parse_amount(total, "approved total")
    project = Project.open(root)
    with project.transaction(f"approve budget {total}") as tx:
        office = tx.office
        tx.put_office(replace(office, budget=replace(office.budget, approved_total=amount)))


def budget_report(root: Path) -> bud.BudgetReport:
    project = Project.open(root)
    return bud.report(project.office, project.album.currency)


def expense_add(
    root: Path,
    category: str,
    amount: str,
    booking: str = "",
    note: str = "",
    day: str | None = None,
    recoupable: bool | None = None,
) -> Expense:
    cat = bud.parse_category(category)
    value = money.parse_amount(amount, "--amount", allow_zero=False)
    project = Project.open(root)
    if day:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise ValidationError(f"--date {day!r}: not a date like 2027-01-12") from None
    else:
        when = now_in(project.album.timezone).date()
    with project.transaction(f"expense {cat.value} {amount}") as tx:
        office = tx.office
        new_budget, expense = bud.add_expense(office, cat, value, when, booking, note, recoupable)
        tx.put_office(replace(office, budget=new_budget))
    return expense


def expense_remove(root: Path, expense_id: str) -> None:
    project = Project.open(root)
    with project.transaction(f"remove expense {expense_id}") as tx:
        office = tx.office
        tx.put_office(replace(office, budget=bud.remove_expense(office.budget, expense_id)))


def expense_list(root: Path) -> list[Expense]:
    return list(Project.open(root).office.budget.expenses)


def read_scale_card(path: Path | None) -> ScaleCard:
    """A union scale card file (the shipped example when ``path`` is None)."""
    if path is None:
        ref = resources.files("producer.office") / "data" / EXAMPLE_SCALE_CARD
        text, name = ref.read_text(encoding="utf-8"), EXAMPLE_SCALE_CARD
    else:
        if not Path(path).is_file():
            raise NotFoundError(f"{path}: no such file")
        text, name = read_text(Path(path), str(path)), str(path)
    body = upgrade("office", loads(text, name), name)
    try:
        card = from_dict(ScaleCard, body)
    except FormatError as exc:
        raise FormatError(f"{name}: {exc.message}") from None
    if why := money.currency_problem(card.currency):
        raise ValidationError(f"{name}: currency: {why}")
    return card


def ratecard_import(root: Path, path: Path | None = None) -> ScaleCard:
    card = read_scale_card(path)
    project = Project.open(root)
    with project.transaction(f"import rate card {card.name}") as tx:
        office = tx.office
        cards = (*(c for c in office.budget.rate_cards if c.name != card.name), card)
        tx.put_office(replace(office, budget=replace(office.budget, rate_cards=cards)))
    return card


def ratecard_list(root: Path) -> list[ScaleCard]:
    return list(Project.open(root).office.budget.rate_cards)


__all__ = [
    "EXAMPLE_SCALE_CARD",
    "budget_approve",
    "budget_line",
    "budget_report",
    "expense_add",
    "expense_list",
    "expense_remove",
    "ratecard_import",
    "ratecard_list",
    "read_scale_card",
]
