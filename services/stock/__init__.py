"""Stock: locations, lots, the append-only ledger, balances and warehouse documents."""
