//! Instance-wide sign-in settings, for Administrators holding `administration.settings`
//! (`access::authority::security`), one page each: the two-factor policy, "SSO only" and
//! provisioning.

pub mod provisioning;
pub mod sign_in;
pub mod two_factor;
