"""The common criteria sets that staff copy into a zone (SCORING.md, DOMAIN.md)."""

CRITERIA_SETS = {
    "liubi": (
        "六比",
        [
            ("quality", "比质量"),
            ("safety", "比安全"),
            ("progress", "比进度"),
            ("efficiency", "比效益"),
            ("innovation", "比创新"),
            ("integrity", "比廉洁"),
        ],
    ),
    "sanbisansai": (
        "三比三赛",
        [
            ("environment", "比环境保护、赛节能减排"),
            ("management", "比工程管理、赛和谐创建"),
            ("teamwork", "比团结协作、赛精神风貌"),
        ],
    ),
    "wubi": (
        "五比",
        [
            ("business", "比业务"),
            ("cooperation", "比协作"),
            ("innovation", "比创新"),
            ("dedication", "比奉献"),
            ("results", "比成效"),
        ],
    ),
}
