-- Every trigger of Parley's tables. Triggers of one table and timing fire in name order, which some
-- of these rely on (a message's new_message before its parent's thread_updated).

-- channel_messages
DROP TRIGGER IF EXISTS channel_messages_check_parent ON channel_messages;
CREATE TRIGGER channel_messages_check_parent
  BEFORE INSERT OR UPDATE OF parent_message_id, channel_id ON channel_messages
  FOR EACH ROW WHEN (NEW.parent_message_id IS NOT NULL) EXECUTE FUNCTION parley_check_parent();
DROP TRIGGER IF EXISTS channel_messages_notify_insert ON channel_messages;
CREATE TRIGGER channel_messages_notify_insert
  AFTER INSERT ON channel_messages REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION notify_message_change();
DROP TRIGGER IF EXISTS channel_messages_notify_update ON channel_messages;
CREATE TRIGGER channel_messages_notify_update
  AFTER UPDATE ON channel_messages REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION notify_message_change();
DROP TRIGGER IF EXISTS channel_messages_notify_delete ON channel_messages;
CREATE TRIGGER channel_messages_notify_delete
  AFTER DELETE ON channel_messages REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION notify_message_change();
DROP TRIGGER IF EXISTS channel_messages_thread_counts_insert ON channel_messages;
CREATE TRIGGER channel_messages_thread_counts_insert
  AFTER INSERT ON channel_messages REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parley_thread_counts();
DROP TRIGGER IF EXISTS channel_messages_thread_counts_delete ON channel_messages;
CREATE TRIGGER channel_messages_thread_counts_delete
  AFTER DELETE ON channel_messages REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parley_thread_counts();

-- message_reactions
DROP TRIGGER IF EXISTS message_reactions_notify_insert ON message_reactions;
CREATE TRIGGER message_reactions_notify_insert
  AFTER INSERT ON message_reactions REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION notify_reaction_change();
DROP TRIGGER IF EXISTS message_reactions_notify_delete ON message_reactions;
CREATE TRIGGER message_reactions_notify_delete
  AFTER DELETE ON message_reactions REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION notify_reaction_change();

-- channel_members
DROP TRIGGER IF EXISTS channel_members_count ON channel_members;
CREATE TRIGGER channel_members_count
  AFTER INSERT OR DELETE ON channel_members
  FOR EACH ROW EXECUTE FUNCTION parley_member_count();
DROP TRIGGER IF EXISTS channel_members_notify_insert ON channel_members;
CREATE TRIGGER channel_members_notify_insert
  AFTER INSERT ON channel_members REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parley_member_change();
DROP TRIGGER IF EXISTS channel_members_notify_update ON channel_members;
CREATE TRIGGER channel_members_notify_update
  AFTER UPDATE ON channel_members REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parley_member_change();
DROP TRIGGER IF EXISTS channel_members_notify_delete ON channel_members;
CREATE TRIGGER channel_members_notify_delete
  AFTER DELETE ON channel_members REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parley_member_change();
DROP TRIGGER IF EXISTS channel_members_read_seq ON channel_members;
CREATE TRIGGER channel_members_read_seq
  BEFORE UPDATE OF last_read_message_id ON channel_members
  FOR EACH ROW EXECUTE FUNCTION parley_read_seq();

-- channels
DROP TRIGGER IF EXISTS channels_notify_insert ON channels;
CREATE TRIGGER channels_notify_insert
  AFTER INSERT ON channels REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parley_channel_change();
DROP TRIGGER IF EXISTS channels_notify_update ON channels;
CREATE TRIGGER channels_notify_update
  AFTER UPDATE ON channels REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parley_channel_change();
DROP TRIGGER IF EXISTS channels_touch ON channels;
CREATE TRIGGER channels_touch
  BEFORE UPDATE ON channels
  FOR EACH ROW EXECUTE FUNCTION parley_channel_touch();

-- event_pending: the first staged row of each statement queues that statement's flush at commit.
DROP TRIGGER IF EXISTS event_pending_flush ON event_pending;
CREATE CONSTRAINT TRIGGER event_pending_flush
  AFTER INSERT ON event_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.head) EXECUTE FUNCTION parley_flush_batch();

-- reports
DROP TRIGGER IF EXISTS reports_notify_insert ON reports;
CREATE TRIGGER reports_notify_insert
  AFTER INSERT ON reports REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parley_report_change();

-- notifications
DROP TRIGGER IF EXISTS notifications_notify_insert ON notifications;
CREATE TRIGGER notifications_notify_insert
  AFTER INSERT ON notifications REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parley_notification_change();
