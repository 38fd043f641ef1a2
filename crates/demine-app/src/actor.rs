//! Who asks: a name, a role, and the organisations the role reaches.

use crate::{AppError, AppResult};
use demine_store::Author;

/// The roles of a mine action programme's shared registry (DESIGN.md, server contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the registry: accounts, backups, everything.
    Admin,
    /// The authority's information officer: reads every organisation, approves.
    Analyst,
    /// An operator's planner: writes their own organisation's records and plans.
    Planner,
    /// Submits progress and finds for their organisation's tasks.
    TeamLeader,
    /// QA records for the organisations assigned.
    QaInspector,
    /// Published aggregates only (donors, the public).
    Viewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Analyst,
        Role::Planner,
        Role::TeamLeader,
        Role::QaInspector,
        Role::Viewer,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Planner => "planner",
            Role::TeamLeader => "team_leader",
            Role::QaInspector => "qa_inspector",
            Role::Viewer => "viewer",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        let t = s.trim().to_ascii_lowercase().replace('-', "_");
        Role::ALL.into_iter().find(|r| r.as_str() == t).ok_or_else(|| {
            format!(
                "'{s}' is not a role; use one of {}",
                Role::ALL.map(Role::as_str).join(", ")
            )
        })
    }
}

/// What an actor asks to do, for the role check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Read records (within the actor's organisations).
    Read,
    /// Import, amend or retire records; plan.
    Write,
    /// Record daily progress and finds.
    Progress,
    /// Record QA inspections.
    Qa,
    /// Registry-wide work: risk map, demo, users, audit.
    Administer,
    /// Read aggregates (release totals, reports).
    Aggregates,
}

/// Who asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
    /// The actor's own organisation (operators).
    pub organisation: Option<String>,
    /// Organisations a QA inspector is assigned to.
    pub assigned: Vec<String>,
    /// The request (HTTP) the actor's change came in, for the audit log.
    pub request_id: Option<String>,
}

impl Actor {
    /// The person at the terminal of a registry file they hold: every right on it.
    pub fn local(name: &str) -> Actor {
        Actor {
            name: name.to_string(),
            role: Role::Admin,
            organisation: None,
            assigned: Vec::new(),
            request_id: None,
        }
    }

    /// The organisations whose records the actor sees; `None` is every organisation.
    pub fn scope(&self) -> Option<Vec<String>> {
        match self.role {
            Role::Admin | Role::Analyst | Role::Viewer => None,
            Role::Planner | Role::TeamLeader => Some(self.organisation.iter().cloned().collect()),
            Role::QaInspector => {
                let mut v = self.assigned.clone();
                v.extend(self.organisation.iter().cloned());
                v.sort();
                v.dedup();
                Some(v)
            }
        }
    }

    /// Whether the actor approves or rejects what operators submit (the authority's analysts).
    pub fn may_review(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Analyst)
    }

    /// What the actor may do, by act: what a client shows (menus follow it; the server still
    /// checks every request).
    pub fn rights(&self) -> serde_json::Value {
        serde_json::json!({
            "read": self.may(Act::Read),
            "write": self.may(Act::Write),
            "progress": self.may(Act::Progress),
            "qa": self.may(Act::Qa),
            "administer": self.may(Act::Administer),
            "aggregates": self.may(Act::Aggregates),
            "review": self.may_review(),
        })
    }

    /// Whether the role allows `act` (deny by default).
    pub fn may(&self, act: Act) -> bool {
        use Act::*;
        use Role::*;
        matches!(
            (self.role, act),
            (Admin, _)
                | (Analyst, Read | Write | Aggregates | Qa)
                | (Planner, Read | Write | Progress | Aggregates)
                | (TeamLeader, Read | Progress | Aggregates)
                | (QaInspector, Read | Qa | Aggregates)
                | (Viewer, Aggregates)
        )
    }

    /// Refuses what the role does not allow.
    pub fn require(&self, act: Act) -> AppResult<()> {
        if self.may(act) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{} ({}) may not {}",
                self.name,
                self.role.as_str(),
                match act {
                    Act::Read => "read records",
                    Act::Write => "change records",
                    Act::Progress => "record progress",
                    Act::Qa => "record QA inspections",
                    Act::Administer => "administer the registry",
                    Act::Aggregates => "read figures",
                }
            )))
        }
    }

    /// The author of the actor's changes, for the change log.
    pub fn author(&self) -> Author {
        Author {
            name: self.name.clone(),
            organisation: self.organisation.clone(),
            request_id: self.request_id.clone(),
        }
    }

    /// Whether a record of `organisation` is within the actor's reach.
    pub fn reaches(&self, organisation: Option<&str>) -> bool {
        match self.scope() {
            None => true,
            Some(orgs) => organisation.is_some_and(|o| orgs.iter().any(|x| x == o)),
        }
    }
}
