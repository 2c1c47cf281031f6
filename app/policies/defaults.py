"""Starting texts for the member terms and the privacy policy, in English and Japanese: the admin
page offers them while nothing is published, and the demo data publishes them as version 1.
The retention periods are filled in from the settings (RETENTION_*_DAYS), so the policy says
what `flask privacy purge` does. An operator adapts them (the company's name, address, contact,
the law that applies) before publishing."""
from __future__ import annotations

from flask import current_app

TERMS_EN = """# Kyoso terms of use

These terms apply between you and the operator of this Kyoso site ("we") when you use the site
or its API.

## 1. Your account
- Keep your password to yourself. You are responsible for what is done with your account.
- One person, one account. Accounts created to support ideas many times over are closed.
- You must be old enough to agree to these terms where you live, or have your guardian's consent.

## 2. What you post
- Ideas, pictures, comments, and ideas or suggestions you post in comments remain yours. You let
  us show them on the site, in mails and through the API, and let the members take part in
  them, for as long as they are on the site.
- Ideas and suggestions posted in comments may be taken up by the creators of the idea they
  are posted on and by us when the idea becomes a product. If you want a share in an idea's
  royalties, become a co-creator: a suggestion in a comment alone earns no royalties.
- Submitting an idea for review also needs the creator agreement, which covers royalties.
- Do not post anything you have no right to post, anything unlawful, hateful or harassing, nor
  other people's personal data. Moderators may hide such content and block accounts.

## 3. Supporting ideas
- A support says you would consider buying the product. It is not an order and costs nothing.
- You may withdraw a support while the idea is still gathering support.

## 4. Our service
- We may change or stop the site. We tell members of important changes in advance.
- We publish new versions of these terms on the site and ask you to accept them; you can close
  your account at any time instead.

## 5. Liability and law
- The site is offered as it is. Nothing in these terms limits a liability that the law does not
  allow to be limited.
- The law of the operator's country applies, without prejudice to the protection consumers have
  where they live.
"""

TERMS_JA = """# Kyoso 利用規約

この規約は、このKyosoサイトまたはそのAPIをご利用いただく際の、あなたとサイト運営者（以下「当社」）との間の取り決めです。

## 1. アカウント
- パスワードは他人に教えないでください。アカウントで行われたことにはあなたが責任を負います。
- アカウントはお一人につき一つです。同じアイデアを何度もサポートするために作られたアカウントは停止します。
- お住まいの地域でこの規約に同意できる年齢であるか、保護者の同意を得てください。

## 2. 投稿するもの
- アイデア、画像、コメント、およびコメントで投稿したアイデアや提案の権利はあなたに残ります。サイトに掲載されている間、当社がそれらをサイト、メール、APIで表示し、メンバーが参加することを許諾していただきます。
- コメントで投稿したアイデアや提案は、そのアイデアのクリエイターや、製品化の際に当社が取り入れることがあります。ロイヤリティの分配を受けたい場合は共同クリエイターになってください。コメントでの提案だけではロイヤリティは発生しません。
- アイデアをレビューに提出するには、ロイヤリティについて定めたクリエイター規約への同意も必要です。
- 権利を持たないもの、違法なもの、憎悪や嫌がらせにあたるもの、他人の個人情報は投稿しないでください。モデレーターはそのような投稿を非表示にし、アカウントを停止することがあります。

## 3. アイデアのサポート
- サポートは「製品になったら購入を検討する」という意思表示です。注文ではなく、費用もかかりません。
- アイデアがサポートを集めている間は、サポートを取り消すことができます。

## 4. サービス
- 当社はサイトを変更または終了することがあります。重要な変更は事前にメンバーにお知らせします。
- この規約の新しい版はサイトで公開し、同意をお願いします。同意する代わりに、いつでもアカウントを削除できます。

## 5. 責任と準拠法
- サイトは現状のまま提供されます。法律上制限できない責任を、この規約が制限することはありません。
- 運営者の国の法律が適用されます。ただし、お住まいの地域で消費者に認められる保護は妨げられません。
"""

PRIVACY_EN = """# Kyoso privacy policy

This policy explains which personal data this Kyoso site keeps, why, for how long, and the
rights you have. It follows the Act on the Protection of Personal Information (APPI) and, for
members in the European Union, the GDPR.

## 1. What we keep
- **Account**: e-mail address, display name, password (only as a one-way hash), language, time
  zone, profile text and picture.
- **What you do**: ideas and drafts, pictures, supports and their survey answers, comments and
  their history, follows, notifications, royalty statements and payouts.
- **Security records**: your signed-in devices (IP address and browser), failed sign-ins, and a
  keyed hash of the network a support or report came from (to spot vote manipulation).
- **Your choices**: your consents and your acceptances of these documents, with the time, the IP
  address and the browser they came from.

## 2. Why
- To run your account and the site (the contract with you).
- To keep the site safe and fair (our legitimate interest).
- **Personalisation** (your consent, on unless you switch it off): "For you" is based on what
  you support and create. Switched off, you see trending ideas, and what you do is not used to
  recommend ideas to anyone.
- **Marketing mail** (your consent, off unless you tick it): announcements, reminders and
  "we miss you" mails. Mails about your account and your own ideas always come.
- You change both at any time under *Your account → Privacy*.

## 3. Who sees what
- Your display name, profile, ideas, comments and supports are public on the site. Your e-mail
  address is never shown to other members.
- Staff see what their role needs (moderators, reviewers, finance). We use service providers
  (hosting, mail) bound by contract; we sell no personal data.

## 4. How long we keep it
- IP addresses and browsers of signed-in devices: **{session_days} days**; ended sessions are
  then deleted.
- IP addresses and browsers recorded with consents and acceptances: **{consent_days} days**
  (the record of what you accepted and when is kept while your account exists).
- Failed sign-in counters: **{throttle_days} days**.
- Network hashes of supports and reports: **{network_days} days**.
- Everything else: while your account exists.

## 5. When you delete your account
- Your profile, e-mail address, drafts and personal records are erased; your comments stay as
  "Deleted member".
- **Supports of an idea that is still gathering support are withdrawn.** Supports of an idea
  whose supporter list is frozen (it reached the review, or was decided) are **kept as
  anonymous counts**: they no longer name you.
- Royalty ledger entries are kept under a pseudonymous account, as accounting law requires.

## 6. Your rights
- See and download your data (*Your account*), correct it, change your e-mail address, withdraw
  a consent, and delete your account.
- Ask us anything about your data, or complain to the data protection authority.

## 7. Changes
We publish each new version here, with its SHA-256 fingerprint, and ask you to accept it.
"""

PRIVACY_JA = """# Kyoso プライバシーポリシー

このポリシーは、このKyosoサイトが保存する個人情報の内容、目的、保存期間、およびあなたの権利について説明します。個人情報の保護に関する法律（個人情報保護法）に従い、欧州連合のメンバーについてはGDPRにも従います。

## 1. 保存する情報
- **アカウント**: メールアドレス、表示名、パスワード（一方向ハッシュのみ）、言語、タイムゾーン、プロフィール文と画像。
- **あなたの活動**: アイデアと下書き、画像、サポートとアンケートの回答、コメントとその履歴、フォロー、通知、ロイヤリティの明細と支払い。
- **セキュリティの記録**: サインイン中の端末（IPアドレスとブラウザ）、サインインの失敗、サポートや通報の送信元ネットワークの鍵付きハッシュ（不正な投票の発見のため）。
- **あなたの選択**: 同意と、これらの文書への同意の記録（日時、IPアドレス、ブラウザ）。

## 2. 利用目的
- アカウントとサイトの運営のため（あなたとの契約）。
- サイトの安全と公正を保つため（当社の正当な利益）。
- **パーソナライズ**（あなたの同意。オフにしない限りオン）: 「あなたへのおすすめ」は、あなたがサポート・投稿したものをもとにしています。オフにすると、トレンドのアイデアが表示され、あなたの活動はだれへのおすすめにも使われません。
- **マーケティングメール**（あなたの同意。チェックしない限りオフ）: お知らせ、ご案内、「お久しぶりです」メール。アカウントやご自身のアイデアに関するメールは常に届きます。
- どちらも *アカウント → プライバシー* でいつでも変更できます。

## 3. 公開範囲
- 表示名、プロフィール、アイデア、コメント、サポートはサイト上で公開されます。メールアドレスが他のメンバーに表示されることはありません。
- スタッフは役割に必要な範囲（モデレーター、レビュアー、経理）で情報を見ます。契約で義務を負うサービス事業者（ホスティング、メール）を利用します。個人情報は販売しません。

## 4. 保存期間
- サインイン中の端末のIPアドレスとブラウザ: **{session_days}日間**。終了したセッションはその後削除します。
- 同意の記録に含まれるIPアドレスとブラウザ: **{consent_days}日間**（何にいつ同意したかの記録は、アカウントがある間保存します）。
- サインイン失敗の回数: **{throttle_days}日間**。
- サポートと通報のネットワークハッシュ: **{network_days}日間**。
- その他の情報: アカウントがある間。

## 5. アカウントを削除したとき
- プロフィール、メールアドレス、下書き、個人の記録は消去されます。コメントは「退会したメンバー」として残ります。
- **サポートを集めている最中のアイデアへのサポートは取り消されます。** サポーターの一覧が確定したアイデア（レビューに進んだ、または判定が出たもの）へのサポートは、あなたを特定しない**匿名の件数として残ります**。
- ロイヤリティの台帳は、会計法令に従い、仮名のアカウントのもとで保存します。

## 6. あなたの権利
- データの閲覧とダウンロード（*アカウント*）、訂正、メールアドレスの変更、同意の撤回、アカウントの削除ができます。
- 情報の取り扱いについて当社に問い合わせ、または個人情報保護委員会などの監督機関に申し立てることができます。

## 7. 変更
新しい版はSHA-256の指紋とともにここで公開し、同意をお願いします。
"""


def retention_days() -> dict[str, int]:
    config = current_app.config
    return {"session_days": config.get("RETENTION_SESSION_DAYS", 90),
            "consent_days": config.get("RETENTION_CONSENT_DAYS", 1095),
            "throttle_days": config.get("RETENTION_THROTTLE_DAYS", 30),
            "network_days": config.get("RETENTION_NETWORK_HASH_DAYS", 180)}


def default_text(kind: str, locale: str) -> str:
    """The starting text of a kind in a language, with the retention periods of the settings."""
    if kind == "terms":
        return TERMS_JA if locale == "ja" else TERMS_EN
    text = PRIVACY_JA if locale == "ja" else PRIVACY_EN
    return text.format(**retention_days())
