"""scheduler: meeting calendar, agenda items, stall flags, scheduler heartbeats

Revision ID: 0030_scheduler
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from engine.store.models import UTCDateTime


revision = '0030_scheduler'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'meeting',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('title', sa.String(300), nullable=False),
        sa.Column('held_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('zone', sa.String(40), nullable=False),
        sa.Column('lead_time', sa.String(20), nullable=False),
        sa.Column('request_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('report_deadline', UTCDateTime(timezone=True), nullable=False),
        sa.Column('requested_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('agenda_ready_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('cancelled_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_by', sa.String(100), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_meeting_held_at', 'meeting', ['held_at'])
    op.create_index('ix_meeting_request_at', 'meeting', ['request_at'])
    op.create_table(
        'meeting_item',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('meeting_id', sa.Integer(), sa.ForeignKey('meeting.id', ondelete='CASCADE'), nullable=False),
        sa.Column('instance_id', sa.String(36), nullable=False),
        sa.Column('business_key', sa.String(200), nullable=True),
        sa.Column('title', sa.String(500), nullable=True),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('requested_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('reported_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('report', sa.JSON(), nullable=True),
        sa.Column('judged_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('judgement', sa.JSON(), nullable=True),
        sa.UniqueConstraint('meeting_id', 'instance_id'),
    )
    op.create_index('ix_meeting_item_instance_id', 'meeting_item', ['instance_id'])
    op.create_table(
        'stall_flag',
        sa.Column('instance_id', sa.String(36), sa.ForeignKey('process_instance.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('reason', sa.String(30), primary_key=True),
        sa.Column('since', UTCDateTime(timezone=True), nullable=False),
        sa.Column('business_key', sa.String(200), nullable=True),
        sa.Column('title', sa.String(500), nullable=True),
        sa.Column('side', sa.String(10), nullable=True),
        sa.Column('waiting_on', sa.JSON(), nullable=False),
        sa.Column('task_id', sa.String(36), nullable=True),
        sa.Column('task_name', sa.String(300), nullable=True),
        sa.Column('flagged_at', UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_stall_flag_since', 'stall_flag', ['reason', 'since'])
    op.create_table(
        'scheduler_node',
        sa.Column('name', sa.String(200), primary_key=True),
        sa.Column('started_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('beat_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('fired', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
    )
    op.create_index('ix_scheduler_node_beat_at', 'scheduler_node', ['beat_at'])
    # The radar asks "when did this instance last complete a task" for every running instance.
    op.create_index('ix_audit_event_progress', 'audit_event', ['instance_id', 'action', 'at'])


def downgrade() -> None:
    op.drop_index('ix_audit_event_progress', 'audit_event')
    op.drop_table('scheduler_node')
    op.drop_table('stall_flag')
    op.drop_table('meeting_item')
    op.drop_table('meeting')
