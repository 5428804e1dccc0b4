//! Each rule of SPEC 3, checked through the HTTP screens (filled in with the contact screens).
