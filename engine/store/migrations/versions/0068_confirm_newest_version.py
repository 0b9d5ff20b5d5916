"""A start on PostgreSQL confirms the version it took with its other statements (issue 18): the newest version's
id this process read last is taken without asking, and ``gros_confirm_newest`` — sent with the command's rows and
COMMIT — fails the transaction with SQLSTATE GR001 when another version is the newest by then (another process
deployed it). The start then runs again and asks. One round trip per start instead of two. SQLite asks each time
(it costs no round trip) and gets no function.

Revision ID: 0068_confirm_newest_version
Revises: 0067_fewer_index_writes
"""
from alembic import op

revision = "0068_confirm_newest_version"
down_revision = "0067_fewer_index_writes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION gros_confirm_newest(p_key text, p_id integer) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF p_id IS DISTINCT FROM (SELECT id FROM process_definition WHERE key = p_key
                                      ORDER BY version DESC LIMIT 1) THEN
                RAISE EXCEPTION 'proces % heeft een nieuwere versie dan definitie %', p_key, p_id
                    USING ERRCODE = 'GR001';
            END IF;
        END
        $$""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION gros_confirm_newest(text, integer)")
