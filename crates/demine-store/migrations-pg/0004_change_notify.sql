-- Servers keep the registry's generation and the accounts they are asked for until the registry
-- changes (src/pg/watch.rs). Every change that moves either notifies `demine_changed`, from
-- whichever process makes it, when its transaction commits (one notification per transaction
-- and payload: PostgreSQL folds repeats).
CREATE OR REPLACE FUNCTION demine_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('demine_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER change_log_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON change_log
    FOR EACH STATEMENT EXECUTE FUNCTION demine_notify_change();
CREATE TRIGGER risk_cells_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON risk_cells
    FOR EACH STATEMENT EXECUTE FUNCTION demine_notify_change();
CREATE TRIGGER users_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION demine_notify_change();
CREATE TRIGGER tokens_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION demine_notify_change();
