"""How a line's commission is split and how it moves through refunds and settlement (pure, no database)."""
