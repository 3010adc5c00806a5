//! A realistic service record in either language, shared by the tests and the example.
#![allow(dead_code)]

use aftersales_documents::{
    Addendum, ChargeLine, Company, Customer, FaultCause, Lang, PartRow, ServiceRecordDoc,
    Signature, TestRun, Unit,
};

/// A signature as a signature pad exports it: RGBA PNG, dark strokes on transparency.
pub const SIGNATURE_PNG: &[u8] = include_bytes!("../fixtures/signature.png");

pub const VERIFY_URL: &str = "https://service.example.com/verify/WO202611300001?h=9f2c4e1ab37d5c08";

pub fn sample(lang: Lang) -> ServiceRecordDoc {
    match lang {
        Lang::ZhCn => zh(),
        Lang::En => en(),
    }
}

fn zh() -> ServiceRecordDoc {
    ServiceRecordDoc {
        lang: Lang::ZhCn,
        company: Company {
            name: "沈阳北方暖通设备有限公司".into(),
            contact_line: Some("沈阳市和平区南京北街 88 号 · 服务热线 400-820-8820".into()),
        },
        record_number: "WO202611300001".into(),
        request_number: "SR202611300007".into(),
        service_kind: "上门维修（保内）".into(),
        dispatched_at: "2026-11-30 09:12".into(),
        arrived_at: "2026-11-30 10:05".into(),
        completed_at: "2026-11-30 12:40".into(),
        customer: Customer {
            name: "沈阳重型机械有限公司".into(),
            number: "C-000318".into(),
            contact_person: "王磊（设备科）".into(),
            phone: "139 1234 5678".into(),
            address: "辽宁省沈阳市铁西区北二中路 9 号 3 号厂房二楼机房".into(),
        },
        unit: Unit {
            model_name: "商用柜式空调".into(),
            model_code: "KT-5P".into(),
            serial: "KT-2023-0002".into(),
            warranty_class: "A".into(),
            warranty_status: "保修期内（至 2027-04-01）".into(),
        },
        engineers: vec!["李强".into(), "赵明".into()],
        fault_symptom: "客户反映空调制冷效果差，室内温度降不下来，室外机运行时有明显异响，\
                        偶尔自动停机并显示故障代码 E5。"
            .into(),
        fault_cause: FaultCause {
            code: "E05".into(),
            text: "室外风机电容失效，风机转速不足导致冷凝压力过高，压缩机过热保护。".into(),
        },
        action_taken:
            "检测冷媒压力正常；更换室外风机电容（5μF）并紧固风机固定螺栓，清洗冷凝器翅片；\
                       开机试运行 40 分钟，出风温度 12℃，运行电流恢复正常，异响消除。"
                .into(),
        notes: "建议客户每季度清洗一次室外机冷凝器，机房保持通风。".into(),
        parts: vec![
            PartRow {
                part_number: "CAP-5UF-450V".into(),
                name: "风机电容 5μF/450V".into(),
                quantity: "1".into(),
                charge_basis: "保修免费".into(),
            },
            PartRow {
                part_number: "BLT-M6X20".into(),
                name: "风机固定螺栓 M6×20".into(),
                quantity: "4".into(),
                charge_basis: "保修免费".into(),
            },
        ],
        labor_hours: "2小时35分".into(),
        charges: vec![ChargeLine {
            text: "上门费（市内）".into(),
            amount: "¥0.00".into(),
        }],
        charges_total: Some("¥0.00".into()),
        test_run: TestRun::Done,
        customer_trained: true,
        quality_rating: Some(5),
        attitude_rating: Some(4),
        signature: Signature::Signed {
            png: SIGNATURE_PNG.to_vec(),
            signer: "王磊".into(),
            signed_at: "2026-11-30 12:46".into(),
        },
        content_hash: "9f2c4e1ab37d5c08e6a1f0b2d4c69e37a58b10c2f7d3e9a4b6c8d0e1f2a3b4c5".into(),
        verify_url: VERIFY_URL.into(),
        addenda: vec![Addendum {
            at: "2026-12-01 09:30".into(),
            by: "信息员 刘洋".into(),
            text: "更正机身编码：原记录 KT-2023-0020 为笔误，按铭牌核对应为 KT-2023-0002。".into(),
        }],
    }
}

fn en() -> ServiceRecordDoc {
    ServiceRecordDoc {
        lang: Lang::En,
        company: Company {
            name: "Northern HVAC Equipment Co., Ltd.".into(),
            contact_line: Some("88 Nanjing North St, Heping District, Shenyang · Hotline 400-820-8820".into()),
        },
        record_number: "WO202611300001".into(),
        request_number: "SR202611300007".into(),
        service_kind: "On-site repair (in warranty)".into(),
        dispatched_at: "2026-11-30 09:12".into(),
        arrived_at: "2026-11-30 10:05".into(),
        completed_at: "2026-11-30 12:40".into(),
        customer: Customer {
            name: "沈阳重型机械有限公司 (Shenyang Heavy Machinery)".into(),
            number: "C-000318".into(),
            contact_person: "Wang Lei (facilities)".into(),
            phone: "139 1234 5678".into(),
            address: "Plant 3, 2nd floor machine room, 9 Bei'er Middle Rd, Tiexi District, Shenyang".into(),
        },
        unit: Unit {
            model_name: "Commercial cabinet air conditioner".into(),
            model_code: "KT-5P".into(),
            serial: "KT-2023-0002".into(),
            warranty_class: "A".into(),
            warranty_status: "In warranty (until 2027-04-01)".into(),
        },
        engineers: vec!["Li Qiang".into(), "Zhao Ming".into()],
        fault_symptom: "Poor cooling; the room does not get cool, the outdoor unit makes a loud \
                        noise and sometimes stops with error code E5."
            .into(),
        fault_cause: FaultCause {
            code: "E05".into(),
            text: "Outdoor fan capacitor failed; the slow fan raised the condensing pressure and \
                   tripped the compressor's overheat protection."
                .into(),
        },
        action_taken: "Checked the refrigerant pressure (normal); replaced the outdoor fan \
                       capacitor (5 μF), tightened the fan bolts and cleaned the condenser fins; \
                       test run for 40 minutes, air out at 12 ℃, current back to normal, no noise."
            .into(),
        notes: "Advised cleaning the condenser every quarter and keeping the machine room ventilated.".into(),
        parts: vec![
            PartRow {
                part_number: "CAP-5UF-450V".into(),
                name: "Fan capacitor 5 μF / 450 V".into(),
                quantity: "1".into(),
                charge_basis: "Warranty (free)".into(),
            },
            PartRow {
                part_number: "BLT-M6X20".into(),
                name: "Fan mounting bolt M6×20".into(),
                quantity: "4".into(),
                charge_basis: "Warranty (free)".into(),
            },
        ],
        labor_hours: "2 h 35 min".into(),
        charges: vec![ChargeLine {
            text: "Call-out fee (in town)".into(),
            amount: "¥0.00".into(),
        }],
        charges_total: Some("¥0.00".into()),
        test_run: TestRun::Done,
        customer_trained: true,
        quality_rating: Some(5),
        attitude_rating: Some(4),
        signature: Signature::Signed {
            png: SIGNATURE_PNG.to_vec(),
            signer: "Wang Lei".into(),
            signed_at: "2026-11-30 12:46".into(),
        },
        content_hash: "9f2c4e1ab37d5c08e6a1f0b2d4c69e37a58b10c2f7d3e9a4b6c8d0e1f2a3b4c5".into(),
        verify_url: VERIFY_URL.into(),
        addenda: vec![Addendum {
            at: "2026-12-01 09:30".into(),
            by: "Liu Yang, records clerk".into(),
            text: "Serial corrected: KT-2023-0020 was a typing error; the rating plate reads KT-2023-0002.".into(),
        }],
    }
}
