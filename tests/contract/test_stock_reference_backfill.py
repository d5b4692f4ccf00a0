"""Migration 0018 gives movements posted before it the references of their documents."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import text

from shared.db.engine import create_engine
from shared.db.migrate import alembic_config


async def test_existing_movements_get_their_documents_references(database_factory) -> None:
    url = await database_factory("stock")
    config = alembic_config("stock", url)
    await asyncio.to_thread(command.downgrade, config, "0017")
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            ids = dict((await conn.execute(text("SELECT code, id FROM locations"))).all())
            supplier, customer = ids["VIRTUAL/SUPPLIER"], ids["VIRTUAL/CUSTOMER"]
            await conn.execute(
                text(
                    "INSERT INTO receipts (id, number, status, item_code, location_id, quantity, "
                    "uom, supplier, purchase_order, note, posted_at, posted_by) VALUES "
                    "(7, 'GR-7', 'posted', 'R1', :loc, 5, 'pcs', 'Yageo', 'PO-7', '', "
                    "CURRENT_TIMESTAMP, 'u')"
                ),
                {"loc": customer},
            )
            await conn.execute(
                text(
                    "INSERT INTO shipments (id, number, status, sales_order, customer, "
                    "from_location_id, carrier, tracking_number, note, posted_at, posted_by) "
                    "VALUES (8, 'SH-8', 'posted', 'SO-8', 'ACME', :loc, '', '', '', "
                    "CURRENT_TIMESTAMP, 'u')"
                ),
                {"loc": customer},
            )
            await conn.execute(
                text(
                    "INSERT INTO lots (id, item_code, lot_number, supplier, supplier_lot, "
                    "date_code, purchase_order, receipt_date, created_at, work_order) VALUES "
                    "(5, 'R1', 'L5', 'Murata', '', '', 'PO-5', CURRENT_DATE, "
                    "CURRENT_TIMESTAMP, '')"
                )
            )
            for sequence, (document_type, document_id, lot_id) in enumerate(
                [
                    ("purchase_receipt", 7, None),
                    ("shipment", 8, None),
                    ("transfer", 9, None),
                    ("inspection", 3, 5),
                    ("inspection", 4, None),
                ],
                start=1,
            ):
                await conn.execute(
                    text(
                        "INSERT INTO movements (sequence, document_type, document_id, item_code, "
                        "lot_id, quantity, from_location_id, to_location_id, from_state, "
                        "to_state, stage, unit_cost, value, priced, posted_at, recorded_at, "
                        "posted_by) VALUES (:seq, :type, :doc, 'R1', :lot, 5, :a, :b, 'qualified', "
                        "'qualified', 'raw', 0, 0, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                        "'u')"
                    ),
                    {
                        "seq": sequence,
                        "type": document_type,
                        "doc": document_id,
                        "lot": lot_id,
                        "a": supplier,
                        "b": customer,
                    },
                )
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT document_type, purchase_order, work_order, sales_order, "
                        "supplier, customer FROM movements ORDER BY sequence"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("purchase_receipt", "PO-7", "", "", "Yageo", ""),
        ("shipment", "", "", "SO-8", "", "ACME"),
        ("transfer", "", "", "", "", ""),
        ("inspection", "PO-5", "", "", "Murata", ""),
        ("inspection", "", "", "", "", ""),
    ]
