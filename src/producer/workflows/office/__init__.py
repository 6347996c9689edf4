"""Use cases of the office: people, rooms, bookings, budget, contracts, royalties, split sheets,
credits and the album board, glued to storage.

Each change is one undoable step under the project lock (``Project.transaction``); each check
happens before anything is written, so a refused command leaves every document as it was. The
domain rules are ``producer.office``'s; this package reads files (sales CSVs, rate cards, master
reports) and hands plain values to them.

===================  ========================================================================
module               use cases
===================  ========================================================================
``conventions``      the song named by slug or title, the time now in the album's zone,
                     amounts as printed, pages written like every output
``people``           the roster: person add, set, remove, list
``bookings``         rooms, bookings, cancellations, the schedule and its iCalendar export
``budget``           budget lines and the approved total, expenses, union scale cards
``contracts``        producer agreements, royalty statements
``splits``           split sheets: set, accept, show
``album_credits``    credits from the work: liner notes, DDEX RIN names, the HTML page
``board``            the album board (``producer status``)
``takes``            who played a take (recording, import, ``producer take credit``)
===================  ========================================================================
"""

from producer.workflows.office.album_credits import (
    CreditsResult,
    WorkFacts,
    credits,
    song_facts,
)
from producer.workflows.office.board import status
from producer.workflows.office.bookings import (
    Booked,
    book,
    book_cancel,
    room_add,
    room_list,
    schedule,
    schedule_export,
)
from producer.workflows.office.budget import (
    EXAMPLE_SCALE_CARD,
    budget_approve,
    budget_line,
    budget_report,
    expense_add,
    expense_list,
    expense_remove,
    ratecard_import,
    ratecard_list,
    read_scale_card,
)
from producer.workflows.office.contracts import contract_add, contract_list, royalty_statement
from producer.workflows.office.conventions import money_text, now_in, write_page
from producer.workflows.office.people import (
    PersonFields,
    person_add,
    person_list,
    person_remove,
    person_set,
)
from producer.workflows.office.splits import split_accept, split_set, split_show
from producer.workflows.office.takes import TakeCredit, credit_lane, take_credit, take_credit_set

__all__ = [
    "EXAMPLE_SCALE_CARD",
    "Booked",
    "CreditsResult",
    "PersonFields",
    "TakeCredit",
    "WorkFacts",
    "book",
    "book_cancel",
    "budget_approve",
    "budget_line",
    "budget_report",
    "contract_add",
    "contract_list",
    "credit_lane",
    "credits",
    "expense_add",
    "expense_list",
    "expense_remove",
    "money_text",
    "now_in",
    "person_add",
    "person_list",
    "person_remove",
    "person_set",
    "ratecard_import",
    "ratecard_list",
    "read_scale_card",
    "room_add",
    "room_list",
    "royalty_statement",
    "schedule",
    "schedule_export",
    "song_facts",
    "split_accept",
    "split_set",
    "split_show",
    "status",
    "take_credit",
    "take_credit_set",
    "write_page",
]
