"""Every input field of each transaction as docs/reference/national-interface.md lists it (node: kind,
fields), the fields a HIS client built as vendors build it sends, empty when unknown (`tongchou.client`).
Generated from the reference's tables; 2207 is 2206's fields and its own, 2304 those the spec lists for it, 5204 5203's."""

NATIONAL_INPUT: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "9001": {
        "signIn": ("object", ("opter_no", "mac", "ip")),
    },
    "1101": {
        "data": ("object", (
            "mdtrt_cert_type", "mdtrt_cert_no", "card_sn", "begntime", "psn_cert_type", "certno", "psn_name",
        )),
    },
    "2201": {
        "data": ("object", (
            "psn_no", "insutype", "begntime", "mdtrt_cert_type", "mdtrt_cert_no", "ipt_otp_no", "atddr_no",
            "dr_name", "dept_code", "dept_name", "caty",
        )),
    },
    "2202": {
        "data": ("object", ("psn_no", "mdtrt_id", "ipt_otp_no")),
    },
    "2203": {
        "mdtrtinfo": ("object", (
            "mdtrt_id", "psn_no", "med_type", "begntime", "main_cond_dscr", "dise_codg", "dise_name",
            "birctrl_type", "birctrl_matn_date", "matn_type", "geso_val",
        )),
        "diseinfo": ("list", (
            "diag_type", "diag_srt_no", "diag_code", "diag_name", "diag_dept", "dise_dor_no", "dise_dor_name",
            "diag_time", "vali_flag",
        )),
    },
    "2204": {
        "feedetail": ("list", (
            "feedetl_sn", "mdtrt_id", "psn_no", "chrg_bchno", "dise_codg", "rxno", "rx_circ_flag", "fee_ocur_time",
            "med_list_codg", "medins_list_codg", "det_item_fee_sumamt", "cnt", "pric", "sin_dos_dscr",
            "used_frqu_dscr", "prd_days", "medc_way_dscr", "bilg_dept_codg", "bilg_dept_name", "bilg_dr_codg",
            "bilg_dr_name", "acord_dept_codg", "acord_dept_name", "orders_dr_code", "orders_dr_name",
            "hosp_appr_flag", "tcmdrug_used_way", "etip_flag", "etip_hosp_code", "dscg_tkdrug_flag",
            "matn_fee_flag", "exp_content",
        )),
    },
    "2205": {
        "data": ("object", ("mdtrt_id", "chrg_bchno", "psn_no")),
    },
    "2206": {
        "data": ("object", (
            "psn_no", "mdtrt_cert_type", "mdtrt_cert_no", "med_type", "medfee_sumamt", "psn_setlway", "mdtrt_id",
            "chrg_bchno", "acct_used_flag", "insutype",
        )),
    },
    "2207": {
        "data": ("object", (
            "psn_no", "mdtrt_cert_type", "mdtrt_cert_no", "med_type", "medfee_sumamt", "psn_setlway", "mdtrt_id",
            "chrg_bchno", "acct_used_flag", "insutype", "invono", "fulamt_ownpay_amt", "overlmt_selfpay",
            "preselfpay_amt", "inscp_scp_amt",
        )),
    },
    "2208": {
        "data": ("object", ("setl_id", "mdtrt_id", "psn_no")),
    },
    "2301": {
        "feedetail": ("list", (
            "feedetl_sn", "init_feedetl_sn", "mdtrt_id", "drord_no", "psn_no", "med_type", "fee_ocur_time",
            "med_list_codg", "medins_list_codg", "det_item_fee_sumamt", "cnt", "pric", "bilg_dept_codg",
            "bilg_dept_name", "bilg_dr_codg", "bilg_dr_name", "acord_dept_codg", "acord_dept_name",
            "orders_dr_code", "orders_dr_name", "hosp_appr_flag", "tcmdrug_used_way", "etip_flag", "etip_hosp_code",
            "dscg_tkdrug_flag", "matn_fee_flag", "memo", "exp_content",
        )),
    },
    "2302": {
        "data": ("object", ("feedetl_sn", "mdtrt_id", "psn_no", "exp_content")),
    },
    "2303": {
        "data": ("object", (
            "psn_no", "mdtrt_cert_type", "mdtrt_cert_no", "medfee_sumamt", "psn_setlway", "mdtrt_id", "insutype",
            "acct_used_flag", "invono", "mid_setl_flag", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
            "inscp_scp_amt", "dscgTime", "exp_content",
        )),
    },
    "2304": {
        "data": ("object", (
            "psn_no", "mdtrt_cert_type", "mdtrt_cert_no", "medfee_sumamt", "psn_setlway", "mdtrt_id", "insutype",
            "acct_used_flag", "invono", "mid_setl_flag", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
            "inscp_scp_amt", "dscgTime", "exp_content",
        )),
    },
    "2305": {
        "data": ("object", ("mdtrt_id", "setl_id", "psn_no", "exp_content")),
    },
    "2401": {
        "mdtrtinfo": ("object", (
            "psn_no", "insutype", "coner_name", "tel", "begntime", "mdtrt_cert_type", "mdtrt_cert_no", "med_type",
            "ipt_no", "medrcdno", "atddr_no", "chfpdr_name", "adm_diag_dscr", "adm_dept_codg", "adm_dept_name",
            "adm_bed", "dscg_maindiag_code", "dscg_maindiag_name", "main_cond_dscr", "dise_codg", "dise_name",
            "oprn_oprt_code", "oprn_oprt_name", "fpsc_no", "matn_type", "birctrl_type", "latechb_flag", "geso_val",
            "fetts", "fetus_cnt", "pret_flag", "birctrl_matn_date", "dise_type_code", "exp_content",
        )),
        "diseinfo": ("list", (
            "psn_no", "diag_type", "maindiag_flag", "diag_srt_no", "diag_code", "diag_name", "adm_cond",
            "diag_dept", "dise_dor_no", "dise_dor_name", "diag_time",
        )),
    },
    "2402": {
        "dscginfo": ("object", (
            "mdtrt_id", "endtime", "cop_flag", "dscg_dept_codg", "dscg_dept_name", "dscg_bed", "dscg_way",
            "die_date",
        )),
        "diseinfo": ("list", (
            "mdtrt_id", "psn_no", "diag_type", "maindiag_flag", "diag_srt_no", "diag_code", "diag_name",
            "diag_dept", "dise_dor_no", "dise_dor_name", "diag_time",
        )),
    },
    "2404": {
        "data": ("object", ("mdtrt_id", "psn_no", "exp_content")),
    },
    "2405": {
        "data": ("object", ("mdtrt_id", "psn_no", "exp_content")),
    },
    "2601": {
        "data": ("object", ("psn_no", "omsgid", "oinfno")),
    },
    "3201": {
        "data": ("object", (
            "insutype", "clr_type", "setl_optins", "stmt_begndate", "stmt_enddate", "medfee_sumamt",
            "fund_pay_sumamt", "acct_pay", "fixmedins_setl_cnt", "refd_setl_flag",
        )),
    },
    "3202": {
        "data": ("object", (
            "setl_optins", "file_qury_no", "stmt_begndate", "stmt_enddate", "medfee_sumamt", "fund_pay_sumamt",
            "cash_payamt", "fixmedins_setl_cnt", "clr_type",
        )),
    },
    "5203": {
        "data": ("object", ("psn_no", "setl_id", "mdtrt_id")),
    },
    "5204": {
        "data": ("object", ("psn_no", "setl_id", "mdtrt_id")),
    },
    "5206": {
        "data": ("object", ("psn_no", "cum_ym")),
    },
}
