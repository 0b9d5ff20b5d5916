"""The kennisbank: each dossier's card and search text, precedent links, loketten and public summaries.

Full text: PostgreSQL keeps a generated tsvector (``dutch`` configuration: title A, rules B, the rest D)
with a GIN index; SQLite keeps an FTS5 table whose rowid is ``kennis_entry.id`` and whose text is stemmed
in Python with the same Dutch Snowball stemmer (engine/gros/kennisbank/words.py).

Revision ID: 0053_kennisbank
Revises: 0052_login_attempts
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0053_kennisbank"
down_revision = "0052_login_attempts"
branch_labels = None
depends_on = None

TSVECTOR = ("setweight(to_tsvector('dutch'::regconfig, title), 'A') || "
            "setweight(to_tsvector('dutch'::regconfig, rules), 'B') || to_tsvector('dutch'::regconfig, body)")


def upgrade() -> None:
    op.create_table(
        "kennis_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("phase", sa.String(length=200), nullable=True),
        sa.Column("sides", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("solution", sa.String(length=100), nullable=True),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id"),
    )
    for column in ("theme", "outcome", "year"):
        op.create_index(f"ix_kennis_entry_{column}", "kennis_entry", [column])
    op.create_index("ix_kennis_entry_recent", "kennis_entry", ["updated_at", "id"])
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE kennis_entry ADD COLUMN search tsvector GENERATED ALWAYS AS ({TSVECTOR}) STORED")
        op.execute("CREATE INDEX ix_kennis_entry_search ON kennis_entry USING GIN (search)")
    else:
        op.execute("CREATE VIRTUAL TABLE kennis_fts USING fts5(title, rules, body, "
                   "tokenize='unicode61 remove_diacritics 0')")
        # FTS5's rank: bm25 with the column weights of the tsvector's A (title), B (rules) and D (the rest).
        op.execute("INSERT INTO kennis_fts (kennis_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)')")
        op.execute("CREATE TRIGGER kennis_entry_deleted AFTER DELETE ON kennis_entry "
                   "BEGIN DELETE FROM kennis_fts WHERE rowid = old.id; END")
    op.create_table(
        "kennis_precedent",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("precedent_id", sa.String(length=36), nullable=False),
        sa.Column("marked_by", sa.String(length=100), nullable=False),
        sa.Column("marked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["precedent_id"], ["process_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id", "precedent_id"),
    )
    op.create_index("ix_kennis_precedent_precedent_id", "kennis_precedent", ["precedent_id"])
    op.create_table(
        "kennis_loket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kennis_loket_theme", "kennis_loket", ["theme"])
    op.create_table(
        "kennis_publicatie",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("published_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id"),
    )
    op.create_index("ix_kennis_publicatie_published_at", "kennis_publicatie", ["published_at"])


def downgrade() -> None:
    for table in ("kennis_publicatie", "kennis_loket", "kennis_precedent"):
        op.drop_table(table)
    if op.get_context().dialect.name != "postgresql":
        op.execute("DROP TRIGGER kennis_entry_deleted")
        op.execute("DROP TABLE kennis_fts")
    op.drop_table("kennis_entry")
