"""The royalty ledger: sales, returns, payouts and corrections as balanced, hash-chained
transactions, and the checks that prove the ledger was not tampered with.

The rules in one place:
- double entry: every transaction's entries sum to zero per currency (checked by _post before
  anything is written, and again by verify_ledger); a debit is positive, a credit negative;
- append-only: the database refuses UPDATE and DELETE on every ledger table (triggers from
  migration 0003_ledger); a correction is a new transaction reversing an old one;
- one writer at a time: every posting first takes the ledger lock (PostgreSQL: a transaction
  advisory lock; SQLite: the database write lock), so the sequence and hash chain never fork
  and a payout's balance check cannot race another payout;
- a sale's royalty is net x the product's frozen rate, rounded half to even to the minor unit,
  split among the creators by largest remainder (app.money); returns are negative sales;
- a creator's payable balance never goes below zero (payouts and returns are refused first);
- sales are idempotent by external_ref and payouts by reference: the same content again is the
  existing record, different content is a conflict.

Where each part lives (every name below is importable from app.services.ledger, as before):

    validation.py   limits and checks of plain values; money_text
    chain.py        STORED-DATA CONTRACT: the bytes each transaction's hash covers
    posting.py      the writer's lock, accounts, balances, _post (one balanced transaction)
    sales.py        record_sale (sales and returns), royalty notifications
    payouts.py      record_payout
    corrections.py  reverse_transaction
    batch.py        post_sales, check_sales: posting sales in sets (imports, bulk loads)
    imports.py      parse_sales_csv, import_sales (CSV files of sales, in one transaction)
    uploads.py      sales files kept in the database, posted by the run_import job
    statements.py   statement_for, statement_csv, ledger_totals, creators_with_balances
    verify.py       run_verification, verify_ledger
"""
from app.money import royalty_minor
from app.services.ledger.batch import BATCH_SIZE, BatchResult, check_sales, post_sales
from app.services.ledger.chain import (_iso, account_code, canonical_fast, canonical_transaction,
                                       hash_fast, payout_source, sale_source, transaction_hash)
from app.services.ledger.corrections import reverse_transaction
from app.services.ledger.imports import (CSV_COLUMNS, IMPORT_MAX_ROWS, ImportRefused, ImportResult,
                                         ParsedImport, RowError, SaleRow, _check_against_database,
                                         _chunks, _parse_row, import_sales, parse_sales_csv)
from app.services.ledger.payouts import PayoutResult, record_payout
from app.services.ledger.posting import (LEDGER_LOCK_KEY, _account, _post, balances_of, lock_ledger,
                                         payable_balance, unbalanced_currencies)
from app.services.ledger.sales import (SaleResult, _get_product, _notify_royalties, _same_sale,
                                       record_sale, sale_postings)
from app.services.ledger.statements import (Statement, StatementLine, _csv_safe,
                                            creators_with_balances, ledger_totals, statement_csv,
                                            statement_for)
from app.services.ledger.validation import (ID_MAX, MAX_AMOUNT_MINOR, MAX_UNITS, MEMO_MAX, REF_MAX,
                                            _raise_if, check_amount, check_currency, check_period,
                                            check_reference, check_units, is_id, is_int,
                                            money_text)
from app.services.ledger.verify import (VERIFY_CHUNK, Problem, Verification, run_verification,
                                        verify_ledger)

__all__ = [
    # validation
    "ID_MAX", "MAX_AMOUNT_MINOR", "MAX_UNITS", "MEMO_MAX", "REF_MAX", "check_amount",
    "check_currency", "check_period", "check_reference", "check_units", "is_id", "is_int",
    "money_text",
    # the hash chain (stored-data contract)
    "account_code", "canonical_transaction", "payout_source", "sale_source", "transaction_hash",
    "canonical_fast", "hash_fast",
    # posting
    "LEDGER_LOCK_KEY", "balances_of", "lock_ledger", "payable_balance", "unbalanced_currencies",
    # use cases
    "SaleResult", "record_sale", "sale_postings", "PayoutResult", "record_payout",
    "reverse_transaction",
    # CSV import
    "CSV_COLUMNS", "IMPORT_MAX_ROWS", "ImportRefused", "ImportResult", "ParsedImport", "RowError",
    "SaleRow", "import_sales", "parse_sales_csv",
    # posting in sets
    "BATCH_SIZE", "BatchResult", "check_sales", "post_sales",
    # statements and overview
    "Statement", "StatementLine", "creators_with_balances", "ledger_totals", "statement_csv",
    "statement_for",
    # verification
    "VERIFY_CHUNK", "Problem", "Verification", "run_verification", "verify_ledger",
    # the royalty formula, used by the import preview
    "royalty_minor",
    # private helpers kept reachable under their old names (tests use _account and _post)
    "_account", "_check_against_database", "_chunks", "_csv_safe", "_get_product", "_iso",
    "_notify_royalties", "_parse_row", "_post", "_raise_if", "_same_sale",
]
