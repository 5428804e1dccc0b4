//! Automation screens (SPEC screen 14): the list, create and edit, enable/disable and share
//! toggles, delete with confirmation. Each route checks its `automation.*` permission first;
//! changing a rule also needs to be its owner or an Administrator (sharing: the owner only).

pub mod delete;
pub mod edit;
pub mod flags;
pub mod form;
pub mod list;

use crate::auth::Viewer;
use crate::automation::Rule;
use crate::error::AppError;
use crate::permissions::Role;
use diesel::PgConnection;

/// Who is changing a rule, movable into `Db::transaction`.
#[derive(Clone)]
pub struct Editor {
    pub id: i64,
    pub administrator: bool,
    pub perms: crate::permissions::PermSet,
    pub ip: Option<String>,
}

impl Editor {
    pub fn of(viewer: &Viewer) -> Editor {
        Editor {
            id: viewer.id(),
            administrator: viewer.user.role() == Role::Administrator,
            perms: viewer.perms(),
            ip: viewer.ip.clone(),
        }
    }

    /// Loads rule `id`, locked for a change in this transaction: 404 when it does not exist,
    /// 403 unless the editor is its owner or an Administrator.
    pub fn manageable(&self, conn: &mut PgConnection, id: i64) -> Result<Rule, AppError> {
        let rule = crate::automation::model::find_for_update(conn, id)?;
        if !rule.manageable_by(self.id, self.administrator) {
            return Err(AppError::forbidden(format!("user {} does not own rule {id}", self.id)));
        }
        Ok(rule)
    }
}
