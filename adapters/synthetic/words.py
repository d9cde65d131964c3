"""The words synthetic records are made of: Chinese names, trades and industries, the authority
of each domain, and the reasons and legal bases of red- and black-list entries."""

from __future__ import annotations

from adapters.core.model import (
    Domain,
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞建国志强海燕晓东"
    "文斌雪梅宁浩然子轩欣怡梓涵俊杰佳琪一诺雨桐思远嘉怡"
)
TRADE = "华信达昌盛泰恒瑞丰源鑫宏润通宇博远景明德安新锦汇隆祥和荣嘉创智联诚晟欣卓越众邦"
INDUSTRIES = (
    "科技",
    "贸易",
    "建设工程",
    "环保科技",
    "食品",
    "医药",
    "物流",
    "机械制造",
    "电子",
    "纺织",
    "化工",
    "旅游开发",
    "餐饮管理",
    "生物科技",
    "建材",
    "服装",
)
FORMS = ("有限公司", "股份有限公司", "有限责任公司")
SHOPS = ("便利店", "餐馆", "五金店", "副食品商行", "汽车修理部", "服装店", "药房")
SOCIAL = ("行业协会", "商会", "慈善基金会", "民办学校", "养老服务中心")
INSTITUTIONS = ("疾病预防控制中心", "检验检测中心", "人民医院", "职业技术学院", "公共资源交易中心")
GOVERNMENT = ("街道办事处", "镇人民政府", "交通运输局", "住房和城乡建设局")

AUTHORITIES: dict[Domain, str] = {
    Domain.MARKET_SUPERVISION: "市场监督管理局",
    Domain.TAXATION: "税务局",
    Domain.ECOLOGY: "生态环境局",
    Domain.TOURISM: "文化广电和旅游局",
    Domain.FOOD_AND_DRUGS: "市场监督管理局",
    Domain.PRODUCT_QUALITY: "市场监督管理局",
    Domain.WORK_SAFETY: "应急管理局",
    Domain.TRANSPORT: "交通运输局",
    Domain.LABOUR: "人力资源和社会保障局",
    Domain.COURT_ENFORCEMENT: "中级人民法院",
    Domain.CUSTOMS: "海关",
    Domain.FINANCE: "金融工作局",
}
BLACK_REASONS: dict[Domain, tuple[tuple[str, str], ...]] = {
    Domain.MARKET_SUPERVISION: (
        (
            "提交虚假材料取得企业登记，情节严重",
            "《市场监督管理严重违法失信名单管理办法》第二条",
        ),
        (
            "因同一违法行为两年内受到三次以上行政处罚",
            "《市场监督管理严重违法失信名单管理办法》第九条",
        ),
    ),
    Domain.TAXATION: (
        (
            "虚开增值税专用发票，属重大税收违法失信案件",
            "《重大税收违法失信主体信息公布管理办法》第六条",
        ),
        (
            "欠缴税款五十万元以上且经催告仍未缴纳",
            "《中华人民共和国税收征收管理法》第六十八条",
        ),
    ),
    Domain.ECOLOGY: (
        (
            "超标排放水污染物，拒不改正",
            "《中华人民共和国环境保护法》第六十三条",
        ),
        (
            "未批先建，擅自开工建设且拒不停止",
            "《中华人民共和国环境影响评价法》第三十一条",
        ),
    ),
    Domain.TOURISM: (
        (
            "未经许可经营旅行社业务，情节严重",
            "《旅游市场黑名单管理办法》第五条",
        ),
    ),
    Domain.FOOD_AND_DRUGS: (
        (
            "生产经营不符合食品安全标准的食品，情节严重",
            "《中华人民共和国食品安全法》第一百二十三条",
        ),
        (
            "销售假药",
            "《中华人民共和国药品管理法》第一百一十六条",
        ),
    ),
    Domain.PRODUCT_QUALITY: (
        (
            "生产销售不合格产品，以次充好",
            "《中华人民共和国产品质量法》第五十条",
        ),
    ),
    Domain.WORK_SAFETY: (
        (
            "发生较大生产安全责任事故",
            "《安全生产严重失信主体名单管理办法》第五条",
        ),
    ),
    Domain.TRANSPORT: (
        (
            "道路运输经营中严重违法，被吊销经营许可",
            "《交通运输部关于加强交通运输行业信用体系建设的若干意见》",
        ),
    ),
    Domain.LABOUR: (
        (
            "拖欠农民工工资数额较大，经责令仍不支付",
            "《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第五条",
        ),
    ),
    Domain.COURT_ENFORCEMENT: (
        (
            "有履行能力而拒不履行生效法律文书确定义务",
            "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
        ),
    ),
    Domain.CUSTOMS: (
        (
            "走私违法，被海关认定为失信企业",
            "《中华人民共和国海关注册登记和备案企业信用管理办法》第十二条",
        ),
    ),
    Domain.FINANCE: (
        (
            "以非法占有为目的骗取贷款",
            "《社会信用体系建设规划纲要》",
        ),
    ),
}
RED_REASONS: dict[Domain, tuple[str, str]] = {
    Domain.MARKET_SUPERVISION: (
        "守合同重信用企业",
        "《守合同重信用企业公示活动管理办法》",
    ),
    Domain.TAXATION: (
        "纳税信用A级纳税人",
        "《纳税信用管理办法（试行）》第二十九条",
    ),
    Domain.ECOLOGY: (
        "环境信用评价为环保诚信企业",
        "《企业环境信用评价办法（试行）》第二十条",
    ),
    Domain.TOURISM: (
        "旅游诚信经营示范单位",
        "《旅游市场信用管理办法》",
    ),
    Domain.FOOD_AND_DRUGS: (
        "食品安全示范企业",
        "《中华人民共和国食品安全法》第十三条",
    ),
    Domain.PRODUCT_QUALITY: (
        "质量诚信示范企业",
        "《中华人民共和国产品质量法》第六条",
    ),
    Domain.WORK_SAFETY: (
        "安全生产标准化一级企业",
        "《企业安全生产标准化建设定级办法》",
    ),
    Domain.TRANSPORT: (
        "道路运输诚信考核AAA级企业",
        "《道路运输企业质量信誉考核办法》",
    ),
    Domain.LABOUR: (
        "劳动保障守法诚信A级用人单位",
        "《企业劳动保障守法诚信等级评价办法》",
    ),
    Domain.COURT_ENFORCEMENT: (
        "主动履行生效裁判义务的诚信主体",
        "《关于在执行工作中进一步强化善意文明执行理念的意见》",
    ),
    Domain.CUSTOMS: (
        "海关高级认证企业",
        "《中华人民共和国海关注册登记和备案企业信用管理办法》第七条",
    ),
    Domain.FINANCE: (
        "守信激励对象",
        "《关于建立完善守信联合激励和失信联合惩戒制度的指导意见》",
    ),
}
