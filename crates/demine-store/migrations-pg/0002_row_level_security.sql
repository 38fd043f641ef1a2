-- Row-level security: the second wall of organisation isolation (the first is the
-- application's filter). Every table with an organisation -- its own, or its hazard's, as
-- `Spec::organisation` reads it -- is visible only to transactions that declare it in
-- `demine.organisations` (SET LOCAL, per transaction: safe behind a pool):
--   unset or ''  nothing (deny by default)
--   '*'          every organisation (unscoped readers, and writes)
--   'A,B'        organisations A and B (records without an organisation: none)
-- FORCE: the tables' owner is held to it too. Superusers and roles with BYPASSRLS are not:
-- the server must connect as an ordinary role.

CREATE FUNCTION demine_may_see(org text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT CASE coalesce(current_setting('demine.organisations', true), '')
    WHEN '' THEN false
    WHEN '*' THEN true
    ELSE coalesce(org = ANY (string_to_array(current_setting('demine.organisations', true), ',')), false)
  END
$$;

ALTER TABLE hazards ENABLE ROW LEVEL SECURITY;
ALTER TABLE hazards FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON hazards USING (demine_may_see(organisation));

ALTER TABLE teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE teams FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON teams USING (demine_may_see(organisation));

ALTER TABLE activities ENABLE ROW LEVEL SECURITY;
ALTER TABLE activities FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON activities USING (demine_may_see(COALESCE(organisation, (SELECT h.organisation FROM hazards h WHERE h.id = hazard_id))));

ALTER TABLE finds ENABLE ROW LEVEL SECURITY;
ALTER TABLE finds FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON finds USING (demine_may_see((SELECT h.organisation FROM hazards h WHERE h.id = hazard_id)));

ALTER TABLE accidents ENABLE ROW LEVEL SECURITY;
ALTER TABLE accidents FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON accidents USING (demine_may_see((SELECT h.organisation FROM hazards h WHERE h.id = hazard_id)));

ALTER TABLE daily_progress ENABLE ROW LEVEL SECURITY;
ALTER TABLE daily_progress FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON daily_progress USING (demine_may_see((SELECT h.organisation FROM hazards h WHERE h.id = hazard_id)));

ALTER TABLE qa_inspections ENABLE ROW LEVEL SECURITY;
ALTER TABLE qa_inspections FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON qa_inspections USING (demine_may_see((SELECT h.organisation FROM hazards h WHERE h.id = hazard_id)));

ALTER TABLE released_land ENABLE ROW LEVEL SECURITY;
ALTER TABLE released_land FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON released_land USING (demine_may_see((SELECT h.organisation FROM hazards h WHERE h.id = hazard_id)));

ALTER TABLE hazards_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE hazards_history FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON hazards_history USING (demine_may_see(organisation));

ALTER TABLE teams_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE teams_history FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON teams_history USING (demine_may_see(organisation));

ALTER TABLE activities_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE activities_history FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON activities_history USING (demine_may_see(COALESCE(organisation, (SELECT h.organisation FROM hazards h WHERE h.id = hazard_id))));

ALTER TABLE finds_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE finds_history FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON finds_history USING (demine_may_see((SELECT h.organisation FROM hazards h WHERE h.id = hazard_id)));

ALTER TABLE accidents_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE accidents_history FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON accidents_history USING (demine_may_see((SELECT h.organisation FROM hazards h WHERE h.id = hazard_id)));

ALTER TABLE daily_progress_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE daily_progress_history FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON daily_progress_history USING (demine_may_see((SELECT h.organisation FROM hazards h WHERE h.id = hazard_id)));

ALTER TABLE qa_inspections_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE qa_inspections_history FORCE ROW LEVEL SECURITY;
CREATE POLICY organisation_scope ON qa_inspections_history USING (demine_may_see((SELECT h.organisation FROM hazards h WHERE h.id = hazard_id)));
