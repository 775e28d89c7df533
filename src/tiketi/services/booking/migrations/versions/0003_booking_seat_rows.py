"""booking: seats indexed by grade and position (best-available reads a few rows, not a grade)

The (event_id, grade) index becomes (event_id, grade, section_index, row_index, seat_index):
every query the old one served uses its prefix, and best-available's row reads become small
range scans. Replaced rather than added, so a seat update maintains no extra index.

Revision ID: booking_0003
Revises: booking_0002
Create Date: 2025-01-03 00:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "booking_0003"
down_revision: str | None = "booking_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "booking"


def upgrade() -> None:
    op.create_index(
        "ix_seats_event_grade_position",
        "seats",
        ["event_id", "grade", "section_index", "row_index", "seat_index"],
        schema=SCHEMA,
    )
    op.drop_index("ix_seats_event_grade", table_name="seats", schema=SCHEMA)


def downgrade() -> None:
    op.create_index("ix_seats_event_grade", "seats", ["event_id", "grade"], schema=SCHEMA)
    op.drop_index("ix_seats_event_grade_position", table_name="seats", schema=SCHEMA)
