"""Producer agreements and their royalty statements (sales read from a CSV; the budget's
recoupable actuals as the costs unless the contract names an amount).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from producer.errors import NotFoundError, ValidationError
from producer.model import Contract, RecoupRule
from producer.office import budget as bud
from producer.office import money, royalty
from producer.office import roster as ros
from producer.storage import Project
from producer.storage.files import read_text
from producer.workflows.office.conventions import song_slug


def contract_add(
    root: Path,
    name: str,
    party: str,
    all_in_rate: str,
    rate: str,
    rule: str,
    advance: str = "0",
    recoupable_costs: str = "budget",
    songs: Sequence[str] = (),
    note: str = "",
) -> Contract:
    try:
        rule_value = RecoupRule(rule.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in RecoupRule)
        raise ValidationError(f"--rule {rule!r}: not one of {allowed}") from None
    all_in = money.parse_amount(all_in_rate, "--all-in-rate", allow_zero=False)
    producer_rate = money.parse_amount(rate, "--rate", allow_zero=False)
    if producer_rate > all_in:
        raise ValidationError(f"--rate {rate}: more than the all-in rate {all_in_rate}")
    costs = (
        None
        if recoupable_costs.strip().lower() == "budget"
        else money.parse_amount(recoupable_costs, "--recoupable-costs")
    )
    project = Project.open(root)
    slugs = tuple(song_slug(project, s) for s in songs)
    with project.transaction(f"add contract {name}") as tx:
        office = tx.office
        if not name.strip():
            raise ValidationError("contract name: is empty")
        if office.contracts.contract(name) is not None:
            raise ValidationError(f"contract {name!r} exists already")
        person = ros.need_person(office.people, party, "--with")
        contract = Contract(
            name.strip(),
            person.name,
            all_in,
            producer_rate,
            rule_value,
            money.parse_amount(advance, "--advance"),
            costs,
            slugs,
            note=note,
        )
        contracts = replace(office.contracts, contracts=(*office.contracts.contracts, contract))
        tx.put_office(replace(office, contracts=contracts))
    return contract


def contract_list(root: Path) -> list[Contract]:
    return list(Project.open(root).office.contracts.contracts)


def royalty_statement(
    root: Path, name: str, sales: Path, period: str | None = None
) -> royalty.Statement:
    project = Project.open(root)
    office = project.office
    contract = office.contracts.contract(name)
    if contract is None:
        known = ", ".join(c.name for c in office.contracts.contracts) or "none yet"
        raise NotFoundError(f"contract {name!r}: no such contract ({known})")
    if not Path(sales).is_file():
        raise NotFoundError(f"{sales}: no such file")
    rows = royalty.parse_sales(
        read_text(Path(sales), str(sales)), str(sales), {s.slug: s.title for s in project.songs()}
    )
    costs = contract.recoupable_costs
    if costs is None:
        costs = bud.recoupable_actuals(office.budget)
    return royalty.statement(contract, rows, costs, project.album.currency, period)


__all__ = ["contract_add", "contract_list", "royalty_statement"]
