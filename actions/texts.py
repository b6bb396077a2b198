"""What actions say, in both languages. Keep shopper-facing wording here, not in actions.

The agents' hours come from ``common/clock.py``. Two other places hold wording because the
Rasa process cannot import this package: the channels' own replies (an empty, over-long or
unreadable message, a flood, no reply, a slow reply: ``TEXTS`` in ``bot/channels/guard.py``) and
the dialogue's fixed responses (``responses`` in ``bot/domain.yml``).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from common.clock import AGENT_HOURS, to_beijing
from knowledge.types import Answer, Language

if TYPE_CHECKING:
    from shop.catalog import Product
    from shop.logistics.network import ShippingRules
    from shop.logistics.promise import OrderEta, ShippingOption
    from shop.orders.models import Order
    from shop.recommend import Recommendation

ABSTAIN = {
    "zh": "抱歉，这个问题我没有把握回答，不想给您不准确的信息。需要为您转接人工客服吗？"
    f"（人工客服每天 {AGENT_HOURS} 在线）",
    "en": "Sorry, I'm not sure enough to answer that, and I'd rather not guess. Would you like "
    f"me to connect you with a human agent? (Agents are available {AGENT_HOURS} daily.)",
}

FAILURE = {
    "zh": "抱歉，系统暂时出了点问题，请稍后再试，或者输入“人工”联系客服。",
    "en": "Sorry, something went wrong on our side. Please try again in a moment, or ask for "
    "a human agent.",
}

BUSY = {
    "zh": "抱歉，现在咨询的人比较多，请稍等片刻再问我一次，或者输入“人工”联系客服。",
    "en": "Sorry, I'm answering a lot of shoppers right now. Please ask me again in a moment, "
    "or ask for a human agent.",
}


def source_line(answer: Answer) -> str:
    """Name the answer's source: page title, section, effective date."""
    src = answer.source
    if src is None:
        return ""
    if answer.lang == "zh":
        date = f"，{src.effective} 起生效" if src.effective else ""
        return f"来源：《{src.title}》· {src.section}{date}"
    date = f", effective {src.effective}" if src.effective else ""
    return f"Source: {src.title} › {src.section}{date}"


def answer_text(answer: Answer) -> str:
    """The reply a shopper sees.

    The sentence with the answer marked and its source; or an abstention offering a human.
    """
    if answer.abstained:
        return ABSTAIN[answer.lang]
    return f"{answer.marked_sentence()}\n{source_line(answer)}"


NOT_CONNECTED = {
    "zh": "抱歉，本店还没有把商品和订单系统接入智能助手，这个我暂时查不了。"
    "政策方面的问题可以直接问我，或者输入“人工”联系客服。",
    "en": "Sorry, this store hasn't connected its products and orders to the assistant yet, so I "
    "can't look that up. You can ask me about the store's policies, or ask for a human agent.",
}


def not_connected_text(lang: Language) -> str:
    """A reply when the store has not connected its catalog, orders or shipping network."""
    return NOT_CONNECTED[lang]


def failure_text(lang: Language) -> str:
    """A polite reply when the knowledge engine fails."""
    return FAILURE[lang]


def busy_text(lang: Language) -> str:
    """A polite reply when the knowledge engine has too many questions waiting."""
    return BUSY[lang]


def pick(lang: Language, zh: str, en: str) -> str:
    """The wording for ``lang``."""
    return zh if lang == "zh" else en


def day_text(day: date, lang: Language) -> str:
    """A Beijing date: ``12月1日`` / ``Dec 1``."""
    return f"{day.month}月{day.day}日" if lang == "zh" else day.strftime("%b %-d")


def time_text(at: datetime, lang: Language) -> str:
    """A store time (naive UTC) in Beijing time: ``11月27日 14:30`` / ``Nov 27, 14:30``."""
    local = to_beijing(at)
    return local.strftime("%-m月%-d日 %H:%M") if lang == "zh" else local.strftime("%b %-d, %H:%M")


def sentences(lang: Language, first: str, second: str) -> str:
    """Two sentences as one message ("" second: the first alone)."""
    if not second:
        return first
    if first[-1:] not in "。！？.!?":
        first += pick(lang, "。", ".")
    return first + pick(lang, "", " ") + second


ORDER_TEXTS: dict[str, tuple[str, str]] = {
    "ask_login": (
        "查询订单需要先登录您的账户，登录后再问我就可以了。",
        "Please log in to your account first, then ask me again and I'll look up your orders.",
    ),
    "bad_format": (
        "“{raw}”不像是订单号。订单号是 KF 开头加 8 位数字，例如 KF20260417。",
        '"{raw}" doesn\'t look like an order number. Order numbers are KF followed by 8 '
        "digits, e.g. KF20260417.",
    ),
    "not_found": (
        "在您的账户里没有找到订单 {id}，请核对一下订单号。",
        "I couldn't find order {id} in your account. Please check the number.",
    ),
    "recent": ("您最近的订单：{orders}", "Your recent orders: {orders}"),
    "unpaid": (
        "订单 {id} 还未付款（共 ¥{total}）。下单后 30 分钟内未付款的订单会自动取消。",
        "Order {id} hasn't been paid yet (¥{total} in total). Unpaid orders are cancelled "
        "automatically after 30 minutes.",
    ),
    "paid": (
        "订单 {id} 已付款，正在仓库备货。16:00 前付款的订单当天发货。",
        "Order {id} is paid and being prepared in the warehouse. Orders paid before 16:00 "
        "ship the same day.",
    ),
    "shipped": (
        "订单 {id} 已发货：{carrier}，运单号 {tracking}。最新物流：{event}",
        "Order {id} has shipped with {carrier}, tracking number {tracking}. Latest: {event}",
    ),
    "delivered": ("订单 {id} 已于 {date} 签收。", "Order {id} was delivered on {date}."),
    "eta": ("预计 {date} 送达。", "Expected delivery: {date}."),
    "eta_late": (
        "原定 {date} 送达，已经晚了，抱歉！需要的话我可以帮您转人工催件。",
        "It was due on {date} and is running late, sorry! I can pass you to a colleague to "
        "chase it if you like.",
    ),
    "eta_paid": (
        "预计 {dispatch} 发货，{earliest}–{latest} 送达。",
        "It should ship on {dispatch} and arrive between {earliest} and {latest}.",
    ),
    "returned": ("订单 {id} 已退货。", "Order {id} has been returned."),
    "cancelled": ("订单 {id} 已取消。", "Order {id} was cancelled."),
    "cancel_done": (
        "已为您取消订单 {id}，¥{total} 将在 1 小时内原路退回。",
        "Order {id} is cancelled; ¥{total} will be refunded to your original payment method "
        "within 1 hour.",
    ),
    "cancel_kept": ("好的，订单 {id} 不取消。", "OK, order {id} stays as it is."),
    "cancel_shipped": (
        "订单 {id} 已经发货，无法直接取消。您可以在签收后申请退货（签收后 7 天内可无理由退货）。",
        "Order {id} has already shipped, so it can't be cancelled. Once it arrives you can "
        "return it (no-reason returns within 7 days of receipt).",
    ),
    "cancel_closed": (
        "订单 {id} 当前状态是“{state}”，无需取消。",
        "Order {id} is {state}: nothing to cancel.",
    ),
    "address_done": (
        "已将订单 {id} 的收货地址改为：{address}",
        "The delivery address of order {id} is now: {address}",
    ),
    "address_shipped": (
        "订单 {id} 已经发货，无法在这里修改地址，请直接联系快递（{carrier}，运单号 {tracking}）。",
        "Order {id} has already shipped, so I can't change the address here. Please contact "
        "the courier ({carrier}, tracking number {tracking}).",
    ),
    "address_closed": (
        "订单 {id} 当前状态是“{state}”，不能修改地址。",
        "Order {id} is {state}: its address can't be changed.",
    ),
    "store_down": (
        "订单系统暂时无法访问，请稍后再试。",
        "The order system is unavailable right now. Please try again shortly.",
    ),
    "bad_address": (
        "地址看起来不完整，请写明省市区、详细地址、收件人和电话（200 字以内）。",
        "That address looks incomplete. Please give the city, district, street "
        "address, recipient and phone (up to 200 characters).",
    ),
    "recent_item": ("{id}（{state}，{time}）", "{id} ({state}, {time})"),
}

STATE_NAMES = {
    "unpaid": ("待付款", "unpaid"),
    "paid": ("已付款", "paid"),
    "shipped": ("已发货", "shipped"),
    "in_transit": ("运输中", "in transit"),
    "delivered": ("已签收", "delivered"),
    "returned": ("已退货", "returned"),
    "cancelled": ("已取消", "cancelled"),
}


def fill(table: dict[str, tuple[str, str]], lang: Language, key: str, **values: object) -> str:
    """Message ``key`` of a (zh, en) table in ``lang``, with its values filled in."""
    zh, en = table[key]
    return pick(lang, zh, en).format(**values)


def order_text(lang: Language, key: str, **values: object) -> str:
    """An order message in ``lang`` with its values filled in."""
    return fill(ORDER_TEXTS, lang, key, **values)


def state_name(state: str, lang: Language) -> str:
    """An order state as the shopper reads it (``已付款`` / ``paid``)."""
    return pick(lang, *STATE_NAMES[state])


def eta_text(eta: OrderEta | None, lang: Language) -> str:
    """The sentence for an order's delivery promise ("预计 12月1日 送达。"); "" without one."""
    if eta is None:
        return ""
    if eta.kind == "window":
        assert eta.dispatch is not None and eta.earliest is not None
        days = {"dispatch": eta.dispatch, "earliest": eta.earliest, "latest": eta.due}
        return order_text(lang, "eta_paid", **{k: day_text(d, lang) for k, d in days.items()})
    key = "eta_late" if eta.kind == "late" else "eta"
    return order_text(lang, key, date=day_text(eta.due, lang))


def order_status_text(order: Order, eta: OrderEta | None, lang: Language) -> str:
    """What the shopper is told about the order's state (with its delivery promise)."""
    values: dict[str, object] = {"id": order.id, "total": order.total}
    if order.state in ("shipped", "in_transit") and order.shipment is not None:
        latest = order.shipment.events[-1] if order.shipment.events else None
        event = (
            f"{time_text(latest.time, lang)} {latest.location} "
            f"{pick(lang, latest.text_zh, latest.text_en)}"
            if latest
            else "-"
        )
        values |= {
            "carrier": order.shipment.carrier,
            "tracking": order.shipment.tracking_number,
            "event": event,
        }
        return sentences(lang, order_text(lang, "shipped", **values), eta_text(eta, lang))
    if order.state in ("delivered", "returned") and order.delivered_at is not None:
        text = order_text(lang, "delivered", id=order.id, date=time_text(order.delivered_at, lang))
        return (
            text
            if order.state == "delivered"
            else text + " " + order_text(lang, "returned", id=order.id)
        )
    text = order_text(lang, order.state, **values)
    return sentences(lang, text, eta_text(eta, lang)) if order.state == "paid" else text


def recent_orders_text(orders: list[Order], lang: Language) -> str:
    """The shopper's recent orders with state and date, to offer when an id was wrong."""
    parts = [
        order_text(lang, "recent_item", id=o.id, state=state_name(o.state, lang),
                   time=time_text(o.created_at, lang))
        for o in orders
    ]  # fmt: skip
    return order_text(lang, "recent", orders=pick(lang, "；", "; ").join(parts))


SHIPPING_TEXTS: dict[str, tuple[str, str]] = {
    "header": ("寄到{city}的配送方式（今天 {cutoff} 前付款当天发货）：",
               "Delivery to {city} (paid before {cutoff} Beijing time, it ships today):"),
    "standard": ("标准配送", "Standard delivery"),
    "express": ("次日达快递", "Next-day express"),
    "fee_unknown": ("¥{fee}，满 ¥{free_from} 免运费", "¥{fee}, free from ¥{free_from}"),
    "free": ("免运费", "free"),
    "express_free": ("金卡会员免运费", "free for Gold members"),
    "range": ("{days}，预计 {earliest}–{latest} 送达", "{days}, arrives {earliest} to {latest}"),
    "single": ("{days}，预计 {latest} 送达", "{days}, arrives {latest}"),
    "days": ("{n} 天", "{n} days"),
    "one_day": ("1 天", "1 day"),
    "fastest": ("最快", "fastest"),
    "cheapest": ("最省", "cheapest"),
    "no_express": ("次日达暂不覆盖{city}。", "Next-day express does not reach {city} yet."),
}  # fmt: skip


def shipping_text(lang: Language, key: str, **values: object) -> str:
    """A shipping message in ``lang`` with its values filled in."""
    return fill(SHIPPING_TEXTS, lang, key, **values)


def shipping_option_line(
    o: ShippingOption, rules: ShippingRules, membership: str, lang: Language, today: date
) -> str:
    """One shipping option: service, fee, days from ``today`` (Beijing) and dates, marks."""
    t = lambda key, **v: shipping_text(lang, key, **v)  # noqa: E731
    if o.fee is None:
        fee = t("fee_unknown", fee=f"{rules.standard_fee:g}", free_from=f"{rules.free_from:g}")
    elif o.fee == 0:
        fee = t("express_free") if o.service == "express" and membership == "gold" else t("free")
    else:
        fee = f"¥{o.fee:g}"
    lo, hi = (o.earliest - today).days, (o.latest - today).days
    if o.earliest == o.latest:
        days = t("one_day") if hi == 1 else t("days", n=hi)
        when = t("single", latest=day_text(o.latest, lang), days=days)
    else:
        when = t("range", earliest=day_text(o.earliest, lang), latest=day_text(o.latest, lang),
                 days=t("days", n=f"{lo}–{hi}"))  # fmt: skip
    marks = [t(k) for k, on in (("fastest", o.fastest), ("cheapest", o.cheapest)) if on]
    tail = (
        f" 【{'、'.join(marks)}】"
        if marks and lang == "zh"
        else (f" ({', '.join(marks)})" if marks else "")
    )
    sep = "：" if lang == "zh" else ": "
    comma = "，" if lang == "zh" else ", "
    return f"· {t(o.service)}{sep}{fee}{comma}{when}{tail}"


CATALOG_TEXTS: dict[str, tuple[str, str]] = {
    "which_product": ("请问您想了解哪款商品？告诉我商品名称就可以。",
                      "Which product would you like to know about? Just tell me its name."),
    "no_product": ("抱歉，本店没有找到“{words}”相关的商品。",
                   "Sorry, I couldn't find anything matching \"{words}\" in our store."),
    "details": ("详情：{name}", "Details: {name}"),
    "no_picks": ("抱歉，没有找到符合条件的有货商品。可以放宽预算或换个品类试试。",
                 "Sorry, nothing in stock matches that. Try a higher budget or another "
                 "category."),
    "picks": ("为您挑了这几款：", "Here are my picks for you:"),
    "pick": ("· {name}，¥{price}：{reason}", "· {name}, ¥{price}: {reason}"),
    "no_promotions": ("目前没有进行中的优惠活动。", "There are no promotions running right now."),
    "promotions": ("目前的优惠活动：", "Current promotions:"),
    "offer": ("为您推荐：", "Picked for you: "),
}  # fmt: skip


def catalog_text(lang: Language, key: str, **values: object) -> str:
    """A product, recommendation or promotion message in ``lang`` with its values filled in."""
    return fill(CATALOG_TEXTS, lang, key, **values)


def product_text(p: Product, lang: Language) -> str:
    """One product: name, price, rating, stock, its key attributes."""
    facts = pick(lang, "；", "; ").join(f"{k}: {v}" for k, v in p.attributes(lang))
    return pick(
        lang,
        f"{p.name_zh}：¥{p.price}，评分 {p.rating}，{p.stock_text(lang)}。{facts}",
        f"{p.name_en}: ¥{p.price}, rated {p.rating}, {p.stock_text(lang)}. {facts}",
    )


def details_button(p: Product, lang: Language) -> dict[str, Any]:
    """A quick reply asking for the product's details; its title and payload name it.

    Three recommended speakers get three buttons a shopper can tell apart.
    """
    payload = json.dumps({"product": p.name(lang)}, ensure_ascii=False)
    return {"title": catalog_text(lang, "details", name=p.name(lang)),
            "payload": f"/ask_product{payload}"}  # fmt: skip


def pick_line(r: Recommendation, lang: Language) -> str:
    """One recommended product with the reason it was picked."""
    return catalog_text(lang, "pick", name=r.product.name(lang), price=r.product.price,
                        reason=r.reason(lang))  # fmt: skip


RETURN_TEXTS: dict[str, tuple[str, str]] = {
    "which_item": (
        "这个订单里有：{items}。请问要退哪一件？",
        "This order has: {items}. Which one would you like to return?",
    ),
    "no_reason": (
        "「{item}」可以申请 7 天无理由退货（还剩 {days} 天）：商品需未使用、保留原包装和吊牌；"
        "退货运费 {fee} 元，从退款中扣除。退款在仓库收到退货后 3 个工作日内原路退回。",
        '"{item}" can be returned without a reason ({days} day(s) left): it must be unused, in '
        "its original packaging with tags; the ¥{fee} return shipping is deducted from the refund. "
        "The refund reaches your original payment method within 3 business days after the "
        "warehouse receives it.",
    ),
    "quality": (
        "「{item}」属于质量问题，签收后 15 天内可以退货或换货（还剩 {days} 天），"
        "往返运费由本店承担。请在「申请售后」中上传能看清问题的照片。",
        'As a quality problem, "{item}" can be returned or exchanged within 15 days of receipt '
        "({days} day(s) left), and we cover the shipping. Please upload a photo of the problem "
        "under After-Sales Service.",
    ),
    "recorded": (
        "退货申请已提交（编号 R{number}），审核通过后可预约快递上门取件。",
        "Your return request is recorded (no. R{number}). Once approved you can book a courier "
        "pickup.",
    ),
    "not_delivered": (
        "订单 {id} 还没有签收，暂时不能退货。未发货的订单可以直接取消。",
        "Order {id} hasn't been delivered yet, so it can't be returned. An order that hasn't "
        "shipped can be cancelled instead.",
    ),
    "excluded": (
        "抱歉，「{item}」属于不支持无理由退货的商品（定制商品、生鲜食品、已拆封的软件或数字兑换码、"
        "内衣泳衣、礼品卡）。如果商品有质量问题，签收后 15 天内仍可退换。",
        'Sorry, "{item}" can\'t be returned without a reason (customised items, fresh food, '
        "opened software or digital codes, underwear and swimwear, and gift cards). If it has a "
        "quality problem, you can still return or exchange it within 15 days of receipt.",
    ),
    "too_late": (
        "抱歉，「{item}」已超过退货期限（无理由退货 7 天，质量问题 15 天）。"
        "电子产品和家电可以在保修期内申请保修。",
        'Sorry, "{item}" is past the return period (7 days without a reason, 15 days for a '
        "quality problem). Electronics and appliances can still be repaired under warranty.",
    ),
    "already_requested": (
        "「{item}」已经提交过退货申请，请在「我的订单」中查看进度。",
        'A return for "{item}" has already been requested; see its progress under My Orders.',
    ),
    "not_returnable": (
        "订单 {id} 已取消或已退货，不能再申请退货。",
        "Order {id} is cancelled or already returned, so it can't be returned.",
    ),
}

HANDOFF_TEXTS: dict[str, tuple[str, str]] = {
    "open": (
        "已为您转接人工客服，请稍候，客服会查看您的问题“{topic}”并尽快回复。",
        "I've passed you to a human agent. Please hold on: they'll read your question "
        '("{topic}") and reply shortly.',
    ),
    "closed": (
        "人工客服的服务时间是每天 {hours}（北京时间），现在不在服务时间。"
        "您的问题“{topic}”已经留言，客服上班后会尽快回复您。",
        "Human agents are available {hours} daily (Beijing time), and it's outside those hours "
        'now. Your question ("{topic}") is saved and an agent will reply as soon as they\'re back.',
    ),
}


def handoff_text(lang: Language, agents_available: bool, topic: str) -> str:
    """What the shopper is told on a handoff: an agent is coming, or when agents are back."""
    key = "open" if agents_available else "closed"
    return fill(HANDOFF_TEXTS, lang, key, topic=topic or "-", hours=AGENT_HOURS)


CLARIFY = (
    "抱歉，我不太确定您的意思。您是想：",
    "Sorry, I'm not sure what you mean. Did you want to:",
)
#: words that make part of a message a request to act (the order request, not a question)
REQUEST_WORDS = re.compile(
    r"帮我|幫我|帮忙|幫忙|麻烦你|麻煩你|给我|俾我|help me|please|pls|can you|could you|can u",
    re.IGNORECASE,
)

INTENT_LABELS: dict[str, tuple[str, str]] = {
    "ask_policy": ("咨询购物政策", "Ask about a store policy"),
    "track_order": ("查询订单物流", "Track an order"),
    "cancel_order": ("取消订单", "Cancel an order"),
    "change_address": ("修改收货地址", "Change a delivery address"),
    "request_return": ("申请退货退款", "Return an item"),
    "ask_recommendation": ("推荐商品", "Get a product recommendation"),
    "ask_product": ("了解商品详情", "Learn about a product"),
    "ask_promotion": ("查看优惠活动", "See deals and coupons"),
    "ask_shipping_options": ("查看配送方式和运费", "See delivery options and fees"),
    "human_handoff": ("转人工客服", "Talk to a human agent"),
    "complain": ("投诉", "Make a complaint"),
    "feedback": ("提建议", "Give feedback"),
    "greet": ("打个招呼", "Say hello"),
    "goodbye": ("结束对话", "End the chat"),
    "thanks": ("道谢", "Say thanks"),
    "affirm": ("是的", "Yes"),
    "deny": ("不是", "No"),
    "stop": ("停止当前操作", "Stop what we're doing"),
    "inform": ("提供信息", "Give details"),
    "chitchat": ("随便聊聊", "Chat"),
    "out_of_scope": ("其他问题", "Something else"),
}
