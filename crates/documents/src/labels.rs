//! Every word the service record prints besides the caller's data, in both languages.

use crate::Lang;

pub(crate) struct Labels {
    pub title: &'static str,
    pub record_number: &'static str,
    pub request_number: &'static str,
    pub continued: &'static str,

    pub section_service: &'static str,
    pub service_kind: &'static str,
    pub engineers: &'static str,
    pub dispatched_at: &'static str,
    pub arrived_at: &'static str,
    pub completed_at: &'static str,

    pub section_customer: &'static str,
    pub customer_name: &'static str,
    pub customer_number: &'static str,
    pub contact_person: &'static str,
    pub phone: &'static str,
    pub address: &'static str,

    pub section_unit: &'static str,
    pub model: &'static str,
    pub serial: &'static str,
    pub warranty_class: &'static str,
    pub warranty_status: &'static str,

    pub section_work: &'static str,
    pub fault_symptom: &'static str,
    pub fault_cause: &'static str,
    pub action_taken: &'static str,
    pub notes: &'static str,

    pub section_parts: &'static str,
    pub col_no: &'static str,
    pub col_part_number: &'static str,
    pub col_part_name: &'static str,
    pub col_quantity: &'static str,
    pub col_charge_basis: &'static str,
    pub no_parts: &'static str,
    pub labor_hours: &'static str,

    pub section_charges: &'static str,
    pub col_item: &'static str,
    pub col_amount: &'static str,
    pub no_charges: &'static str,
    pub total: &'static str,

    pub section_completion: &'static str,
    pub test_run: &'static str,
    pub test_run_done: &'static str,
    pub test_run_follow_up: &'static str,
    pub customer_trained: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub quality_rating: &'static str,
    pub attitude_rating: &'static str,
    pub not_rated: &'static str,

    pub section_signature: &'static str,
    pub confirmation: &'static str,
    pub signer: &'static str,
    pub signed_at: &'static str,
    pub declined: &'static str,
    pub declined_reason: &'static str,
    pub verify: &'static str,
    pub content_hash: &'static str,

    pub section_addenda: &'static str,
    pub addenda_note: &'static str,
    pub addendum_at: &'static str,
    pub addendum_by: &'static str,
    pub addendum_text: &'static str,
}

impl Labels {
    pub(crate) fn of(lang: Lang) -> &'static Labels {
        match lang {
            Lang::ZhCn => &ZH_CN,
            Lang::En => &EN,
        }
    }
}

/// "第 1/2 页" or "Page 1 of 2".
pub(crate) fn page_number(lang: Lang, page: usize, pages: usize) -> String {
    match lang {
        Lang::ZhCn => format!("第 {page}/{pages} 页"),
        Lang::En => format!("Page {page} of {pages}"),
    }
}

/// A rating as stars and digits: "★★★★☆ 4/5".
pub(crate) fn rating(stars: u8) -> String {
    let stars = usize::from(stars.min(5));
    format!("{}{} {stars}/5", "★".repeat(stars), "☆".repeat(5 - stars))
}

static ZH_CN: Labels = Labels {
    title: "服务报告",
    record_number: "工单号",
    request_number: "服务单号",
    continued: "续",

    section_service: "服务信息",
    service_kind: "服务类型",
    engineers: "服务工程师",
    dispatched_at: "派工时间",
    arrived_at: "到达时间",
    completed_at: "完工时间",

    section_customer: "客户信息",
    customer_name: "客户名称",
    customer_number: "客户编号",
    contact_person: "现场联系人",
    phone: "联系电话",
    address: "服务地址",

    section_unit: "设备信息",
    model: "产品型号",
    serial: "机身编码",
    warranty_class: "保修等级",
    warranty_status: "保修状态",

    section_work: "故障与处理",
    fault_symptom: "故障现象",
    fault_cause: "故障原因",
    action_taken: "处理措施",
    notes: "备注",

    section_parts: "使用配件",
    col_no: "序号",
    col_part_number: "配件编号",
    col_part_name: "配件名称",
    col_quantity: "数量",
    col_charge_basis: "计费方式",
    no_parts: "本次服务未使用配件。",
    labor_hours: "工时",

    section_charges: "服务费用",
    col_item: "收费项目",
    col_amount: "金额",
    no_charges: "本次服务不收费。",
    total: "合计",

    section_completion: "完工确认",
    test_run: "试机",
    test_run_done: "已试机，运行正常",
    test_run_follow_up: "未能试机，回访时间",
    customer_trained: "客户培训",
    yes: "已培训",
    no: "未培训",
    quality_rating: "服务质量评价",
    attitude_rating: "服务态度评价",
    not_rated: "未评价",

    section_signature: "客户签字",
    confirmation: "客户确认：以上服务内容属实，设备已交付使用。",
    signer: "签字人",
    signed_at: "签字时间",
    declined: "客户拒签",
    declined_reason: "拒签原因",
    verify: "扫码核验本报告",
    content_hash: "内容哈希",

    section_addenda: "签字后更正",
    addenda_note: "以下更正在客户签字之后作出，上方已签字的内容保持原样。",
    addendum_at: "更正时间",
    addendum_by: "更正人",
    addendum_text: "更正内容",
};

static EN: Labels = Labels {
    title: "Service Report",
    record_number: "Work order",
    request_number: "Service request",
    continued: "continued",

    section_service: "Service",
    service_kind: "Kind of service",
    engineers: "Engineer(s)",
    dispatched_at: "Dispatched",
    arrived_at: "Arrived",
    completed_at: "Completed",

    section_customer: "Customer",
    customer_name: "Customer",
    customer_number: "Customer no.",
    contact_person: "Contact on site",
    phone: "Phone",
    address: "Address",

    section_unit: "Unit",
    model: "Model",
    serial: "Serial no.",
    warranty_class: "Warranty class",
    warranty_status: "Warranty",

    section_work: "Fault and repair",
    fault_symptom: "Fault reported",
    fault_cause: "Cause found",
    action_taken: "Action taken",
    notes: "Notes",

    section_parts: "Parts used",
    col_no: "No.",
    col_part_number: "Part number",
    col_part_name: "Part name",
    col_quantity: "Qty",
    col_charge_basis: "Charged as",
    no_parts: "No parts were used.",
    labor_hours: "Labor",

    section_charges: "Charges",
    col_item: "Item",
    col_amount: "Amount",
    no_charges: "Nothing is charged for this service.",
    total: "Total",

    section_completion: "Completion",
    test_run: "Test run",
    test_run_done: "Done, the unit runs normally",
    test_run_follow_up: "Not possible now; follow-up due",
    customer_trained: "Customer trained",
    yes: "Yes",
    no: "No",
    quality_rating: "Quality of service",
    attitude_rating: "Engineer's attitude",
    not_rated: "Not rated",

    section_signature: "Customer signature",
    confirmation: "The customer confirms the service above and has the unit back in use.",
    signer: "Signed by",
    signed_at: "Signed at",
    declined: "The customer declined to sign",
    declined_reason: "Reason",
    verify: "Scan to verify this report",
    content_hash: "Content hash",

    section_addenda: "Corrections after signing",
    addenda_note: "These corrections were made after the customer signed; the signed record above is unchanged.",
    addendum_at: "When",
    addendum_by: "By",
    addendum_text: "Correction",
};
