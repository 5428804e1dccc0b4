//! SCIM 2.0 protocol code with no HTTP in it (RFC 7644): the filter language. The endpoints
//! that speak it are in `web::scim`.

pub mod filter;
