//! The bulk preview counts what a run would change without running it (and runs it only on
//! its sample, rolled back). On random owners, tags, groups, confidential contacts and action
//! combinations, run by random actors — an Administrator, a team manager, a user with group
//! grants, a salesperson who co-owns a few — the preview's numbers and sample must be exactly
//! what the execution then does, a restricted actor's included.

use crate::fixtures::*;
use crate::helpers::*;
use custodian::access::facts;
use custodian::bulk::{self, execute, preview::Source, report, run::Selection, spec::Spec};
use custodian::db::schema::{contact_access_groups, contact_tags};
use custodian::permissions::Role;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TAGS: [&str; 3] = ["t1", "t2", "t3"];

#[tokio::test]
async fn preview_counts_and_sample_match_the_execution() {
    let app = spawn_app().await;
    let admin = app.create_user("ada@example.com", Role::Administrator);
    let users: Vec<i64> = (0..4).map(|i| app.create_user(&format!("u{i}@example.com"), Role::Salesperson)).collect();
    let mut c = app.conn();
    let groups: Vec<i64> = (0..2).map(|i| group(&mut c, &format!("G{i}"))).collect();
    // The actors: everything; a team of u0 and u1; group grants (edit on G0, view on G1); and
    // edit on what they co-own (no contacts.assign: owner and group actions are refused).
    let manager = app.create_user("manager@example.com", Role::User);
    let granted = app.create_user("granted@example.com", Role::Marketer);
    let sales = app.create_user("sales@example.com", Role::Salesperson);
    team(&mut c, "T", Some(manager), &users[0..2]);
    grant(&mut c, groups[0], Some(granted), None, "edit");
    grant(&mut c, groups[1], Some(granted), None, "view");
    let actors = [admin, manager, granted, sales];
    let (mut refused, mut restricted_runs) = (0, 0);
    let pick_user = |rng: &mut StdRng| {
        let u = users[rng.gen_range(0..users.len())];
        (u, format!("user {u}"))
    };
    for seed in 0..40u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let actor = actors[seed as usize % actors.len()];
        let s = facts::subject(&mut c, actor).unwrap().unwrap();
        c.test_transaction::<_, diesel::result::Error, _>(|c| {
            let mut ids = Vec::new();
            for i in 0..15 {
                let main = if rng.gen_bool(0.8) { Some(users[rng.gen_range(0..users.len())]) } else { None };
                let id = contact(c, &format!("P{seed}-{i}"), main);
                for u in users.iter().chain([&sales]) {
                    if Some(*u) != main && rng.gen_bool(0.3) {
                        co_owner(c, id, *u, rng.gen_bool(0.5));
                    }
                }
                if rng.gen_bool(0.15) {
                    set_confidential(c, id);
                }
                for t in TAGS {
                    if rng.gen_bool(0.3) {
                        diesel::insert_into(contact_tags::table)
                            .values((contact_tags::contact_id.eq(id), contact_tags::tag.eq(t)))
                            .execute(c)?;
                    }
                }
                for g in &groups {
                    if rng.gen_bool(0.4) {
                        diesel::insert_into(contact_access_groups::table)
                            .values((contact_access_groups::contact_id.eq(id), contact_access_groups::group_id.eq(g)))
                            .execute(c)?;
                    }
                }
                ids.push(id);
            }
            let mut spec = Spec::default();
            while spec.is_empty() {
                if rng.gen_bool(0.4) {
                    spec.set_main_owner = Some(pick_user(&mut rng));
                }
                if rng.gen_bool(0.4) {
                    let (u, e) = pick_user(&mut rng);
                    spec.add_co_owner = Some((u, e, rng.gen_bool(0.5)));
                }
                if rng.gen_bool(0.4) {
                    spec.remove_owner = Some(pick_user(&mut rng));
                }
                if rng.gen_bool(0.4) {
                    spec.tags = TAGS.iter().filter(|_| rng.gen_bool(0.5)).map(|t| t.to_string()).collect();
                }
                let g = rng.gen_range(0..groups.len());
                if rng.gen_bool(0.3) {
                    spec.add_group = Some((groups[g], "add".into()));
                }
                if rng.gen_bool(0.3) {
                    spec.remove_group = Some((groups[1 - g], "remove".into()));
                }
            }
            let sel = Selection { ids: ids.clone(), ..Selection::default() };
            let before = report::states(c, &ids)?;
            let (preview, token) = match bulk::preview::now(c, &s, &Source::Selection(sel), &spec)? {
                Ok(previewed) => previewed,
                // The actor may not make these actions at all (checked before any contact).
                Err(_) if actor != admin => {
                    refused += 1;
                    return Ok(());
                }
                Err(why) => panic!("seed {seed}: the Administrator's preview was refused: {why}"),
            };
            if actor != admin {
                restricted_runs += 1;
            }
            // In chunks of 1 to 16 contacts: chunk by chunk must do what one pass does.
            let chunk = rng.gen_range(1..=16);
            let Ok(execute::Outcome::Done(done)) = execute::now(c, &s, &token, chunk)? else {
                panic!("seed {seed}: the run did not execute")
            };
            let what = format!("seed {seed}, actor {actor}, chunks of {chunk}, {spec:?}");
            assert_eq!(preview.matched, done.matched, "{what}");
            assert_eq!(preview.editable, done.editable, "{what}");
            assert_eq!(preview.changes, done.changes, "{what}");
            assert_eq!(preview.skipped, done.skipped, "{what}");
            assert_eq!(preview.changed, done.changed, "{what}");
            assert_eq!(preview.lost_sight, done.lost_sight, "{what}");
            assert_eq!(done.changed, done.changed_ids.len() as i64, "{what}");
            // One action: every matched contact is changed or left alone for one listed reason
            // (issue #14: the numbers add up).
            let actions = [
                spec.set_main_owner.is_some(),
                spec.add_co_owner.is_some(),
                spec.remove_owner.is_some(),
                !spec.tags.is_empty(),
                spec.add_group.is_some(),
                spec.remove_group.is_some(),
            ];
            if actions.iter().filter(|a| **a).count() == 1 {
                let skipped: i64 = done.skipped.iter().map(|(_, n)| n).sum();
                assert_eq!(done.matched, done.changed + skipped, "{what}: {:?}", done.skipped);
            }
            let now = report::states(c, &preview.sample.iter().map(|r| r.id).collect::<Vec<_>>())?;
            assert!(!preview.sample.is_empty() || preview.editable == 0, "{what}");
            for row in &preview.sample {
                assert_eq!(row.after, now[&row.id].1, "{what}: contact {}", row.id);
            }
            // Issue #15: its undo, with nothing changed since, restores every contact exactly
            // (an actor who lost sight of some, or may no longer change them, restores the rest).
            if done.changed > 0 {
                let run_id: i64 = custodian::db::schema::bulk_runs::table
                    .filter(custodian::db::schema::bulk_runs::token.eq(&token))
                    .select(custodian::db::schema::bulk_runs::id)
                    .first(c)?;
                let undo = bulk::preview::undo_of(c, &s, run_id)?.expect("an undo");
                let (undo_preview, undo_token) =
                    bulk::preview::now(c, &s, &Source::Undo(run_id), &undo)?.expect("previewed");
                let Ok(execute::Outcome::Done(undone)) = execute::now(c, &s, &undo_token, chunk)? else {
                    panic!("{what}: the undo did not execute")
                };
                assert_eq!(undo_preview.changes, undone.changes, "{what}: undo");
                assert_eq!(undo_preview.skipped, undone.skipped, "{what}: undo");
                if actor == admin || (undone.matched == done.changed && undone.editable == undone.matched) {
                    assert!(
                        undone.skipped.iter().all(|(why, _)| why.starts_with("you may see")),
                        "{what}: {:?}",
                        undone.skipped
                    );
                    assert_eq!(report::states(c, &ids)?, before, "{what}: undone");
                }
            }
            Ok(())
        });
    }
    // Each restricted actor ran some and was refused some: the property covered them.
    assert!(restricted_runs >= 10 && refused >= 1, "restricted runs {restricted_runs}, refused {refused}");
}
