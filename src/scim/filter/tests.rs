//! The filter parser and matcher against RFC 7644's examples and their edges.

use super::*;
use serde_json::json;

/// Issue #26 S1: the parser's recursion is bounded before it can grow with the input, on a
/// thread with a small stack (an unbounded parser overflows it long before 4,096 bytes).
#[test]
fn nesting_and_chains_are_bounded() {
    let run = |f: String| {
        std::thread::Builder::new().stack_size(256 * 1024).spawn(move || parse(&f).is_ok()).unwrap().join().unwrap()
    };
    assert!(run(format!("{}userName pr{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH))));
    assert!(!run(format!("{}userName pr{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1))));
    assert!(!run(format!("{}userName pr{}", "not (".repeat(2000), ")".repeat(2000))));
    assert!(!run(format!("{}{}", "emails[".repeat(1000), "]".repeat(1000))));
    assert!(!run(vec!["userName pr"; 300].join(" or ")));
    assert!(run(vec!["userName pr"; 60].join(" or ")));
}

fn user() -> Value {
    json!({
        "id": "7", "externalId": "Ext-7", "userName": "Bjensen@Example.com", "active": true,
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "emails": [{"value": "bjensen@example.com", "type": "work"}, {"value": "babs@home.test", "type": "home"}]
    })
}

fn is(f: &str) -> bool {
    matches(&parse(f).unwrap(), &user())
}

#[test]
fn the_rfc_operators_on_the_attributes_provisioning_uses() {
    assert!(is(r#"userName eq "bjensen@example.com""#), "userName is not case-exact");
    assert!(is(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "BJ""#));
    assert!(is(r#"name.familyName co "ense""#));
    assert!(is(r#"emails.value eq "babs@home.test""#), "any of a multi-valued attribute");
    assert!(is(r#"emails[type eq "work" and value ew "example.com"]"#));
    assert!(!is(r#"emails[type eq "home" and value ew "example.com"]"#));
    assert!(is(r#"externalId eq "Ext-7""#));
    assert!(!is(r#"externalId eq "ext-7""#), "externalId is case-exact");
    assert!(is("active eq true and title pr or userName pr"));
    assert!(!is("title pr"));
    assert!(is("not (active eq false)"));
    assert!(is(r#"userName ne "someone""#));
    assert!(is("title eq null"));
    assert!(is(r#"(userName eq "x" or name.givenName eq "barbara") and active eq true"#));
}

#[test]
fn malformed_filters_are_refused_with_a_reason() {
    for bad in [
        "",
        "userName",
        "userName eq",
        "userName zz \"x\"",
        "(userName pr",
        "userName eq x",
        "not userName pr",
        "emails[type eq \"w\"",
        "userName pr )",
        "\"x\" eq \"y\"",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}
