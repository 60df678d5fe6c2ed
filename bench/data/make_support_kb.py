"""Writes the support-desk benchmark knowledge base (a made-up online bank, written for this
benchmark; CC0): support_kb.jsonl (entries with 10 example questions each, some in Chinese) and
support_kb_eval.jsonl (held-out phrasings of each entry and out-of-scope questions, id null).

    python bench/data/make_support_kb.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

# id: (answer, [10 example questions], [held-out questions])
KB: dict[str, tuple[str, list[str], list[str]]] = {
    "card_lost": (
        "Freeze your card in the app (Card → Freeze) and order a replacement; a lost or stolen "
        "card can't be used once frozen.",
        ["I lost my card", "my card was stolen", "what do I do if my card is missing?",
         "someone stole my wallet with my bank card", "how do I block a lost card?",
         "I can't find my debit card anywhere", "report a stolen card",
         "my card fell out of my pocket, what now?", "我的银行卡丢了怎么办", "卡被偷了"],
        ["I think I left my card at the restaurant and it's gone",
         "need to report my card as stolen right now", "how can I freeze a card I lost?",
         "银行卡丢失了，怎么挂失？"]),
    "card_declined": (
        "A card is declined when it is frozen, the balance is too low, the shop is blocked for "
        "security, or the contactless/online payment setting is off. Check Card → Settings in "
        "the app.",
        ["why was my card declined?", "my card isn't working", "payment refused at the shop",
         "my card keeps getting rejected", "card payment failed at the supermarket",
         "why can't I pay with my card?", "the terminal says transaction declined",
         "online purchase declined", "我的卡刷不了", "为什么付款被拒绝"],
        ["the cashier said my card didn't go through", "my card got declined online twice today",
         "why does my card not work in shops?", "刷卡支付失败是什么原因"]),
    "card_delivery": (
        "New cards arrive within 5–7 working days; you can track delivery under Card → Order "
        "status.",
        ["when will my new card arrive?", "how long does card delivery take?",
         "I ordered a card, where is it?", "my card hasn't arrived yet", "track my card delivery",
         "how many days until I get my card?", "card still not delivered",
         "is my card on its way?", "新卡什么时候寄到", "我的卡还没收到"],
        ["it's been a week and no card in the post", "when should I expect the card I ordered?",
         "can I see where my physical card is?", "银行卡多久能寄到"]),
    "card_activate": (
        "Activate your card in the app: Card → Activate, then enter the 6-digit code printed on "
        "the letter.",
        ["how do I activate my card?", "activate new card", "my card came, how do I start using it?",
         "card activation steps", "where do I activate the debit card?",
         "I received my card, what next?", "the new card is not active",
         "how to switch on a new card", "新卡怎么激活", "如何激活银行卡"],
        ["just got the card in the mail, how do I turn it on?",
         "what do I need to do before using a new card?", "can't find the activation option",
         "收到卡以后要怎么开通"]),
    "pin": (
        "You can view your PIN in the app (Card → Show PIN) and change it at any of our ATMs.",
        ["I forgot my PIN", "how do I change my PIN?", "where can I see my card PIN?",
         "reset my PIN number", "I don't remember my pin code", "can I choose a new PIN?",
         "my PIN is blocked after wrong attempts", "how to unblock my PIN",
         "忘记密码了怎么办", "怎么修改银行卡密码"],
        ["what's my pin, I can't recall it", "entered the wrong PIN three times",
         "is it possible to set my own PIN?", "我想改一下卡的密码"]),
    "transfer_pending": (
        "Transfers in euros arrive within 1 working day; international ones can take up to 5. "
        "The status is shown on the payment in the app.",
        ["my transfer hasn't arrived", "why is my transfer still pending?",
         "how long does a bank transfer take?", "the money I sent is not there yet",
         "transfer stuck in pending", "when will the recipient get my payment?",
         "I sent money yesterday and it's not received", "how long do transfers take to arrive?",
         "转账还没到账", "汇款多久能到"],
        ["my friend says my payment still hasn't shown up", "payment has been processing for days",
         "how many days until a transfer lands?", "转出去的钱为什么一直在处理中"]),
    "transfer_limit": (
        "You can send up to 10,000 € a day and 50,000 € a month; raise it under Account → Limits "
        "after verifying your identity.",
        ["what is the maximum I can transfer?", "daily transfer limit", "how much money can I send?",
         "can I increase my transfer limit?", "is there a limit on transfers?",
         "monthly sending limit", "I want to send more than the limit",
         "what's the most I can transfer in one day?", "转账限额是多少", "每天最多能转多少钱"],
        ["is there a cap on how much I can pay out per day?", "how do I raise my sending limit?",
         "I hit the limit, how can I send more?", "单日转账上限"]),
    "transfer_cancel": (
        "A transfer can be cancelled while it is still pending: open it in the app and tap "
        "Cancel. Once completed it can't be reversed — ask the recipient to send it back.",
        ["how do I cancel a transfer?", "I sent money to the wrong person",
         "can I stop a payment I just made?", "reverse a bank transfer",
         "I made a mistake in the transfer", "undo a payment", "cancel pending transfer",
         "I typed the wrong account number", "转错账了怎么办", "怎么取消转账"],
        ["sent money to the wrong IBAN by accident", "is it possible to call back a transfer?",
         "I need to stop the payment I sent five minutes ago", "能撤回一笔汇款吗"]),
    "intl_fees": (
        "Transfers in euros within SEPA are free; other international transfers cost 0.5 % "
        "(at least 3 €), shown before you confirm.",
        ["how much does an international transfer cost?", "fees for sending money abroad",
         "is it free to send money to another country?", "transfer fee to the US",
         "what do you charge for foreign transfers?", "cost of sending money overseas",
         "are SEPA transfers free?", "international payment charges",
         "跨境汇款手续费多少", "往国外转账要收费吗"],
        ["what will it cost me to wire money to India?", "any charges for transfers outside Europe?",
         "do you take a fee when I pay someone abroad?", "国际转账怎么收费"]),
    "top_up": (
        "Add money by bank transfer to your IBAN (free) or instantly with a debit card "
        "(Account → Add money).",
        ["how do I add money to my account?", "how to top up", "can I top up with a card?",
         "ways to put money in my account", "deposit money", "how do I fund my account?",
         "top up by bank transfer", "load money into the app", "怎么充值", "如何往账户里存钱"],
        ["what's the quickest way to get money into my account?", "can I add funds from another bank?",
         "I want to put cash on my account", "怎样给账户加钱"]),
    "top_up_failed": (
        "A top-up fails when the card issuer declines it or the card is not in your name; you "
        "are not charged. Try another card or a bank transfer.",
        ["my top up failed", "why did my top-up not work?", "top up was declined",
         "money not added after top up", "card top-up error", "I tried to add money and it failed",
         "top up keeps failing", "my top-up was rejected", "充值失败了", "为什么充不进去"],
        ["adding money with my card gives an error", "the top-up didn't go through but was I charged?",
         "can't load money, it says failed", "充值一直失败怎么办"]),
    "exchange": (
        "We exchange at the interbank rate with a 0.5 % fee on weekdays (1 % at weekends); the "
        "rate is shown before you confirm.",
        ["what exchange rate do you use?", "how much do you charge to exchange currency?",
         "currency conversion fee", "is there a fee for paying in dollars?",
         "why is the exchange rate different at the weekend?", "how do I exchange money in the app?",
         "fees for spending abroad in another currency", "convert euros to pounds",
         "换汇手续费多少", "汇率怎么算"],
        ["will I pay extra for using my card in Japan?", "what rate do you give for currency swaps?",
         "is converting money more expensive on Sundays?", "用外币付款要手续费吗"]),
    "atm": (
        "Withdrawals are free up to 200 € a month; after that we charge 2 %. Some ATMs add their "
        "own fee.",
        ["are ATM withdrawals free?", "how much does it cost to take out cash?",
         "ATM fee", "why was I charged for withdrawing cash?", "cash withdrawal limit",
         "can I withdraw money abroad?", "how much cash can I get from an ATM?",
         "fee for using a cash machine", "取现要手续费吗", "ATM取款收费吗"],
        ["is there a charge to get money out of a cash machine?",
         "the ATM took extra money as a fee", "how much can I withdraw for free?", "取钱收费标准"]),
    "unknown_charge": (
        "If you don't recognise a payment, freeze your card and open the payment in the app → "
        "Report a problem; we'll investigate and may refund it.",
        ["there is a payment I don't recognise", "unknown charge on my account",
         "I didn't make this transaction", "someone used my card", "dispute a card payment",
         "strange transaction in my statement", "I was charged for something I didn't buy",
         "fraudulent payment on my card", "有一笔不认识的扣款", "账户被盗刷了"],
        ["what is this charge from a shop I've never been to?",
         "how do I contest a payment on my card?", "money taken without my permission",
         "我没消费却被扣钱了"]),
    "refund": (
        "Refunds from shops usually take 5–10 working days to appear; they show as pending until "
        "the merchant completes them.",
        ["where is my refund?", "refund not showing in my account", "how long does a refund take?",
         "the shop refunded me but I don't see the money", "refund still pending",
         "when will I get my money back from a store?", "merchant refund missing",
         "I returned an item, when is the refund?", "退款什么时候到账", "商家退款还没收到"],
        ["the seller says they refunded me last week", "why is my refund taking so long?",
         "returned my order but no money yet", "退货的钱怎么还没退回来"]),
    "close_account": (
        "To close your account, move out your balance, then go to Profile → Close account. "
        "Closing is free.",
        ["how do I close my account?", "I want to delete my account", "cancel my account",
         "close bank account", "how can I leave the bank?", "terminate my account",
         "remove my account permanently", "is there a fee to close my account?",
         "怎么注销账户", "我要销户"],
        ["I'd like to stop being a customer", "how to shut down my account for good?",
         "what happens to my money if I close the account?", "如何关闭我的账户"]),
    "verify_identity": (
        "We need a photo of a valid passport or ID card and a selfie; verification usually takes "
        "a few minutes.",
        ["how do I verify my identity?", "what documents do you need?", "identity verification",
         "why do I need to send my passport?", "verification is taking long",
         "can I verify with a driving licence?", "KYC documents", "my ID check failed",
         "身份验证需要什么材料", "怎么实名认证"],
        ["which ID can I use to prove who I am?", "my verification is still in review",
         "do I have to upload a selfie?", "实名认证要多久"]),
    "personal_details": (
        "Change your address, email or phone number under Profile → Personal details; a name "
        "change needs a document.",
        ["how do I change my address?", "update my email address", "change my phone number",
         "I moved house, how do I update my details?", "edit personal information",
         "change my name on the account", "update contact details", "wrong address on my profile",
         "怎么修改地址", "更换手机号码"],
        ["I got married and my surname changed", "where can I correct my home address?",
         "need to put a new email on my account", "如何更新个人信息"]),
    "login": (
        "If you can't log in, tap 'Forgot password' on the login screen; a reset link is sent to "
        "your email. After 5 wrong tries the login locks for 30 minutes.",
        ["I can't log in", "forgot my password", "how do I reset my password?",
         "locked out of my account", "the app won't let me sign in", "login not working",
         "password reset email not received", "too many login attempts",
         "登录不了", "忘记登录密码"],
        ["it says my password is wrong but it's right", "how do I get back into the app?",
         "my account is locked after failed logins", "密码重置邮件收不到"]),
    "new_phone": (
        "On a new phone, install the app and log in; confirm with the code we send to your "
        "registered number. The old device is signed out.",
        ["I got a new phone", "how do I move the app to a new phone?", "change device",
         "install the app on another phone", "lost my phone, how do I log in?",
         "transfer account to new mobile", "log in on a new device",
         "I changed my phone, what do I do?", "换了新手机怎么登录", "手机换了怎么办"],
        ["bought a new iPhone, how do I set up the app?", "can I use the app on two phones?",
         "my old phone broke, how do I access my account?", "新手机上怎么用这个应用"]),
    "savings_interest": (
        "Savings pots pay 2.1 % a year, calculated daily and paid monthly; money can be "
        "withdrawn any time.",
        ["what interest do you pay on savings?", "savings account rate", "do I earn interest?",
         "how does the savings pot work?", "interest rate on my balance",
         "when is interest paid?", "can I take money out of savings?", "open a savings account",
         "存款利率是多少", "储蓄有利息吗"],
        ["how much will my savings earn per year?", "is the interest paid monthly or yearly?",
         "what's the APY on the savings pot?", "存钱能拿多少利息"]),
    "statement": (
        "Download statements as PDF or CSV under Account → Statements, for any period.",
        ["how do I get a bank statement?", "download my statement", "I need a statement for my "
         "landlord", "export transactions", "monthly statement PDF", "account statement for last "
         "year", "where are my statements?", "proof of transactions", "怎么下载对账单",
         "我需要银行流水"],
        ["can I export my transactions to Excel?", "I need a document showing my payments",
         "how to get last month's statement?", "在哪里打印账户流水"]),
    "overdraft": (
        "We don't offer overdrafts: payments that exceed your balance are declined, so your "
        "balance never goes negative.",
        ["do you offer an overdraft?", "can I go below zero?", "overdraft facility",
         "can my balance be negative?", "borrow money on my account",
         "what happens if I don't have enough money?", "arranged overdraft",
         "can I spend more than I have?", "可以透支吗", "余额不足会怎样"],
        ["is it possible to go into the red?", "will you let me overspend a little?",
         "do you have an overdraft limit?", "账户能不能欠款"]),
    "mobile_wallet": (
        "Add your card to Apple Pay or Google Pay from Card → Add to wallet in the app.",
        ["can I use Apple Pay?", "add card to Google Pay", "do you support mobile wallets?",
         "how to pay with my phone", "Apple Pay not working", "set up Google Wallet",
         "contactless payment with phone", "add my card to my iPhone wallet",
         "支持苹果支付吗", "怎么绑定谷歌支付"],
        ["can I pay with my watch?", "how do I put the card into Apple Wallet?",
         "is Samsung Pay supported?", "手机能不能刷卡付款"]),
    "plan_fees": (
        "The Standard plan is free; Plus costs 4.99 € a month and Premium 9.99 € a month. Change "
        "plan under Profile → Plan.",
        ["how much does the account cost?", "monthly fee", "is the account free?",
         "what plans do you have?", "difference between Plus and Premium",
         "how do I upgrade my plan?", "subscription price", "can I downgrade to free?",
         "账户月费多少", "有哪些套餐"],
        ["is there a monthly charge for the basic account?", "what do I get with Premium?",
         "how to change to a cheaper plan?", "高级套餐多少钱"]),
}

OUT_OF_SCOPE = [
    # near the domain: banking questions this knowledge base does not answer
    "can I get a mortgage with you?", "do you offer personal loans?",
    "how do I open a joint account?", "can I invest in stocks through the app?",
    "do you have a business account?", "can I buy crypto?", "how do I write a cheque?",
    "do you offer travel insurance?", "can kids have an account?",
    "what is your bank's SWIFT code?", "do you have branches I can visit?",
    "can I get a credit card?", "how do I set up a standing order?",
    "what's the phone number of customer service?", "do you pay cashback?",
    "我想申请房贷", "你们有信用卡吗", "可以买股票吗",
    # everyday and general questions
    "what's the weather tomorrow?", "tell me a joke", "who won the world cup in 2018?",
    "how do I bake bread?", "I feel lonely today", "what is the capital of Australia?",
    "write a poem about the sea", "how far is the moon?", "can dogs eat chocolate?",
    "recommend a good movie", "what's 17 times 23?", "how do I learn python?",
    "why is the sky blue?", "hello, how are you?", "what's your name?",
    "今天天气怎么样", "给我讲个笑话", "北京有什么好玩的", "我今天心情不好", "怎么学英语",
    "how do I fix my bike?", "what time is it in Tokyo?",
]


def main() -> None:
    """Write both files next to this script."""
    with (HERE / "support_kb.jsonl").open("w", encoding="utf-8") as f:
        for eid, (answer, questions, _) in KB.items():
            assert len(questions) == 10, eid
            f.write(json.dumps({"id": eid, "questions": questions, "answer": answer,
                                "tags": ["bank"]}, ensure_ascii=False) + "\n")
    with (HERE / "support_kb_eval.jsonl").open("w", encoding="utf-8") as f:
        for eid, (_, _, held) in KB.items():
            for q in held:
                f.write(json.dumps({"id": eid, "question": q}, ensure_ascii=False) + "\n")
        for q in OUT_OF_SCOPE:
            f.write(json.dumps({"id": None, "question": q}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
