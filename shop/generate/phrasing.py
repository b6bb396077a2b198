"""How a product's feature reads inside a sentence, in Chinese and in English.

The catalog gives features as ``key: value`` pairs ("battery: 14 days", "降噪: 主动降噪").
Written out as "Its battery is 14 days" or "降噪为主动降噪" they read as a form, not as copy
(issue 26's blind review). Here each common retail feature has a phrase instead: "lasts 14
days on a charge", "主动降噪". English phrases are verb phrases for "It ..." (put in the plural
for "They ..."), Chinese phrases stand alone and are joined with "，".

A phrase is chosen by the feature's key and, where the value decides (mAh or hours of
battery), by a pattern on the value; the first that matches wins, and its named groups are
placeholders too ("takes {wash} to wash and {dry} to dry"). A feature not in the table is
read by its value's shape (``_en_general``: "is stackable", "has 520 pieces", "has a top
speed of 25 km/h"; in Chinese the key and the value, 续航 30 小时). A value of "none" / "无"
says the product lacks the feature: a selling text leaves it out. A store whose catalog has
other keys adds them to ``EN`` / ``ZH``.

Placeholders: ``{v}`` the value as given, ``{and}`` / ``{or}`` a value listed with "/" or
" + " written as "a, b and c", ``{、}`` the same in Chinese ("黑、白"),
``{a}`` "a" or "an" for the value, ``{first}`` / ``{after}`` the value before and after its
first ", ", ``{lead}`` / ``{tail}`` its first word and the rest, ``{out}`` / ``{inner}`` the
value without its "(...)" and what the brackets hold.
"""

from __future__ import annotations

import re

Phrase = str | tuple[tuple[str, str], ...]  # one phrase, or (value pattern, phrase) pairs

NONE = {"none", "无", "no", "n/a", "否", "不支持"}
YES = {"yes", "是", "支持", "有"}

EN: dict[str, Phrase] = {
    "battery": ((r"mAh", "has {a} {v} battery"),
                (r"\(rechargeable\)", "runs for {out} on a charge"), (r"AA", "runs for {v}"),
                (r"mains", "is {v}"), (r"", "lasts {v} on a charge")),
    "runtime": "runs for {v} on a charge",
    "capacity": ((r"mAh", "holds {v}"), (r"HP", "is rated at {v}"),
                 (r"^wash (?P<wash>.+)/dry (?P<dry>.+)$", "takes {wash} to wash and {dry} to dry"),
                 (r"", "holds {v}")),
    "weight": ((r"\d", "weighs {v}"), (r"", "is {v}")),
    "colours": ((r"^assorted$", "comes in assorted colours"), (r"", "comes in {or}")),
    "colour": "comes in {v}",
    "noise cancelling": ((r"only", "has {v}"), (r"", "has {v} noise cancelling")),
    "screen": ((r"screen$", "has {a} {v}"), (r"", "has {a} {v} screen")),
    "size": ((r"inch", "has {a} {v} screen"), (r"", "measures {v}")),
    "keys": "has {v}",
    "switches": "uses {v} switches",
    "connection": "supports {or} connection",
    "backlight": "has {v} backlighting",
    "dpi": "has {a} {v} DPI sensor",
    "processor": ((r"\+", "runs on {a} {v}"), (r"", "runs on {a} {v} processor")),
    "memory": "comes with {v} of memory",
    "main camera": ((r"camera$", "has {a} {v}"), (r"sensor$", "has a main camera with {a} {v}"),
                    (r"", "has {a} {v} main camera")),
    "video": "records {v} video",
    "stabilisation": "has {v} stabilisation",
    "water resistance": ((r",", "is rated {first} for water resistance ({after})"),
                         (r"", "is rated {v} for water resistance")),
    "waterproof": ((r"^not", "is {v}"), (r"", "is waterproof to {v}")),
    "features": ((r"^[\w-]+, [\w-]+$", "is {first} and {after}"),
                 (r"^for |brewed$|(resistant|free|wearing|ising)$", "is {v}"),
                 (r", ships", "has {a} {first} and {after}"), (r"box$", "comes in {a} {v}"),
                 (r"^no ", "has {v}"), (r"", "features {and}")),
    "functions": ((r"only$", "is {v}"), (r"smoothie|milk|paste|butter|drink", "makes {and}"),
                  (r"", "offers {and} functions")),
    "customisation": "can be personalised ({v})",
    "delivery": "is delivered as {a} {v}",
    "face value": "has a face value of {v}",
    "format": "is {a} {v}",
    "licence": "covers {v}",
    "term": ((r"lifetime", "comes with a lifetime term"), (r"", "runs for {v}")),
    "validity": "is valid for {v}",
    "valid for": "can be used on {v}",
    "platforms": "works on {and}",
    "ports": ((r"/|\+", "has {and} ports"), (r"", "has {a} {v} port")),
    "output": "has {a} {v} output",
    "output power": "has {a} {v} output",
    "panel": "has {a} {v} panel",
    "refresh rate": "has a refresh rate of {v}",
    "resolution": ((r"^(?P<res>\S+) (?P<panel>Mini LED|OLED|QLED)$",
                    "has {res} resolution on a {panel} display"),
                   (r"", "has a resolution of {v}")),
    # appliances
    "power": "is rated at {v}",
    "cadr": "has a CADR of {v}",
    "airflow": "has an airflow of {v}",
    "base station": ((r"only", "comes with a {v}"), (r"", "has a base station with {and}")),
    "controls": "has {and} controls",
    "cooling": ((r"cooling", "uses {v}"), (r"", "is {v}")),
    "door style": ((r"\(", "has a {out} design with {inner}"), (r"", "has a {v} design")),
    "energy class": "has an energy rating of {v}",
    "filter": "has {a} {v} filter",
    "heat settings": "has {and}",
    "heating": ((r"heating$", "uses {v}"), (r"", "uses {v} heating")),
    "inner pot": ((r"pot$", "has {a} {v}"), (r"", "has {a} {v} inner pot")),
    "material": "is made of {v}",
    "modes": "has {v}",
    "navigation": "navigates by {and}",
    "noise": "runs at {v}",
    "remote": ((r"included", "comes with a remote control"), (r"", "works with {and}")),
    "room size": "suits rooms of {v}",
    "safety": ((r"^IP\w+, ", "is rated {first} ({after})"), (r"^IP", "is rated {v}"),
               (r"", "has {v}")),
    "speed": "runs at {v}",
    "speed settings": "has {v}",
    "spin speed": "spins at up to {v}",
    "suction": "has {v} of suction",
    "use": "is meant for {and}",
    "vibration": "delivers {v}",
    # beauty
    "benefits": ((r"^[a-z]+s ", "{v}"),
                 (r"^(anti-[\w-]+|[\w-]*ing)(/(anti-[\w-]+|[\w-]*ing))*$", "is {and}"),
                 (r"", "is made for {and}")),
    "concentration": ((r"/", "comes as {or}"), (r"", "is {a} {v}")),
    "coverage": "gives {v} coverage",
    "finish": "has {a} {or} finish",
    "hair type": "suits {or}",
    "key ingredients": "contains {and}",
    "longevity": "lasts {v}",
    "net weight": "has a net weight of {v}",
    "pack size": "is sold as a pack of {v}",
    "quantity": ((r"^1$", "comes as a single piece"), (r"^[\d]+$", "comes as a set of {v}"),
                 (r"", "comes as {v}")),
    "pages": ((r"^\d+$", "has {v} pages"), (r"^\d+ per ", "has {lead} pages {tail}"),
              (r"^\d+ pages each$", "has {lead} pages per book"),
              (r"", "has {v} pages")),
    "suitable age": "is for ages {v}",
    "age": "is for ages {v}",
    "protection": "offers {v} sun protection",
    "scent": ((r"\d", "comes in {v}"), (r"", "has {a} {v} scent")),
    "shade": ((r"/", "comes in shades {v}"), (r"", "comes in shade {v}")),
    "shades": "comes in {v}",
    "skin type": ((r"skin|children", "suits {or}"), (r"", "suits {or} skin")),
    "volume": ((r"×", "comes as {v}"), (r"", "comes in a {v} size")),
    "type": ((r",", "is {first} and {after}"),
             (r"load|standing|mounted|ceramic", "is {a} {v} model"), (r"", "is {v}")),
    # apparel
    "fabric": ((r"\((?P<part>.+ (gusset|lining|sole))\)", "is made of {out} with {a_inner} {part}"),
               (r"\(", "is made of {out}, {inner}"), (r"", "is made of {v}")),
    "fill": "is filled with {v}",
    "fill weight": "has a fill weight of {v}",
    "fit": ((r"^to ", "is made {v}"), (r"", "has {a} {v} fit")),
    "length": ((r"length$", "is {v}"), (r"\d", "is {v} long"), (r"", "is {v} length")),
    "midsole": "has {a} {v} midsole",
    "sizes": ((r"^made to", "is {v}"),
              (r"^(waist|collar|EU|UK|US) ", "comes in {lead} sizes {tail}"),
              (r"", "comes in sizes {v}")),
    "style": "has {a} {v} design",
    "upper": "has {a} {v} upper",
    "waterproof rating": "has a waterproof rating of {v}",
    "dimensions": "measures {v}",
    # groceries
    "cocoa": "contains {v} cocoa",
    "cut": "is {a} {v} cut",
    "flavour": "comes in {or} flavour",
    "grade": "is {v}",
    "ingredients": "is made with {and}",
    "made in": "is made in {v}",
    "origin": "comes from {v}",
    "packaging": ((r"s$", "comes in {v}"), (r"", "comes in {a} {v}")),
    "process": "is {v}",
    "roast": "is {a} {v} roast",
    "shelf life": ((r"^keeps", "{v}"), (r"", "keeps for {v}")),
    "storage": ((r"SSD|HDD|GB|TB", "has {a} {v}"),
                (r"^refrigerate.*, ", "should be kept refrigerated{rest} ({after})"),
                (r"^refrigerate", "should be kept refrigerated{rest}"),
                (r"", "should be stored {v}")),
}  # fmt: skip

ZH: dict[str, Phrase] = {
    "颜色": ((r"可选", "{v}"), (r"/", "颜色有{、}"), (r"色$|花$", "{v}"), (r"", "{v}色")),
    "降噪": ((r"降噪", "{v}"), (r"模式", "支持{v}"), (r"", "{v}降噪")),
    "连接": "支持{、}连接",
    "屏幕": ((r"屏$", "{v}"), (r"", "{v}屏幕")),
    "分辨率": "{v}分辨率",
    "刷新率": "{v}刷新率",
    "处理器": ((r"\+", "搭载{v}"), (r"", "搭载{v}处理器")),
    "内存": "{v}内存",
    "硬盘": "{v}硬盘",
    "视频": "支持 {v} 视频拍摄",
    "防抖": "{v}",
    "轴体": "{v}",
    "背光": "{v}背光",
    "接口": "{v}接口",
    "防水": ((r"防水", "{v}"), (r"，", "防水 {v}"), (r"", "{v} 防水")),
    "功能": "支持{、}",
    "定制": "支持定制，{v}",
    "授权": "可用于 {v}",
    "使用范围": "可用于{v}",
    "期限": ((r"永久", "永久有效"), (r"", "有效期 {v}")),
    "交付": "以{v}发放",
    "形式": "{v}",
    "电池": "电池容量 {v}",
    "面板": "{v}面板",
    "输出": "输出功率 {v}",
    "适用肤质": ((r"肤质|肌肤|儿童|肌$", "适合{、}"), (r"", "适合{、}肌肤")),
    "适用发质": "适合{、}",
    "适用面积": "适用面积 {v}",
    "适读年龄": "适合 {v}读者",
    "产地": "产自{v}",
    "口味": ((r"味$", "{v}"), (r"", "{、}口味")),
    "面料": ((r"面料$", "{v}"), (r"", "{v}面料")),
    "填充物": "填充{v}",
    "款式": "{v}款",
    "版型": "{v}版型",
    "裙长": "裙长{v}",
    "件数": "{v}装",
    "鞋面": "{v}鞋面",
    "中底": "{v}中底",
    "主要成分": "含{v}",
    "功效": "主打{、}",
    "特点": "{v}",
    "质地": "{、}质地",
    "遮瑕度": ((r"瑕$", "{v}"), (r"", "遮瑕度{v}")),
    "防晒指数": "防晒指数 {v}",
    "香调": "{v}",
    "浓度": "{v}",
    "类型": "{v}",
    "基站": ((r"座", "配{v}"), (r"", "基站支持{、}")),
    "安全": "{v}",
    "导航": ((r"导航$", "{v}"), (r"", "{v}导航")),
    "操作": "{v}操作",
    "材质": "{v}材质",
    "清洁模式": "{v}清洁模式",
    "滤网": "{v}滤网",
    "用途": "适合{v}",
    "能效": "能效{v}",
    "遥控": "支持{v}控制",
    "制冷": "{v}",
    "加热方式": "{v}",
    "内胆": "{v}",
    "门型": "{v}",
    "档位": "{v}可调",
    "温度档位": ((r"\+", "{v}"), (r"", "{v}温度调节")),
    "匹数": "{v}",
    "包装": ((r"装$", "{v}"), (r"", "{v}包装")),
    "工艺": "{v}工艺",
    "烘焙度": "{v}",
    "等级": "{v}",
    "部位": "{v}部位",
    "储存": "{v}",
    "配料": "配料为{、}",
    "保质期": ((r"存放", "{v}"), (r"", "保质期 {v}")),
    "续航": ((r"插电", "{v}"), (r"", "续航 {v}")),
    "系统": "支持 {、}系统",
    "容量": ((r"^洗", "{、}"), (r"", "容量 {v}")),
}  # fmt: skip

_LIST = re.compile(r"\s*(?:/|\s\+\s)\s*")
_PLURAL_VERBS = {"is": "are", "has": "have", "does": "do"}


def listed(value: str, last: str) -> str:
    """``"a/b/c"`` as ``"a, b and c"`` (``last`` the joining word; "、" for Chinese)."""
    parts = [p for p in _LIST.split(value) if p]
    if last == "、":
        return "、".join(parts)
    if len(parts) < 2:
        return value
    return f"{', '.join(parts[:-1])} {last} {parts[-1]}"


def article(word: str) -> str:
    """``"a"`` or ``"an"`` before ``word``, by how it is said: an 8-core, an H13, an LCD."""
    word = word.strip()
    first = word.lower()
    if re.match(r"(8|11|18)(?!\d)|8\d", first):
        return "an"
    if re.match(r"[FHLMNRSX](\d|[A-Z]{1,3}\b)", word) and not word.startswith("HEPA"):
        return "an"
    if first.startswith(("one", "uni", "use", "eu")):
        return "a"
    return "an" if first[:1] in "aeio" else "a"


def plural(phrase: str) -> str:
    """An English verb phrase for "They ...": "has a ..." -> "have a ..."."""
    verb, _, rest = phrase.partition(" ")
    if verb in _PLURAL_VERBS:
        verb = _PLURAL_VERBS[verb]
    elif verb.endswith(("ches", "shes", "sses", "xes")):
        verb = verb[:-2]
    elif verb.endswith("s") and not verb.endswith("ss"):
        verb = verb[:-1]
    return f"{verb} {rest}".strip()


def _pattern(table: dict[str, Phrase], key: str, value: str) -> tuple[str, dict[str, str]] | None:
    """The phrase for ``key: value`` and what its pattern caught by name (None: no entry)."""
    entry = table.get(key) or table.get(key.lower())
    if entry is None or isinstance(entry, str):
        return None if entry is None else (entry, {})
    for when, phrase in entry:
        found = re.search(when, value)
        if found:
            return phrase, {k: v for k, v in found.groupdict().items() if v}
    return None


def _fill(pattern: str, value: str, caught: dict[str, str] | None = None) -> str:
    out, _, inner = value.partition(" (")
    inner = inner.rstrip(")")
    first, _, after = value.partition(", ")
    lead, _, tail = value.partition(" ")
    rest = re.sub(r"^refrigerate", "", first)
    return pattern.format(
        v=value, a=article(value), rest=rest, first=first, after=after, lead=lead, tail=tail,
        out=out, inner=inner, a_inner=article(caught.get("part", inner) if caught else inner),
        **(caught or {}),
        **{"and": listed(value, "and"), "or": listed(value, "or"), "、": listed(value, "、")},
    )  # fmt: skip


def en_phrase(key: str, value: str, many: bool = False) -> str:
    """``key: value`` as a verb phrase for "It ..." ("They ..." when ``many``); "" for none."""
    if value.strip().lower() in NONE:
        return ""
    found = _pattern(EN, key, value)
    # a feature the table does not know is read by its value's shape
    pattern, caught = found if found is not None else (_en_general(key, value), {})
    phrase = _fill(pattern, value.replace(" + ", " and "), caught)  # no "+" in prose
    return plural(phrase) if many else phrase


def _en_general(key: str, value: str) -> str:
    """A feature the table does not know, by the shape of its value.

    yes: "is stackable"; a count: "has 520 pieces"; a measure: "has a warranty of 2 years";
    a word: "has strong clumping", "has spiral binding".
    """
    name = key if any(c.isupper() for c in key) else key.lower()
    low = value.strip().lower()
    head, _, last = name.rpartition(" ")
    if low in YES:
        return f"is {name}"
    if head and last == "material":  # blade material: SK5 steel
        return f"has {article(head)} {head} made of {{v}}"
    if head and last in ("colour", "color"):  # ink colour: black
        return f"has {{v}} {head}"
    if name.startswith("suitable ") and head:  # suitable weight: 10-25 kg
        return f"suits {article(name[9:])} {name[9:]} of {{v}}"
    if re.fullmatch(r"[\d.,]+", low):
        return f"has {{v}} {name}"
    if re.match(r"[\d.]", low):
        many_keys = name.endswith("s") and not name.endswith("ss")
        return f"has {'' if many_keys else article(name) + ' '}{name} of {{v}}"
    return f"has {{v}} {name}"


def zh_phrase(key: str, value: str) -> str:
    """``key: value`` as a Chinese phrase ("续航 30 小时", "主动降噪"); "" for none.

    Not in the table: the value alone when it already ends with what the key names ("双门"
    for 门型, "1 匹" for 匹数), else the key and the value ("续航 30 小时", "重量 5 克").
    """
    if value.strip().lower() in NONE:
        return ""
    if value.strip() in YES:  # 可叠放: 是 -> 可叠放
        return key
    found = _pattern(ZH, key, value)
    if found is not None:
        return _spaced(_fill(found[0], value, found[1]))
    if value.strip()[-1:] and value.strip()[-1] in key:
        return value
    return f"{key} {value}" if key[-1].isascii() else _spaced(f"{key}{value}")


def _spaced(text: str) -> str:
    """A space between Chinese and Latin letters or figures, as the catalog writes them."""
    text = re.sub(r"(?<=[\u4e00-\u9fff])(?=[A-Za-z0-9#¥+-])", " ", text)
    return re.sub(r"(?<=[A-Za-z+])(?=[\u4e00-\u9fff])", " ", text)  # 25升 stays as written
