//! SCIM 2.0 protocol code with no HTTP in it (RFC 7644): the filter language, the mapping
//! between Custodian's users and teams and SCIM's User and Group resources, and the protocol's
//! errors. The endpoints that speak it are in `web::scim`.

pub mod error;
pub mod filter;
pub mod group;
pub mod user;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// An attribute name as a request writes it, lower-cased, without a core schema's URN.
pub fn attribute(name: &str) -> String {
    let n = name.trim().to_ascii_lowercase();
    for schema in [USER_SCHEMA, GROUP_SCHEMA] {
        if let Some(rest) = n.strip_prefix(&format!("{}:", schema.to_ascii_lowercase())) {
            return rest.to_string();
        }
    }
    n
}
