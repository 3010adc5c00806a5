use super::*;
use std::collections::BTreeSet;

fn t(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

fn user(n: u8) -> UserId {
    UserId(uuid::Uuid::from_bytes([n; 16]))
}

fn org() -> OrgUnitId {
    OrgUnitId(uuid::Uuid::from_bytes([9; 16]))
}

fn assignment() -> Assignment {
    Assignment {
        from_status: WoStatus::Pending,
        engineer_id: user(2),
        engineer_name: "张伟".into(),
        from_engineer_id: None,
        org_unit_id: Some(org()),
        note: None,
        appointment_start: None,
        appointment_end: None,
    }
}

fn appointment() -> Appointment {
    Appointment {
        from_status: WoStatus::Accepted,
        starts_at: t("2026-11-23T01:00:00Z"),
        ends_at: t("2026-11-23T03:00:00Z"),
        previous_start: None,
        previous_end: None,
        reason: None,
        customer_agreed: true,
    }
}

fn step(from: WoStatus) -> FieldStep {
    FieldStep {
        from_status: from,
        note: None,
    }
}

fn alarm() -> AlarmFacts {
    AlarmFacts {
        source: "mc".into(),
        alarm_id: "A-1".into(),
        code: Some("E07".into()),
        message: None,
        occurred_at: Some(t("2026-11-22T06:00:00Z")),
    }
}

fn ladder(step: i64) -> LadderStep {
    LadderStep {
        milestone: Milestone::Response,
        due_at: t("2026-11-22T07:00:00Z"),
        step,
        to: vec!["刘洋".into(), "王芳".into()],
    }
}

fn due() -> MilestoneDue {
    MilestoneDue {
        milestone: Milestone::Resolution,
        due_at: t("2026-11-23T07:00:00Z"),
    }
}

fn signing() -> Signing {
    Signing {
        signer_name: Some("李明".into()),
        reason: None,
        content_hash: Some("ab".into()),
    }
}

/// One event of every kind.
fn samples() -> Vec<RequestEvent> {
    use RequestEvent as E;
    use RequestStatus as R;
    use WoStatus as W;
    vec![
        E::Created(Creation::Intake {
            number: "SR202611220001".into(),
            channel: Channel::Phone,
            kind: RequestKind::Repair,
            priority: Priority::Normal,
            warranty_class: Some(WarrantyClass::A),
            owner_id: user(1),
            org_unit_id: None,
            open_requests_for_unit: vec![],
            preferred_from: None,
            preferred_to: None,
        }),
        E::Created(Creation::Reopen {
            number: "SR202611220002".into(),
            reopens: "SR202611220001".into(),
            note: Some("又坏了".into()),
        }),
        E::OwnerChanged {
            from: user(1),
            to: user(3),
            to_name: "王芳".into(),
            note: None,
        },
        E::Transferred {
            from_unit: None,
            to_unit: "0190a000-0000-7000-8000-000000000042".parse().expect("id"),
            to_name: "沈阳铁西服务站".into(),
            reason: "本站无电梯认证工程师".into(),
        },
        E::PriorityChanged {
            from: Priority::Normal,
            to: Priority::Urgent,
            note: None,
        },
        E::TriagedRemote {
            from_status: R::Open,
            note: None,
            follow_up_due_at: Some(t("2026-11-22T10:00:00Z")),
        },
        E::TriagedOnsite {
            from_status: R::Open,
            note: None,
        },
        E::RemoteSolved {
            from_status: R::InProgress,
            note: None,
        },
        E::RemoteFailed { note: None },
        E::WorkOrderCreated {
            number: "WO202611220001".into(),
            org_unit_id: Some(org()),
            note: None,
        },
        E::Resolved {
            from_status: R::InProgress,
            how: Resolution::ByWorkOrder {
                by_work_order: "WO202611220001".into(),
            },
        },
        E::Resolved {
            from_status: R::InProgress,
            how: Resolution::ByHand {
                note: Some("电话解决".into()),
            },
        },
        E::Closed {
            from_status: R::Resolved,
            note: None,
        },
        E::WorkOrderCancelled {
            from_status: W::Scheduled,
            reason: "客户取消".into(),
        },
        E::Cancelled {
            from_status: R::Open,
            reason: "重复报修".into(),
        },
        E::Reopened {
            as_number: "SR202611220002".into(),
            note: None,
        },
        E::Callback {
            outcome: CallbackOutcome::Discrepancy,
            notes: Some("客户说没来".into()),
        },
        E::AlarmReceived(alarm()),
        E::AlarmMerged(alarm()),
        E::Dispatched(assignment()),
        E::Reassigned(Assignment {
            from_status: W::Accepted,
            from_engineer_id: Some(user(4)),
            ..assignment()
        }),
        E::Accepted {
            from_status: W::Dispatched,
        },
        E::Declined {
            from_status: W::Accepted,
            reason: "赶不回来".into(),
        },
        E::Scheduled(appointment()),
        E::Rescheduled(Appointment {
            from_status: W::Scheduled,
            previous_start: Some(t("2026-11-22T01:00:00Z")),
            previous_end: Some(t("2026-11-22T03:00:00Z")),
            reason: Some("客户出差".into()),
            customer_agreed: false,
            ..appointment()
        }),
        E::EnRoute(step(W::Scheduled)),
        E::Arrived(FieldStep {
            from_status: W::EnRoute,
            note: Some("门卫放行".into()),
        }),
        E::InService(step(W::Arrived)),
        E::Waiting {
            from_status: W::InService,
            wait_reason: WaitReason::Parts,
            reason: None,
        },
        E::Resumed {
            from_status: W::Waiting,
            to_status: W::InService,
            note: None,
        },
        E::RecordSaved {
            record_version: 2,
            parts: 1,
        },
        E::PhotoAdded {
            photo_id: "p1".into(),
            size: 1024,
            sha256: "cd".into(),
        },
        E::RecordSigned(signing()),
        E::SignatureDeclined(Signing {
            signer_name: None,
            reason: Some("不在家".into()),
            content_hash: Some("ef".into()),
        }),
        E::Completed {
            from_status: W::InService,
            outcome: Outcome::Fixed,
            loaner_left: false,
            test_run_done: Some(false),
        },
        E::FollowUpDue {
            due_at: Some(t("2026-11-25T02:00:00Z")),
            why: FollowUpReason::NoTestRun,
        },
        E::TakenToDepot { loaner_left: true },
        E::Addendum {
            body: "补充说明".into(),
        },
        E::SlaWarning {
            milestone: Milestone::Response,
            due_at: t("2026-11-22T07:00:00Z"),
            warn_at: t("2026-11-22T06:48:00Z"),
        },
        E::SlaBreached(ladder(1)),
        E::SlaEscalated(ladder(2)),
        E::SlaAcknowledged {
            milestone: Milestone::Arrival,
            due_at: Some(t("2026-11-22T09:00:00Z")),
            note: None,
        },
        E::EmergencyPlanOpened(due()),
        E::LoanerProposed(due()),
        E::LoanerIssued(crate::service::events::LoanerLent {
            loaner_id: "0190e0a0-0000-7000-8000-000000000001".parse().expect("id"),
            loan_id: "0190e0a0-0000-7000-8000-000000000002".parse().expect("id"),
            serial: "LN001".into(),
            model: "KFR-35GW".into(),
            expected_return: jiff::civil::date(2026, 3, 9),
        }),
        E::LoanerReturned(crate::service::events::LoanerBack {
            loaner_id: "0190e0a0-0000-7000-8000-000000000001".parse().expect("id"),
            loan_id: "0190e0a0-0000-7000-8000-000000000002".parse().expect("id"),
            serial: "LN001".into(),
            condition: crate::loaners::ReturnCondition::Damaged,
            accessories_complete: false,
        }),
        E::QuoteIssued(crate::service::events::QuoteFacts {
            number: "QT202612070001".into(),
            version: 2,
            total_fen: 45_200,
            valid_until: jiff::civil::date(2026, 12, 14),
        }),
        E::QuoteConfirmed(crate::service::events::QuoteAnswer {
            number: "QT202612070001".into(),
            version: 2,
            via: crate::charges::ConfirmedVia::Link,
            note: None,
        }),
        E::QuoteDeclined(crate::service::events::QuoteAnswer {
            number: "QT202612070001".into(),
            version: 1,
            via: crate::charges::ConfirmedVia::Signature,
            note: Some("too dear".into()),
        }),
        E::ChargesOverridden {
            refused: crate::charges::GateRefusal::PaymentRequired,
            reason: "hospital, cannot wait".into(),
        },
        E::PaymentRecorded(crate::service::events::PaymentFacts {
            receipt: "RC202612070001".into(),
            amount_fen: -1_000,
            method: crate::charges::PaymentMethod::WechatPay,
        }),
    ]
}

#[test]
fn every_kind_has_a_sample_and_its_name_is_the_serialized_tag() {
    let kinds: BTreeSet<&str> = samples().iter().map(|e| e.kind().as_str()).collect();
    let all: BTreeSet<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(kinds, all);
    for e in samples() {
        let v = serde_json::to_value(&e).expect("json");
        assert_eq!(v["kind"], e.kind().as_str(), "{e:?}");
        assert_eq!(EventKind::parse(e.kind().as_str()), Some(e.kind()));
    }
    assert_eq!(EventKind::parse("contacted"), None);
}

#[test]
fn every_event_reads_back_from_its_stored_columns() {
    for e in samples() {
        let s = e.to_stored().expect("stored");
        assert_eq!(s.kind, e.kind());
        let back = RequestEvent::from_stored(
            s.kind.as_str(),
            s.from_status,
            s.to_status,
            s.data.as_deref(),
        )
        .unwrap_or_else(|err| panic!("{e:?}: {err}"));
        assert_eq!(back, e);
        if let Some(d) = &s.data {
            assert!(
                !d.contains("from_status") && !d.contains("to_status"),
                "{d}"
            );
        }
    }
}

#[test]
fn the_stored_form_is_the_one_of_the_log_before_typing() {
    // The kinds, statuses and payload fields as the untyped log wrote them: old rows and
    // new ones read alike.
    let s = RequestEvent::Rescheduled(Appointment {
        from_status: WoStatus::Scheduled,
        previous_start: Some(t("2026-11-22T01:00:00Z")),
        previous_end: Some(t("2026-11-22T03:00:00Z")),
        reason: Some("客户出差".into()),
        customer_agreed: false,
        ..appointment()
    })
    .to_stored()
    .expect("stored");
    assert_eq!(s.kind.as_str(), "rescheduled");
    assert_eq!(
        (s.from_status, s.to_status),
        (Some("scheduled"), Some("scheduled"))
    );
    let d: Value = serde_json::from_str(s.data.as_deref().expect("data")).expect("json");
    assert_eq!(
        d,
        serde_json::json!({
            "starts_at": "2026-11-23T01:00:00.000000Z", "ends_at": "2026-11-23T03:00:00.000000Z",
            "previous_start": "2026-11-22T01:00:00.000000Z", "previous_end": "2026-11-22T03:00:00.000000Z",
            "reason": "客户出差", "customer_agreed": false,
        })
    );
    let s = RequestEvent::Accepted {
        from_status: WoStatus::Dispatched,
    }
    .to_stored()
    .expect("stored");
    assert_eq!(
        (s.kind.as_str(), s.from_status, s.to_status, s.data),
        ("accepted", Some("dispatched"), Some("accepted"), None)
    );
    let s = RequestEvent::Waiting {
        from_status: WoStatus::Arrived,
        wait_reason: WaitReason::QuotePayment,
        reason: None,
    }
    .to_stored()
    .expect("stored");
    assert_eq!(s.to_status, Some("waiting"));
    let d: Value = serde_json::from_str(s.data.as_deref().expect("data")).expect("json");
    assert_eq!(
        d,
        serde_json::json!({"wait_reason": "quote_payment", "reason": null})
    );
}

#[test]
fn rows_of_the_untyped_log_read_back() {
    // As the code before the typed log wrote them (payload keys in any order, instants
    // in the stored form, a `created` of the intake and one of a reopening).
    let e = RequestEvent::from_stored(
        "created",
        None,
        Some("open"),
        Some(r#"{"number":"SR1","channel":"portal","kind":"repair","priority":"high","warranty_class":null,"owner_id":"01010101-0101-0101-0101-010101010101","org_unit_id":null,"open_requests_for_unit":["SR0"]}"#),
    )
    .expect("created");
    assert!(matches!(
        e,
        RequestEvent::Created(Creation::Intake {
            channel: Channel::Portal,
            priority: Priority::High,
            ..
        })
    ));
    let e = RequestEvent::from_stored(
        "created",
        None,
        Some("open"),
        Some(r#"{"number":"SR2","reopens":"SR1","note":null}"#),
    )
    .expect("reopen");
    assert!(matches!(e, RequestEvent::Created(Creation::Reopen { .. })));
    let e = RequestEvent::from_stored("en_route", Some("scheduled"), Some("en_route"), None)
        .expect("en_route");
    assert_eq!(e, RequestEvent::EnRoute(step(WoStatus::Scheduled)));
    let e = RequestEvent::from_stored(
        "resumed",
        Some("waiting"),
        Some("arrived"),
        Some(r#"{"note":"配件到了"}"#),
    )
    .expect("resumed");
    assert_eq!(e.work_order_status(), Some(WoStatus::Arrived));
    // An acknowledgement whose due time was not known was stored with an empty one.
    let e = RequestEvent::from_stored(
        "sla_acknowledged",
        None,
        None,
        Some(r#"{"milestone":"response","due_at":"","note":null}"#),
    )
    .expect("ack");
    assert!(matches!(
        e,
        RequestEvent::SlaAcknowledged { due_at: None, .. }
    ));
}

#[test]
fn what_does_not_read_as_an_event_is_refused() {
    assert_eq!(
        RequestEvent::from_stored("contacted", None, None, None),
        Err(EventDecodeError::UnknownKind("contacted".into()))
    );
    for (kind, from, data) in [
        (
            "waiting",
            Some("arrived"),
            Some(r#"{"wait_reason":"coffee"}"#),
        ),
        ("accepted", None, None),
        ("addendum", None, Some("[1]")),
        ("addendum", None, Some("{")),
        (
            "sla_breached",
            None,
            Some(
                r#"{"milestone":"response","due_at":"2026-11-22T07:00:00.000000Z","step":1,"to":"刘洋"}"#,
            ),
        ),
    ] {
        assert!(
            matches!(
                RequestEvent::from_stored(kind, from, None, data),
                Err(EventDecodeError::Payload { .. })
            ),
            "{kind} {data:?}"
        );
    }
}

#[test]
fn localized_labels_of_old_ladder_rows_are_not_part_of_the_event() {
    // Old rows carried `label`, `role` and `role_en`; migration 0013 removes them, and
    // a reader would ignore them anyway.
    let e = RequestEvent::from_stored(
        "sla_escalated",
        None,
        None,
        Some(r#"{"milestone":"arrival","due_at":"2026-11-22T07:00:00.000000Z","label":"到场","step":2,"role":"服务站经理","role_en":"station manager","to":["刘洋"]}"#),
    )
    .expect("escalated");
    let d = e.data().expect("data").expect("some");
    let keys: Vec<&str> = d.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    for k in ["milestone", "due_at", "step", "to"] {
        assert!(keys.contains(&k), "{keys:?}");
    }
}

#[test]
fn statuses_are_the_state_machines() {
    for e in samples() {
        let (
            Some(action),
            Some(StatusChange::WorkOrder {
                from: Some(from),
                to,
            }),
        ) = (e.wo_action(), e.status_change())
        else {
            continue;
        };
        let resume = (action == WoAction::Resume).then_some(to);
        assert_eq!(
            super::super::wo_transition(from, action, resume),
            Ok(to),
            "{e:?}"
        );
    }
}

#[test]
fn what_the_customer_sees() {
    let visible: BTreeSet<&str> = samples()
        .iter()
        .filter(|e| e.is_customer_visible())
        .map(|e| e.kind().as_str())
        .collect();
    for hidden in [
        EventKind::OwnerChanged,
        EventKind::Transferred,
        EventKind::Declined,
        EventKind::Addendum,
        EventKind::SlaBreached,
        EventKind::Callback,
    ] {
        assert!(!visible.contains(hidden.as_str()));
    }
    let dispatched = RequestEvent::Dispatched(Assignment {
        note: Some("内部备注".into()),
        ..assignment()
    });
    let d = dispatched
        .customer_data()
        .expect("json")
        .expect("visible")
        .expect("data");
    assert_eq!(
        serde_json::Value::Object(d),
        serde_json::json!({"engineer_name": "张伟"})
    );
    let en_route = RequestEvent::EnRoute(step(WoStatus::Scheduled));
    assert_eq!(en_route.customer_data().expect("json"), Some(None));
    let declined = RequestEvent::Declined {
        from_status: WoStatus::Accepted,
        reason: "x".into(),
    };
    assert_eq!(declined.customer_data().expect("json"), None);
}

#[test]
fn the_customer_copy_keeps_only_the_customer_fields() {
    // Every free text the network writes is marked; what the copy still says is what
    // the customer's fields (and ids nobody shows) hold.
    let secret = "内部";
    let marked: Vec<RequestEvent> = samples()
        .into_iter()
        .map(|e| {
            let mut v = serde_json::to_value(&e).expect("json");
            if let Some(d) = v.get_mut("data").and_then(Value::as_object_mut) {
                for k in [
                    "note", "reason", "message", "notes", "body", "source", "alarm_id",
                ] {
                    if d.contains_key(k) {
                        d.insert(k.into(), Value::String(secret.into()));
                    }
                }
            }
            serde_json::from_value(v).expect("marked")
        })
        .collect();
    for e in &marked {
        let Some(c) = e.for_customer() else {
            assert!(!e.is_customer_visible());
            continue;
        };
        assert_eq!(c.kind(), e.kind());
        let keep = e.kind().customer_fields().expect("visible");
        for (k, v) in c.data().expect("json").unwrap_or_default() {
            if v.as_str() == Some(secret) {
                assert!(keep.contains(&k.as_str()), "{e}: {k}");
            }
        }
        // The same fields as the original's customer data (an emptied payload may read
        // as none).
        let kept = c.customer_data().expect("json").expect("visible");
        let orig = e.customer_data().expect("json").expect("visible");
        assert_eq!(kept.unwrap_or_default(), orig.unwrap_or_default(), "{e}");
    }
}

#[test]
fn what_the_customer_is_told() {
    let told: Vec<(EventKind, CustomerNotice)> = samples()
        .iter()
        .filter_map(|e| e.customer_notice().map(|n| (e.kind(), n)))
        .collect();
    let kinds: Vec<EventKind> = told.iter().map(|(k, _)| *k).collect();
    use EventKind as K;
    assert_eq!(
        kinds,
        vec![
            K::Created,
            K::Created,
            K::Dispatched,
            K::Reassigned,
            K::Scheduled,
            K::Rescheduled,
            K::EnRoute,
            K::Completed
        ]
    );
    assert!(told.contains(&(
        K::Dispatched,
        CustomerNotice::EngineerAssigned {
            engineer_name: "张伟".into(),
            window: None,
        }
    )));
    // Assigned with a booked window: one notice names the engineer and the window.
    let booked = RequestEvent::Dispatched(Assignment {
        from_status: WoStatus::Pending,
        engineer_id: user(2),
        engineer_name: "张伟".into(),
        from_engineer_id: None,
        org_unit_id: None,
        note: Some("internal".into()),
        appointment_start: Some("2026-12-08T01:00:00Z".parse().expect("t")),
        appointment_end: Some("2026-12-08T03:00:00Z".parse().expect("t")),
    });
    assert_eq!(
        booked.customer_notice(),
        Some(CustomerNotice::EngineerAssigned {
            engineer_name: "张伟".into(),
            window: Some((
                "2026-12-08T01:00:00Z".parse().expect("t"),
                "2026-12-08T03:00:00Z".parse().expect("t")
            )),
        })
    );
}

#[test]
fn ladder_entries_are_marked_by_milestone_and_step() {
    let marks: Vec<LadderMark> = samples()
        .iter()
        .filter_map(RequestEvent::ladder_mark)
        .collect();
    assert_eq!(marks.len(), 6);
    assert!(marks.iter().all(|m| m.kind.is_sla_ladder()));
    assert!(marks.contains(&LadderMark {
        kind: EventKind::SlaEscalated,
        milestone: Milestone::Response,
        step: Some(2)
    }));
    assert_eq!(
        EventKind::ALL.iter().filter(|k| k.is_sla_ladder()).count(),
        6
    );
}

#[test]
fn what_staff_are_told() {
    let told: Vec<(EventKind, StaffNotice)> = samples()
        .iter()
        .flat_map(|e| e.staff_notices().into_iter().map(|n| (e.kind(), n)))
        .collect();
    use EventKind as K;
    let kinds: Vec<EventKind> = told.iter().map(|(k, _)| *k).collect();
    // Filed and reopened requests reach the dispatchers; a job put on an engineer reaches
    // them, one taken off reaches the one who had it; a decline goes back to dispatch.
    assert_eq!(
        kinds,
        vec![
            K::Created,
            K::Created,
            K::Dispatched,
            K::Reassigned,
            K::Reassigned,
            K::Declined
        ]
    );
    assert!(told.contains(&(
        K::Dispatched,
        StaffNotice::JobAssigned {
            engineer_id: user(2)
        }
    )));
    let withdrawn = told
        .iter()
        .find(|(_, n)| matches!(n, StaffNotice::JobWithdrawn { .. }))
        .expect("the former engineer is told");
    assert!(withdrawn.1.texts_the_engineer());
    assert!(!StaffNotice::NewRequest.texts_the_engineer());
    // Reassigning to the same engineer withdraws nothing.
    let same = RequestEvent::Reassigned(Assignment {
        from_engineer_id: Some(user(2)),
        ..assignment()
    });
    assert_eq!(same.staff_notices().len(), 1);
}
