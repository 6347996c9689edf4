"""CLI commands of the office, one module per concern: ``people`` (person), ``bookings`` (room,
book, schedule), ``budget`` (budget, expense, ratecard), ``contracts`` (contract, royalty),
``splits`` (split), ``credits`` (credits, take credit), ``board`` (status); ``output`` is how
they print. Each parses, calls one ``producer.workflows.office`` function and prints (amounts
rounded to the currency's minor unit only here); each module's ``register(cli)`` is called
from ``producer.cli.app._register_all``.
"""
