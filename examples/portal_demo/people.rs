//! The demo people of the portal: who can log in, in which role, and what CV knows about them
//! (the client data the client-data endpoint serves, PROTOCOL.md §11).

use cv_portal_plugin::wire::{ClientData, PluginId, TaxDocument, Unit};
use cv_portal_plugin::{Role, SubjectId, Viewer};

/// One demo person.
pub struct Person {
    /// The login name of `GET /login?as=NAME`.
    pub login: &'static str,
    /// The name shown on the portal.
    pub display: &'static str,
    /// What the home page says about them.
    pub about: &'static str,
    /// The person's id in CV (the token's `sub`).
    pub subject: &'static str,
    /// The role they use the portal in.
    pub role: Role,
    /// Whether CV has client data for them (davi has none: `client_not_found`).
    pub has_data: bool,
}

/// The demo people, in the order the home page lists them.
pub const PEOPLE: &[Person] = &[
    Person {
        login: "ana",
        display: "Ana Beatriz Souza",
        about: "cliente (Portal do Cliente), com dados no CV",
        subject: "48213",
        role: Role::Cliente,
        has_data: true,
    },
    Person {
        login: "bruno",
        display: "Bruno Carvalho",
        about: "síndico (Portal do Cliente)",
        subject: "50771",
        role: Role::Sindico,
        has_data: true,
    },
    Person {
        login: "carla",
        display: "Carla Menezes",
        about: "gestora (Portal do Gestor)",
        subject: "90112",
        role: Role::Gestor,
        has_data: true,
    },
    Person {
        login: "davi",
        display: "Davi Ramos",
        about: "cliente sem dados no CV (client_not_found)",
        subject: "61550",
        role: Role::Cliente,
        has_data: false,
    },
];

impl Person {
    /// The person by login name.
    pub fn by_login(login: &str) -> Option<&'static Person> {
        PEOPLE.iter().find(|p| p.login == login)
    }

    /// The person as the crate's viewer (subject and role).
    pub fn viewer(&self) -> Option<Viewer> {
        Some(Viewer::new(SubjectId::new(self.subject).ok()?, self.role))
    }

    /// What CV knows about `subject` in `role`, for `plugin` (the endpoint keeps only the granted
    /// fields and sets `sub`, `role` and `plugin` from the token).
    pub fn client_data(subject: &SubjectId, role: Role, plugin: &PluginId) -> Option<ClientData> {
        let person = PEOPLE
            .iter()
            .find(|p| p.subject == subject.as_str() && p.role == role && p.has_data)?;
        let (email, document, phone, units) = match person.login {
            "ana" => (
                "ana.souza@example.com.br",
                "529.982.247-25",
                "+55 11 98765-4321",
                vec![Unit {
                    empreendimento: "Residencial Ipê".to_owned(),
                    bloco: Some("B".to_owned()),
                    unidade: "1204".to_owned(),
                    contract_id: Some("C-2024-0042".to_owned()),
                }],
            ),
            "bruno" => (
                "bruno.carvalho@example.com.br",
                "111.444.777-35",
                "+55 11 91234-5678",
                vec![Unit {
                    empreendimento: "Residencial Ipê".to_owned(),
                    bloco: None,
                    unidade: "Condomínio".to_owned(),
                    contract_id: None,
                }],
            ),
            _ => (
                "carla.menezes@construtora.example.com.br",
                "935.411.347-80",
                "+55 11 3000-0000",
                Vec::new(),
            ),
        };
        Some(ClientData {
            sub: subject.clone(),
            role,
            plugin: plugin.clone(),
            name: Some(person.display.to_owned()),
            email: Some(email.to_owned()),
            document: TaxDocument::parse(document).ok(),
            phone: Some(phone.to_owned()),
            units: (!units.is_empty()).then_some(units),
        })
    }
}
