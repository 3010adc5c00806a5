//! Fee schedules through the API (docs/charges.md "Fee schedules"), on SQLite and
//! PostgreSQL: an admin adds a version and reads it back (audited), the version in force
//! by date, bad input refused field by field with nothing written, and who may add one.

use crate::both;
use crate::helpers::TestApp;
use jiff::civil::Date;
use serde_json::{Value, json};

both!(
    an_admin_adds_a_version_and_reads_it_back,
    the_version_in_force_is_the_latest_started_on_that_day,
    bad_input_is_refused_field_by_field_and_nothing_is_written,
    only_admins_add_versions,
);

fn day(today: Date, days: i64) -> String {
    today
        .checked_add(jiff::Span::new().days(days))
        .expect("date")
        .to_string()
}

/// A valid body: the starter figures, in force from `from`, with VAT `vat`.
fn body(from: &str, vat: &str) -> Value {
    json!({
        "effective_from": from,
        "note": "test version",
        "currency": "CNY",
        "labor": {
            "rates": [
                {"skill": "", "rate_fen_per_hour": 12000, "internal_cost_fen_per_hour": 6000},
                {"skill": "空调", "rate_fen_per_hour": 15000, "internal_cost_fen_per_hour": 7000}
            ],
            "minimum_minutes": 60,
            "step_minutes": 30
        },
        "travel": {
            "same_city_fen": 5000,
            "same_province_fen": 15000,
            "other_province_fen": 30000,
            "bands": [{"up_to_km": 20, "fee_fen": 4000}, {"up_to_km": 50, "fee_fen": 8000}],
            "per_km_beyond_fen": 200
        },
        "surcharges": {"urgent": "0.6", "night": "0.3", "holiday": "1",
            "night_from_hour": 20, "night_until_hour": 8},
        "vat": vat,
        "pay_first": true,
        "no_serial": "charge_all",
        "quote_valid_days": 10,
        "partners": [{"org_code": "P-HT", "labor_rate_fen_per_hour": 10000, "travel_fen": null}]
    })
}

async fn an_admin_adds_a_version_and_reads_it_back(app: TestApp) {
    let admin = app.token("admin").await;
    let today = app.app.today();
    let from = day(today, 30);
    let (s, v) = app
        .send(
            "POST",
            "/api/v1/fee-schedules",
            &admin,
            Some(body(&from, "0.13")),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["effective_from"], from.as_str());
    assert_eq!(v["note"], "test version");
    let sc = &v["schedule"];
    assert_eq!(sc["vat"], "0.13");
    assert_eq!(sc["surcharges"]["urgent"], "0.6");
    assert_eq!(sc["labor"]["rates"][1]["skill"], "空调");
    assert_eq!(sc["labor"]["rates"][1]["rate_fen_per_hour"], 15000);
    assert_eq!(sc["travel"]["bands"][1]["fee_fen"], 8000);
    assert_eq!(sc["no_serial"], "charge_all");
    assert_eq!(sc["partners"][0]["org_code"], "P-HT");
    assert_eq!(sc["partners"][0]["labor_rate_fen_per_hour"], 10000);
    assert!(sc["partners"][0]["travel_fen"].is_null());
    let id = v["id"].as_str().expect("id").to_owned();

    let (s, got) = app
        .get(&format!("/api/v1/fee-schedules/{id}"), &admin)
        .await;
    assert_eq!(s, 200);
    assert_eq!(got, v);
    // The version reads back as a body: posting it again makes an equal version.
    let mut again = got["schedule"].clone();
    again["effective_from"] = json!(day(today, 31));
    let (s, copy) = app
        .send("POST", "/api/v1/fee-schedules", &admin, Some(again))
        .await;
    assert_eq!(s, 201, "{copy}");
    assert_eq!(copy["schedule"]["labor"], v["schedule"]["labor"]);
    assert_eq!(copy["number"], v["number"].as_i64().expect("number") + 1);

    // Newest first; the first start's starter version is there too.
    let (s, list) = app.get("/api/v1/fee-schedules", &admin).await;
    assert_eq!(s, 200);
    let list = list.as_array().expect("list");
    assert_eq!(list.len(), 3, "{list:?}");
    assert_eq!(list[0]["id"], copy["id"]);
    assert_eq!(list[1]["id"], v["id"]);
    assert_eq!(list[2]["schedule"]["vat"], "0.13");
    assert_eq!(list[2]["effective_from"], today.to_string());

    let (s, page) = app
        .get(
            &format!("/api/v1/audit?entity=fee_schedule&entity_id={id}"),
            &admin,
        )
        .await;
    assert_eq!(s, 200);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["action"], "add_version");
    assert_eq!(items[0]["actor_name"], "admin");

    let (s, _) = app
        .get(
            &format!("/api/v1/fee-schedules/{}", uuid::Uuid::now_v7()),
            &admin,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app.get("/api/v1/fee-schedules/not-an-id", &admin).await;
    assert_eq!(s, 404);
}

async fn the_version_in_force_is_the_latest_started_on_that_day(app: TestApp) {
    let admin = app.token("admin").await;
    let today = app.app.today();
    for (days, vat) in [(10, "0.1"), (20, "0.06"), (20, "0.09")] {
        let (s, v) = app
            .send(
                "POST",
                "/api/v1/fee-schedules",
                &admin,
                Some(body(&day(today, days), vat)),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let vat_on = |on: Option<String>| {
        let path = match on {
            Some(d) => format!("/api/v1/fee-schedules/current?on={d}"),
            None => "/api/v1/fee-schedules/current".to_owned(),
        };
        let app = &app;
        let admin = admin.clone();
        async move {
            let (s, v) = app.get(&path, &admin).await;
            (s, v["schedule"]["vat"].clone())
        }
    };
    // The first start's starter version is in force from today.
    assert_eq!(vat_on(None).await, (200, json!("0.13")));
    assert_eq!(vat_on(Some(day(today, 0))).await, (200, json!("0.13")));
    assert_eq!(vat_on(Some(day(today, 9))).await, (200, json!("0.13")));
    assert_eq!(vat_on(Some(day(today, 10))).await, (200, json!("0.1")));
    assert_eq!(vat_on(Some(day(today, 19))).await, (200, json!("0.1")));
    // Two versions from the same day: the one added last.
    assert_eq!(vat_on(Some(day(today, 20))).await, (200, json!("0.09")));
    assert_eq!(vat_on(Some(day(today, 400))).await, (200, json!("0.09")));
    // Before the first version: none.
    assert_eq!(vat_on(Some(day(today, -1))).await.0, 404);
    let (s, p) = app
        .get("/api/v1/fee-schedules/current?on=2026-02-30", &admin)
        .await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["errors"][0]["field"], "on");
    // Engineers read it; customers do not.
    let engineer = app.token("engineer").await;
    let (s, _) = app.get("/api/v1/fee-schedules/current", &engineer).await;
    assert_eq!(s, 200);
    let customer = app.token("customer").await;
    let (s, p) = app.get("/api/v1/fee-schedules/current", &customer).await;
    assert_eq!(s, 403, "{p}");
}

async fn bad_input_is_refused_field_by_field_and_nothing_is_written(app: TestApp) {
    let admin = app.token("admin").await;
    let today = app.app.today();
    let from = day(today, 5);
    let (_, before) = app.get("/api/v1/fee-schedules", &admin).await;
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "rate with 7 decimals",
            json!({"vat": "0.1300001"}),
            "vat",
            "too_many_decimals",
        ),
        (
            "unknown currency",
            json!({"currency": "USD"}),
            "currency",
            "unknown_currency",
        ),
        (
            "negative fen",
            json!({"travel": {"same_city_fen": -1, "same_province_fen": 0, "other_province_fen": 0}}),
            "travel.same_city_fen",
            "out_of_range",
        ),
        (
            "non-integer fen",
            json!({"labor": {"rates": [{"skill": "", "rate_fen_per_hour": 1.5,
                "internal_cost_fen_per_hour": 0}], "minimum_minutes": 60, "step_minutes": 30}}),
            "labor.rates[0].rate_fen_per_hour",
            "whole_number",
        ),
        (
            "in the past",
            json!({"effective_from": day(today, -1)}),
            "effective_from",
            "in_the_past",
        ),
        (
            "a surcharge above 1000 %",
            json!({"surcharges": {"urgent": "10.5", "night": "0", "holiday": "0",
                "night_from_hour": 20, "night_until_hour": 8}}),
            "surcharges.urgent",
            "out_of_range",
        ),
        (
            "bands not ascending",
            json!({"travel": {"same_city_fen": 0, "same_province_fen": 0, "other_province_fen": 0,
                "bands": [{"up_to_km": 50, "fee_fen": 1}, {"up_to_km": 20, "fee_fen": 2}]}}),
            "travel.bands[1].up_to_km",
            "not_ascending",
        ),
        (
            "an unknown policy",
            json!({"no_serial": "maybe"}),
            "no_serial",
            "invalid_choice",
        ),
    ];
    for (what, patch, field, code) in cases {
        let mut b = body(&from, "0.13");
        for (k, v) in patch.as_object().expect("patch") {
            b[k] = v.clone();
        }
        let (s, p) = app
            .send("POST", "/api/v1/fee-schedules", &admin, Some(b))
            .await;
        assert_eq!(s, 422, "{what}: {p}");
        assert_eq!(p["code"], "validation_failed", "{what}: {p}");
        let errors = p["errors"].as_array().expect("errors");
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{what}: {p}"
        );
    }
    let (_, after) = app.get("/api/v1/fee-schedules", &admin).await;
    assert_eq!(before, after);
}

async fn only_admins_add_versions(app: TestApp) {
    let admin = app.token("admin").await;
    let from = day(app.app.today(), 3);
    for role in ["engineer", "customer", "manager", "partner"] {
        let token = app.token(role).await;
        let (s, p) = app
            .send(
                "POST",
                "/api/v1/fee-schedules",
                &token,
                Some(body(&from, "0.13")),
            )
            .await;
        assert_eq!(s, 403, "{role}: {p}");
        assert_eq!(p["code"], "forbidden");
    }
    let (_, list) = app.get("/api/v1/fee-schedules", &admin).await;
    assert_eq!(list.as_array().expect("list").len(), 1, "{list}");
}
