//! Who is looking at the portal: a [`Viewer`] (a person and their role) and the [`Surface`] that
//! role uses.
//!
//! The portal has two surfaces. The client portal (Portal do Cliente) is used by buyers
//! ([`Role::Cliente`]) and building managers ([`Role::Sindico`]); the manager panel (Portal do
//! Gestor) is used by the construction company's staff ([`Role::Gestor`]). A role therefore fixes
//! the surface, and menu resolution and token minting both start from it.

use crate::wire::{Role, SubjectId};

/// Where a plugin's menu entry is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Surface {
    /// The client portal (Portal do Cliente), used by clientes and síndicos.
    ClientPortal,
    /// The manager panel (Portal do Gestor), used by staff.
    ManagerPanel,
}

impl Surface {
    /// The surface a role uses.
    ///
    /// ```
    /// use cv_portal_plugin::{Role, Surface};
    /// assert_eq!(Surface::of(Role::Sindico), Surface::ClientPortal);
    /// assert_eq!(Surface::of(Role::Gestor), Surface::ManagerPanel);
    /// ```
    pub const fn of(role: Role) -> Surface {
        match role {
            Role::Cliente | Role::Sindico => Surface::ClientPortal,
            Role::Gestor => Surface::ManagerPanel,
        }
    }
}

/// A logged-in person: who they are and in which role they use the portal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Viewer {
    subject: SubjectId,
    role: Role,
}

impl Viewer {
    /// A viewer with the given subject identifier and role.
    pub fn new(subject: SubjectId, role: Role) -> Self {
        Viewer { subject, role }
    }

    /// The person's identifier.
    pub fn subject(&self) -> &SubjectId {
        &self.subject
    }

    /// The person's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The surface the person is using.
    pub fn surface(&self) -> Surface {
        Surface::of(self.role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surfaces() {
        assert_eq!(Surface::of(Role::Cliente), Surface::ClientPortal);
        assert_eq!(Surface::of(Role::Sindico), Surface::ClientPortal);
        assert_eq!(Surface::of(Role::Gestor), Surface::ManagerPanel);
        let viewer = Viewer::new(SubjectId::new("7").unwrap(), Role::Gestor);
        assert_eq!(viewer.surface(), Surface::ManagerPanel);
    }
}
