-- The change log of one record (`demine show`, the API's history of a record) without reading
-- the whole log.
CREATE INDEX change_log_entity ON change_log(entity, entity_id);
