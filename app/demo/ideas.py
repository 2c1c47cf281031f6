"""The ideas, comments and answers of the demo data (flask seed-demo), kept apart from the code.

Each idea: title, pitch, category slug, tags, the N=1 insight (situation, emotion, purpose),
three features and the price (JPY) its supporters have in mind.
"""
from __future__ import annotations

from typing import NamedTuple


class IdeaSpec(NamedTuple):
    title: str
    pitch: str
    category: str
    tags: tuple[str, ...]
    situation: str
    emotion: str
    purpose: str
    features: tuple[str, str, str]
    price: int
    ja: bool = False


CATEGORIES = (
    ("home", "Home & Living", "暮らし"),
    ("kitchen", "Kitchen", "キッチン"),
    ("outdoor", "Outdoor", "アウトドア"),
    ("kids", "Kids & Family", "キッズ・ファミリー"),
    ("travel", "Travel & Commute", "旅行・通勤"),
    ("stationery", "Stationery & Office", "文房具・オフィス"),
    ("wellness", "Health & Wellness", "ヘルス・ウェルネス"),
    ("pets", "Pets", "ペット"),
    ("gadgets", "Gadgets", "ガジェット"),
)

IDEAS: tuple[IdeaSpec, ...] = (
    IdeaSpec(
        "Umbrella sleeve for crowded trains",
        "A quick-dry sleeve that swallows a wet folding umbrella in one move, so nobody's knees "
        "get soaked on the morning train.",
        "travel", ("rain", "commute", "umbrella"),
        "Mika, 34, stands for 50 minutes on a packed Tokyu line train on rainy mornings, pressed "
        "between other commuters, holding a dripping folding umbrella and her bag.",
        "She feels guilty every time the umbrella drips on someone's trousers and dreads the "
        "glares; plastic bags from the station tear and leak.",
        "Arrive at the office dry and calm, without apologising all the way.",
        ("Microfibre lining that absorbs a full umbrella's water",
         "Magnetic mouth that closes with one hand", "Clips onto a bag strap, folds flat when dry"),
        1800),
    IdeaSpec(
        "Camping lantern hook for any branch",
        "A padded, adjustable hook that hangs a lantern from any branch or tent pole in seconds "
        "without damaging the bark.",
        "outdoor", ("camping", "light"),
        "Kenta, 41, camps with his two children most weekends and sets up in the dark after the "
        "drive, one hand holding a torch.",
        "He hates fumbling with paracord knots while the kids wait, and worries about scarring "
        "trees at the campsite.",
        "Light up the site in a minute and start the evening with the family, not with knots.",
        ("Silicone-padded jaw that fits 2-12 cm branches", "Holds lanterns up to 2 kg",
         "Clips to a carabiner when not in use"),
        1500),
    IdeaSpec(
        "Glow-in-the-dark bedside water bottle for kids",
        "A spill-proof bottle whose cap glows softly all night, so a thirsty child finds it "
        "without waking the whole house.",
        "kids", ("sleep", "night", "bottle"),
        "Aya's four-year-old wakes up thirsty around 2 a.m. and gropes for his cup in the dark, "
        "often knocking it over.",
        "Aya is tired of changing wet sheets at night and of the lamp waking the baby sister.",
        "Let her son drink on his own at night and everyone sleep through.",
        ("Glow ring charged by the bedroom light in the evening",
         "Straw valve that doesn't leak when tipped over", "Dishwasher-safe, 350 ml"),
        1600),
    IdeaSpec(
        "玄関に置ける傘の水切りスタンド",
        "濡れた傘を立てるだけで水が受け皿に落ち、玄関の床がびしょびしょにならないスリムなスタンド。",
        "home", ("rain", "umbrella", "entrance"),
        "都内の1LDKに住む共働きの夫婦。玄関は狭く、雨の日は二人分の傘を壁に立てかけている。",
        "床が濡れて靴下が湿るのが嫌で、来客があると玄関が散らかって見えて恥ずかしい。",
        "狭い玄関でも、雨の日に気持ちよく出入りしたい。",
        ("幅12cmのスリム設計で靴箱の横に収まる", "受け皿は取り外して丸洗いできる",
         "折りたたみ傘も長傘も立てられる"),
        3200, True),
    IdeaSpec(
        "One-hand bento box latch",
        "A bento box whose lid opens and locks with one thumb, for parents packing lunch with a "
        "baby on the other arm.",
        "kitchen", ("bento", "parents", "lunch"),
        "Rie packs two lunches every weekday at 6:30 while holding her eight-month-old, who "
        "refuses to be put down.",
        "She dreads the morning rush and often spills rice when she has to put the baby down to "
        "snap four clips shut.",
        "Pack lunch in two minutes, baby on her hip, without spills.",
        ("Single slide latch that clicks shut with the thumb", "Leak-proof silicone seal",
         "Two stacking tiers, microwave-safe"),
        2400),
    IdeaSpec(
        "Cable-free desk pad with a pen rail",
        "A felt desk pad with a built-in wireless charger and a magnetic pen rail, so a small desk "
        "stays clear.",
        "stationery", ("desk", "workspace", "charging"),
        "Shun, 28, works from a 90 cm desk in his bedroom; the phone, cables and pens end up "
        "everywhere by noon.",
        "The clutter makes him feel he never really starts working, and he keeps losing his pen.",
        "Have a tidy desk that feels like a real workplace in a small room.",
        ("Qi charging spot marked in the felt", "Magnetic rail for two pens and a stylus",
         "Cable routed out of sight at the back"),
        5800),
    IdeaSpec(
        "Posture reminder that buzzes gently",
        "A tiny clip-on sensor that vibrates when you slump for more than a minute, without an "
        "app nagging you.",
        "wellness", ("posture", "desk", "health"),
        "Natsuki, 45, an accountant, spends nine hours a day at a laptop during closing season.",
        "She is worried about her back pain getting worse and feels silly setting phone alarms "
        "to sit up.",
        "Stay upright through long days without thinking about it.",
        ("Clips to a collar or bra strap", "Learns your neutral posture in one press",
         "Two weeks per charge, USB-C"),
        4500),
    IdeaSpec(
        "Dog leash with a bag light",
        "A leash handle with a small light aimed at the ground, so evening walkers can find and "
        "pick up what their dog left.",
        "pets", ("dog", "walk", "night"),
        "Taro walks his shiba after work, usually after dark in winter, on streets with few lamps.",
        "He feels embarrassed and anxious when he can't find the mess in the grass while "
        "neighbours watch.",
        "Walk at any hour and always leave the street clean.",
        ("Downward light switched with the thumb", "Bag dispenser built into the handle",
         "Reflective tape along the lead"),
        2900),
    IdeaSpec(
        "Solar charger that folds into a notebook cover",
        "A A5 notebook cover with thin solar panels inside, charging a phone while you write "
        "outdoors.",
        "gadgets", ("solar", "charging", "outdoor"),
        "Yuto is a field researcher who spends long days writing notes in parks and forests, far "
        "from a socket.",
        "He is nervous about his phone dying before he can upload the day's photos.",
        "Finish a day in the field with notes and a charged phone.",
        ("5 W panel hidden in the cover", "USB-C out with a short cable pocket",
         "Fits standard A5 notebooks"),
        6800),
    IdeaSpec(
        "片手で開く調味料ボトル",
        "ボタンを押すだけで注ぎ口が開き、片手で醤油やみりんを注げる液だれしないボトル。",
        "kitchen", ("cooking", "bottle"),
        "料理が好きな60代の母。手首を痛めてから、キャップを回すのがつらくなった。",
        "調理中に何度も手を止めるのがもどかしく、液だれでボトルがべたつくのも気になる。",
        "手首に負担をかけず、料理のリズムを崩さずに味付けしたい。",
        ("親指で押すだけで開閉", "液だれしない逆止弁", "食洗機対応"),
        1500, True),
    IdeaSpec(
        "Carry-on shoe pouch that doubles as a laundry bag",
        "A washable pouch with two compartments: shoes on the way out, dirty clothes on the way "
        "back.",
        "travel", ("travel", "packing"),
        "Emma travels for work twice a month with only a carry-on, and repacks in hotel rooms "
        "late at night.",
        "She hates putting dirty shoes next to clean shirts and carrying plastic bags that rustle.",
        "Pack in five minutes and keep clean things clean.",
        ("Two zipped compartments with a breathable divider", "Folds into its own pocket",
         "Machine washable, 140 g"),
        2200),
    IdeaSpec(
        "焚き火台用の折りたたみ風防",
        "風の強い河原でも炎が安定する、焚き火台にぴったり合う軽量の折りたたみ風防。",
        "outdoor", ("camping", "fire"),
        "週末に河原でソロキャンプをする30代の会社員。夕方になると決まって風が強くなる。",
        "火が安定せずに薪ばかり減り、火の粉が飛ぶのも少し怖い。",
        "風を気にせず、静かに焚き火を眺める時間を楽しみたい。",
        ("アルミ製で重さ480g", "主要な焚き火台の高さに合わせた3段階調整", "収納袋付き"),
        4200, True),
    IdeaSpec(
        "ランドセル用の反射材付きレインカバー",
        "雨の日の通学でランドセルを濡らさず、夕方でも車から見える反射材付きのカバー。",
        "kids", ("school", "rain", "safety"),
        "小学1年生の娘は、冬の雨の日に暗くなってから学童から一人で帰ってくる。",
        "傘で前が見えにくく、車から見えているか心配でたまらない。",
        "娘が雨の日も安全に、一人で帰ってこられるようにしたい。",
        ("360度見える反射テープ", "ランドセルの金具に簡単に装着", "使わない時はポケットに収納"),
        1900, True),
    IdeaSpec(
        "Modular shoe rack that climbs the wall",
        "Slim shelves that hook together up the wall of a narrow entrance, adding one pair at a "
        "time.",
        "home", ("entrance", "storage"),
        "A family of five in a Tokyo apartment with a genkan barely wider than the door.",
        "Tripping over shoes every morning makes everyone irritable before school and work.",
        "Get out of the door on time with a clear floor.",
        ("Each module holds one pair, tool-free linking", "Renter-friendly rail, no drilling",
         "Drip tray for wet shoes"),
        3900),
    IdeaSpec(
        "寝る前の読書用ライト（ブルーライト控えめ）",
        "眠りを妨げにくい暖色の光で、隣で寝ている家族を起こさずに本が読めるクリップライト。",
        "wellness", ("sleep", "reading", "light"),
        "寝る前の30分の読書が楽しみな40代の女性。夫は早く寝るので部屋の明かりは消している。",
        "スマホのライトでは目が疲れ、夫を起こしてしまわないか気になる。",
        "家族の眠りを邪魔せず、自分の読書時間を大切にしたい。",
        ("色温度2200Kの暖色光", "光が広がらない狭角レンズ", "本に挟めるクリップ式"),
        2800, True),
    IdeaSpec(
        "消せるボールペン対応の付箋ノート",
        "書いて消して何度も使える、消せるボールペン専用の厚手付箋ノート。",
        "stationery", ("notes", "office"),
        "毎朝その日のタスクを付箋に書き出す営業職の30代男性。",
        "一日で付箋を10枚以上捨てていて、もったいないと感じている。",
        "紙を無駄にせず、いつもの仕事の段取りを続けたい。",
        ("摩擦熱で消しても破れない厚紙", "繰り返し貼れる粘着", "手帳サイズ"),
        900, True),
    IdeaSpec(
        "留守番中の猫のための自動ブラシ",
        "猫が自分から体をこすりつけると、やさしくブラッシングされる壁掛け式のブラシ。",
        "pets", ("cat", "grooming"),
        "一人暮らしで猫を飼う20代の会社員。平日は10時間以上家を空ける。",
        "抜け毛の季節は毎日ブラッシングしてあげられず、申し訳なく思っている。",
        "留守中も猫が快適に過ごせるようにしたい。",
        ("柔らかいシリコンブラシ", "壁の角に貼るだけ", "抜け毛がたまるトレー付き"),
        2500, True),
    IdeaSpec(
        "Subscription-free tag for school bags",
        "A coin-sized tag that tells a parent's phone when the school bag has left or reached "
        "school, with no monthly fee.",
        "gadgets", ("kids", "school", "safety"),
        "Hiro's seven-year-old daughter has just started walking to school alone.",
        "He is anxious every morning until he knows she has arrived, but hates monthly "
        "subscriptions and constant tracking.",
        "Know she got there safely, without spying on her all day.",
        ("Only two notifications: left home, reached school", "Two-year battery",
         "Works with the school's entrance beacon"),
        3500),
    IdeaSpec(
        "Stackable fermentation jars with airlock lids",
        "Glass jars with built-in airlocks that stack in a fridge door, for people who make "
        "their own kimchi and pickles.",
        "kitchen", ("fermentation", "storage"),
        "Jun, 38, makes nukazuke and kimchi in a small apartment kitchen.",
        "He worries about the smell filling the fridge and jars exploding when gas builds up.",
        "Ferment at home without smells or mess.",
        ("One-way valve lid", "Date dial on the lid", "Stacks three high in a fridge door"),
        3600),
    IdeaSpec(
        "Under-desk foot hammock with a warm pad",
        "A hammock for tired feet under the desk, with a low-power heating pad for cold home "
        "offices.",
        "home", ("desk", "winter", "comfort"),
        "Sara works from home in an old wooden house where the floor is cold from November to "
        "March.",
        "Her feet get so cold that she can't focus, and a heater for the whole room costs too much.",
        "Work comfortably through winter without heating the whole house.",
        ("Adjustable height straps", "10 W washable heating pad", "Folds into a drawer"),
        4800),
    IdeaSpec(
        "Packable seat cushion for stadium benches",
        "An inflatable cushion in team colours that rolls to the size of a can, for long games on "
        "hard benches.",
        "outdoor", ("sports", "stadium"),
        "Makoto has a season ticket for his local baseball team and sits on plastic benches for "
        "three hours.",
        "By the seventh inning his back hurts and he can't enjoy the game.",
        "Enjoy every inning in comfort.",
        ("Self-inflating in 10 seconds", "Water-resistant cover", "Fits in a drink holder"),
        2000),
    IdeaSpec(
        "新幹線のテーブルを広げる折りたたみ拡張ボード",
        "新幹線の座席テーブルに差し込むだけで、ノートPCとマウスが並べられる広さになる拡張ボード。",
        "travel", ("commute", "work", "train"),
        "東京と大阪を週に2回往復する出張の多い会社員。移動中にも資料を仕上げたい。",
        "テーブルが狭くてマウスが使えず、PCが落ちないかひやひやしている。",
        "移動時間を落ち着いて仕事ができる時間に変えたい。",
        ("差し込むだけで固定", "A4サイズに折りたためる", "滑り止め加工"),
        3800, True),
    IdeaSpec(
        "Sand-free beach mat for toddlers",
        "A mat whose mesh lets sand fall through, so a toddler can play on it without eating a "
        "handful.",
        "kids", ("beach", "summer", "toddler"),
        "Lisa takes her 18-month-old to the beach every summer weekend.",
        "She spends the day brushing sand off his hands and worries about him eating it.",
        "Enjoy the beach together instead of cleaning all day.",
        ("Two-layer mesh, sand drops through", "Corner pockets to weigh it down",
         "Packs into a 30 cm pouch"),
        3300),
    IdeaSpec(
        "Hydration cup that marks the hour",
        "A cup with a rotating ring that shows when you last drank, made for older people who "
        "forget to drink in summer.",
        "wellness", ("health", "summer", "seniors"),
        "Kazuko, 78, lives alone; her daughter calls every evening to remind her to drink water.",
        "Her daughter is afraid of heatstroke; Kazuko is tired of being reminded.",
        "Stay healthy in the heat and keep her independence.",
        ("Rotating hour ring, no electronics", "Big handle for weak grips",
         "Tips back upright on the table"),
        1800),
    IdeaSpec(
        "一人暮らし用の省スペース室内物干し",
        "使わない時はドア枠の上に収まり、ワンルームでも洗濯物が部屋を占領しない物干し。",
        "home", ("laundry", "small-space"),
        "6畳のワンルームに住む大学生。ベランダがなく、洗濯物はいつも部屋干し。",
        "部屋が洗濯物だらけで友達を呼べず、湿気も気になる。",
        "狭い部屋でも、すっきり暮らしたい。",
        ("ドア枠に掛けるだけ、工具不要", "タオル6枚が干せる", "たたむと厚さ4cm"),
        2600, True),
    IdeaSpec(
        "Rice cooker steam catcher",
        "A silicone cap for the rice cooker vent that catches steam and starch, protecting the "
        "cupboard above.",
        "kitchen", ("rice", "cooking"),
        "In a small kitchen, Aiko's rice cooker sits under a wall cupboard every morning.",
        "The cupboard's paint is peeling from steam and she is afraid of mould.",
        "Cook rice every day without ruining her kitchen.",
        ("Fits most vent sizes", "Condensation drips back into a tray", "Dishwasher-safe"),
        1200),
    IdeaSpec(
        "Magnetic cable organiser for the bedside",
        "A weighted block that holds three cables by magnetic clips, so chargers never fall behind "
        "the bed again.",
        "gadgets", ("charging", "bedroom"),
        "Every night Leo reaches behind his bed in the dark to find the phone cable that slid "
        "down.",
        "It is a small daily irritation that ruins the moment of going to bed.",
        "Plug in the phone in the dark, first time, every night.",
        ("Three magnetic cable clips", "Non-slip weighted base", "Cork and walnut finishes"),
        2200),
    IdeaSpec(
        "Refillable gel highlighter",
        "A highlighter with a gel tip that doesn't bleed through thin Bible paper and refills "
        "from a cartridge.",
        "stationery", ("study", "refill"),
        "Hana is studying for the bar exam with thick law books printed on very thin paper.",
        "Normal markers bleed through and ruin the other side; she throws away dozens of pens.",
        "Mark the important lines without ruining her books or wasting plastic.",
        ("Solid gel that never bleeds", "Cartridge refills", "Five colours"),
        700),
    IdeaSpec(
        "Collapsible water bowl that clips to a leash",
        "A silicone bowl that folds flat onto the leash handle, for summer walks when the dog "
        "needs water.",
        "pets", ("dog", "walk", "summer"),
        "Ryo walks his two retrievers for an hour even in July.",
        "He worries about heatstroke but forgets the bowl in the car every time.",
        "Always have water for his dogs without carrying more.",
        ("Folds to 1 cm", "Clips to any leash handle", "Food-grade silicone"),
        1100),
    IdeaSpec(
        "Tent peg puller and bottle opener",
        "A small hook that pulls stuck tent pegs without hurting your hands and opens a bottle "
        "at the end of the trip.",
        "outdoor", ("camping", "tools"),
        "Shin camps in the mountains where tent pegs often freeze into the ground overnight.",
        "His fingers ache every morning when packing up in the cold.",
        "Break camp quickly and painlessly.",
        ("Stainless steel, 40 g", "Fits pegs up to 8 mm", "Bottle opener at the end"),
        1300),
    IdeaSpec(
        "Travel wallet with a ticket-gate window",
        "A passport wallet with a window for the IC card, so you pass ticket gates abroad and at "
        "home without digging.",
        "travel", ("travel", "wallet"),
        "Maria visits Japan twice a year and spends her trips juggling a passport, rail pass and "
        "IC card.",
        "She feels flustered holding up the queue at the gate.",
        "Move through stations like a local.",
        ("RFID window for one IC card", "Passport and boarding pass pockets",
         "RFID-blocking for bank cards"),
        3000),
    IdeaSpec(
        "食べこぼしキャッチ付きのお食事エプロン",
        "袖まで覆い、ポケットが形を保って食べこぼしをしっかり受け止める子ども用エプロン。",
        "kids", ("toddler", "meal"),
        "1歳半の息子が自分で食べたがるようになり、毎食服も床も汚れる共働きの家庭。",
        "毎食後の掃除と着替えで、夕方は本当に疲れ切ってしまう。",
        "子どもの「自分で食べたい」を、気持ちよく応援したい。",
        ("袖付きで腕まで守る", "形が崩れないキャッチポケット", "洗濯機で丸洗い"),
        1800, True),
    IdeaSpec(
        "Kitchen towel rail that dries in two hours",
        "A towel rail with a gentle fan, so kitchen towels dry quickly in humid weather instead "
        "of smelling.",
        "home", ("kitchen", "humidity"),
        "During the rainy season, Yui's kitchen towels stay damp all day.",
        "She is embarrassed by the smell when friends visit and changes towels three times a day.",
        "Have fresh towels in the rainy season without doing more laundry.",
        ("Quiet 5 W fan", "Fits most kitchen doors", "Timer switch"),
        4200),
    IdeaSpec(
        "デスクで使える足元ストレッチボード",
        "仕事中に足を乗せるだけでふくらはぎが伸びる、角度調整できるストレッチボード。",
        "wellness", ("desk", "health", "stretch"),
        "一日8時間以上座りっぱなしのプログラマー。夕方になると足がむくむ。",
        "運動不足が気になるが、ジムに行く時間も気力もない。",
        "仕事をしながら、体をいたわりたい。",
        ("3段階の角度調整", "滑らない天然ゴム", "デスク下に収まるサイズ"),
        3500, True),
    IdeaSpec(
        "おにぎりが崩れない携帯ケース",
        "カバンの中で潰れず、海苔がパリッと保てる二層構造のおにぎりケース。",
        "kitchen", ("lunch", "bento"),
        "毎朝おにぎりを作って持っていく高校生の息子。満員電車で通学している。",
        "昼にはおにぎりが潰れていて、がっかりした顔を見るのがつらい。",
        "手作りのお昼を、作ったときのまま届けたい。",
        ("硬いシェルで潰れない", "海苔を別に入れられる二層式", "保冷剤ポケット付き"),
        1400, True),
    IdeaSpec(
        "停電時に自動で灯るモバイルバッテリー",
        "コンセントに挿しておくと常夜灯になり、停電すると自動で明かりがつくモバイルバッテリー。",
        "gadgets", ("disaster", "light", "charging"),
        "地震の多い地域で、高齢の両親と暮らす40代の会社員。",
        "夜中に停電したら、両親が暗闇で転んでしまうのではと不安。",
        "もしもの時も、家族が落ち着いて行動できるようにしたい。",
        ("停電を検知して自動点灯", "10000mAhでスマホ充電も可能", "壁のコンセントに直接挿せる"),
        4800, True),
    IdeaSpec(
        "Notebook with removable calendar tabs",
        "A notebook whose monthly tabs peel off and move, so one notebook can start in any month.",
        "stationery", ("planner", "notes"),
        "Taku starts a new planner every April, but his old one always runs out in February.",
        "He hates carrying two planners and losing notes between them.",
        "Keep one continuous notebook whatever month he starts.",
        ("Twelve repositionable month tabs", "Lay-flat binding", "Dot grid, 192 pages"),
        1900),
    IdeaSpec(
        "Cooler bag with a dry-ice pocket",
        "A soft cooler with a separate insulated dry-ice pocket, keeping fish frozen on long "
        "drives home.",
        "outdoor", ("fishing", "cooler"),
        "Every Saturday, Osamu drives three hours home from the coast with his catch.",
        "He worries about the fish spoiling and ice melting over the car seats.",
        "Bring the catch home fresh for the family dinner.",
        ("Separate dry-ice pocket with vent", "Leak-proof liner", "Shoulder strap, 25 L"),
        6500),
    IdeaSpec(
        "Neck pillow that packs into its own hood",
        "A travel pillow that folds into its hood, so it takes no space in a small backpack.",
        "travel", ("travel", "sleep"),
        "Nao takes night buses between Osaka and Tokyo to save money.",
        "Big neck pillows don't fit her bag, and without one she arrives exhausted.",
        "Sleep on the bus and arrive ready for the day.",
        ("Memory foam in three folding sections", "Hood with eye shade", "Packs to 15 cm"),
        2700),
    IdeaSpec(
        "Stroller cup holder that stays level",
        "A cup holder that swings to stay level when the stroller tilts on kerbs and stairs.",
        "kids", ("stroller", "coffee"),
        "Yoko walks her baby to the park every morning with a takeaway coffee.",
        "Every kerb spills hot coffee dangerously close to her baby.",
        "Enjoy her morning coffee without worry.",
        ("Gimbal ring keeps the cup upright", "Fits any stroller handle", "Holds bottles too"),
        1700),
    IdeaSpec(
        "Cat-proof charging cable sleeve",
        "A bite-resistant braided sleeve for cables, with a bitter-free coating cats dislike.",
        "pets", ("cat", "cables"),
        "Mei's kitten chews every cable in the flat.",
        "She is afraid he will get an electric shock, and she has replaced four chargers.",
        "Keep her kitten safe and stop buying chargers.",
        ("Chew-resistant braided steel core", "Fits cables up to 6 mm",
         "Safe, scent-based deterrent"),
        1200),
    IdeaSpec(
        "Recycling sorter for narrow kitchens",
        "Four slim bins on rails that slide into a 20 cm gap, matching the local recycling rules.",
        "home", ("recycling", "kitchen", "small-space"),
        "Moving to Yokohama, Ben has to sort rubbish into five categories in a tiny kitchen.",
        "Bags pile up on the floor and he's afraid of putting things in the wrong bag.",
        "Sort rubbish correctly without losing his kitchen floor.",
        ("20 cm wide, four bins", "Label cards for your city's rules", "Slides out on rails"),
        5200),
    IdeaSpec(
        "Cool pillow cover for humid summers",
        "A pillowcase with a cooling weave that stays dry in Japanese summers, without an air "
        "conditioner running all night.",
        "wellness", ("sleep", "summer"),
        "Satoshi lives in an old flat where the air conditioner is loud and expensive to run "
        "all night.",
        "He wakes up sweaty at 3 a.m. and struggles through the next day.",
        "Sleep through hot nights without the air conditioner.",
        ("Cool-touch weave", "Moisture-wicking back layer", "Standard Japanese pillow size"),
        2600),
    IdeaSpec(
        "Measuring spoons for one-person portions",
        "A spoon set scaled for cooking for one: recipes for four become easy to divide.",
        "kitchen", ("cooking", "single"),
        "Since his wife passed away, Hideo, 72, is learning to cook for himself.",
        "Recipes are all for four people, and he feels defeated when dividing quantities.",
        "Cook proper meals for one and keep healthy.",
        ("Spoons marked ¼ and ½ of common recipe amounts", "Large, readable numbers",
         "Magnetic, hangs on the fridge"),
        1300),
    IdeaSpec(
        "Bluetooth page turner for sheet music",
        "A foot pedal that turns pages on a tablet, so musicians never stop playing to turn a page.",
        "gadgets", ("music", "tablet"),
        "Mio, a piano teacher, plays accompaniment from a tablet at student recitals.",
        "She panics when a page turn comes in a fast passage.",
        "Play every piece to the end without breaking the flow.",
        ("Silent pedals", "Works with common sheet music apps", "Six-month battery"),
        5500),
    IdeaSpec(
        "風で飛ばないメモ用クリップボード",
        "屋外の現場でも紙がめくれず、ペンも落ちないマグネット式のクリップボード。",
        "stationery", ("outdoor", "work"),
        "建設現場で毎日点検記録を書く現場監督。風の強い日は紙が飛ばされる。",
        "記録をなくしてしまわないか、いつも気を張っている。",
        "どんな天気でも、確実に記録を残したい。",
        ("全面を押さえるマグネットシート", "ペンホルダー付き", "防水加工"),
        2400, True),
    IdeaSpec(
        "雨の日の自転車用グローブカバー",
        "ハンドルに付けたまま手を入れるだけで、雨でも手が濡れず冷えないカバー。",
        "outdoor", ("bicycle", "rain", "commute"),
        "毎朝、子どもを自転車で保育園に送ってから出勤する母親。",
        "雨の日は手がかじかみ、ブレーキをかけにくいのが怖い。",
        "雨の日も安全に、子どもを送り届けたい。",
        ("撥水素材で内側はフリース", "ブレーキ操作を邪魔しない形状", "工具なしで取り付け"),
        2900, True),
    IdeaSpec(
        "Keychain door alarm for hotel rooms",
        "A door-wedge alarm that fits on a keychain, for solo travellers in unfamiliar rooms.",
        "travel", ("travel", "safety"),
        "Chloe often travels alone for work and stays in cheap business hotels.",
        "She sleeps badly the first night, listening for noises at the door.",
        "Sleep well wherever she travels.",
        ("Wedge alarm at 100 dB", "Keychain size", "One-year battery"),
        1900),
    IdeaSpec(
        "Bath toy net that drains and dries",
        "A net that hangs from the shower rail and drains completely, so bath toys don't grow "
        "mould.",
        "kids", ("bath", "toddler"),
        "Every evening Kei bathes his twins, and the toys end up in a soggy pile.",
        "He found black mould inside a rubber duck and felt awful.",
        "Keep bath time fun and the toys clean.",
        ("Quick-drain mesh", "Suction cups and rail hooks", "Mould-resistant material"),
        1400),
    IdeaSpec(
        "賃貸でも使える貼ってはがせる棚",
        "壁に穴を開けずに取り付けられ、はがしても跡が残らない飾り棚。",
        "home", ("small-space", "storage", "renting"),
        "賃貸マンションに住む20代の夫婦。壁に穴を開けられず、飾る場所がない。",
        "退去時の原状回復費用が心配で、好きなものを飾るのをあきらめている。",
        "賃貸でも、自分たちらしい部屋を作りたい。",
        ("耐荷重3kg", "はがせる特殊ジェル", "木目調3色"),
        2200, True),
    IdeaSpec(
        "Auto feeder that photographs each meal",
        "A pet feeder that sends a photo when your cat actually eats, not just when food is "
        "dispensed.",
        "pets", ("cat", "feeder"),
        "Jonas works long shifts as a nurse, and his elderly cat has a small appetite.",
        "He worries all day whether she has eaten.",
        "Know his cat is eating well while he's at work.",
        ("Photo on each meal, no subscription", "Portion control", "Works offline"),
        9800),
    IdeaSpec(
        "Earplugs that still let the alarm through",
        "Soft earplugs that filter traffic and snoring but let an alarm clock's frequency "
        "through.",
        "wellness", ("sleep", "noise"),
        "Akira lives next to a busy road and shares a room with a snoring partner.",
        "He is afraid that with earplugs he will sleep through his 5 a.m. alarm.",
        "Sleep deeply and still wake on time.",
        ("Acoustic filter tuned to alarms", "Three sizes", "Reusable, washable"),
        2100),
    IdeaSpec(
        "Knife guard for picnics",
        "A magnetic guard that fits most kitchen knives, so you can pack a real knife for a "
        "picnic safely.",
        "kitchen", ("picnic", "outdoor"),
        "Every spring, Sachiko prepares hanami picnics with fresh fruit to cut on site.",
        "She wraps knives in towels and is always afraid someone will get hurt.",
        "Bring a proper knife and enjoy the picnic safely.",
        ("Magnetic closure", "Fits blades up to 21 cm", "Dishwasher-safe"),
        1000),
    IdeaSpec(
        "Spill cover for laptops in cafés",
        "A thin, transparent keyboard cover that protects a laptop from coffee spills but still "
        "types naturally.",
        "gadgets", ("laptop", "cafe"),
        "Yuna, a freelance designer, works in a different café every day.",
        "She once lost a week of work to a spilled latte and still flinches at every cup.",
        "Work anywhere without fear.",
        ("0.2 mm thin", "Models for common laptops", "Washable"),
        1600),
    IdeaSpec(
        "Headlamp with a red night mode",
        "A headlamp that starts in red light, so you keep your night vision when stargazing.",
        "outdoor", ("stargazing", "light", "camping"),
        "Rin, an amateur astronomer, drives to dark sites on moonless nights.",
        "Every time she checks her star chart, white light ruins her night vision for minutes.",
        "Read her chart and keep her eyes adapted to the dark.",
        ("Red mode on first press", "Dimmable to 1 lumen", "USB-C charging"),
        3400),
    IdeaSpec(
        "スーツケースに付けられる折りたたみフック",
        "空港や駅でバッグを引っ掛けられる、スーツケースの持ち手に付けるフック。",
        "travel", ("travel", "luggage"),
        "子ども連れで年に数回、帰省で新幹線と飛行機を乗り継ぐ家族。",
        "荷物が多く、手がふさがって子どもと手をつなげないのがつらい。",
        "荷物に振り回されず、家族の移動を楽にしたい。",
        ("耐荷重5kg", "使わない時は折りたたみ", "ほとんどの持ち手に対応"),
        1500, True),
    IdeaSpec(
        "Shoe stickers toddlers can match",
        "Half-picture stickers for the insoles: put the shoes on the right feet and the picture "
        "is complete.",
        "kids", ("toddler", "shoes"),
        "Every morning Ayaka's three-year-old insists on putting on his own shoes.",
        "He gets them wrong nine times out of ten and ends up in tears.",
        "Let him do it himself and feel proud.",
        ("Waterproof insole stickers", "Twelve designs", "Fit any shoe size"),
        800),
    IdeaSpec(
        "Laundry basket with a built-in sorter",
        "A tall basket with three removable bags, so washing is sorted by colour as you throw it "
        "in.",
        "home", ("laundry",),
        "A shared house of four students who take turns doing laundry.",
        "Someone's white shirt always comes out pink and it causes arguments.",
        "Do the laundry without ruining anyone's clothes.",
        ("Three removable bags", "Narrow footprint", "Handles on each bag"),
        3600),
    IdeaSpec(
        "Desk organiser for a laptop-only table",
        "A shelf that bridges over a laptop, adding a level for a second screen and the small "
        "things.",
        "stationery", ("desk", "workspace"),
        "Kaito works at the kitchen table with only his laptop, and clears it for every meal.",
        "Setting up and packing away twice a day wears him out.",
        "Set up and clear his workspace in one minute.",
        ("Bamboo bridge shelf", "Drawer for cables", "Lifts as one piece"),
        4600),
    IdeaSpec(
        "Sunrise alarm for north-facing rooms",
        "A lamp that brightens slowly like sunrise before the alarm, for bedrooms that never see "
        "the sun.",
        "wellness", ("sleep", "morning", "light"),
        "Tomo's bedroom faces north and stays dark until he opens the curtains.",
        "Winter mornings feel like the middle of the night and he starts every day groggy.",
        "Wake up naturally and feel awake.",
        ("30-minute sunrise simulation", "Natural sounds", "Works without an app"),
        6200),
)

COMMENTS_EN = (
    "I'd buy this tomorrow. My mornings look exactly like this.",
    "How heavy would it be? Weight matters a lot for me.",
    "Please make it in a darker colour too!",
    "This solves a real problem in our house.",
    "Could it be machine washable?",
    "I've tried DIY versions; a proper one would be so much better.",
    "Would it work for left-handed people as well?",
    "Supported! Sharing with my team.",
    "The insight really hit home. I'm in the same situation.",
    "What would the price be roughly?",
)
COMMENTS_JA = (
    "これは欲しいです！毎朝同じことで困っています。",
    "サイズ違いがあると嬉しいです。",
    "子どもでも使えますか？",
    "価格次第ですが、ぜひ買いたいです。",
    "母にプレゼントしたいです。",
    "まさにこういうものを探していました。",
)
REPLIES = (
    "Thanks! Good point, I'll add it to the description.",
    "Yes, that's the plan. My prototype weighs about 120 g.",
    "Thank you for the support! Please tell your friends.",
    "ありがとうございます！検討します。",
    "Great question: I'm aiming for something under ¥3,000.",
)
UPDATES = (
    "**Update:** I made a cardboard prototype and tested it for a week. "
    "It works! Photos coming soon.",
    "**Update:** Thank you all for the support so far. I've added the feedback from the comments "
    "to the description.",
    "**Update:** I talked to a small workshop about materials, and they think it's doable.",
)
OFFICIAL = (
    "Thanks for such a clear N=1 insight: this is exactly the detail reviewers look for. "
    "— Kyoso team",
    "Reminder: if you support this idea, telling us *why* in the survey helps the review a lot. "
    "— Kyoso team",
)
#: Why supporters support, by their answer to "would you buy it?" (a reason never contradicts
#: the answer next to it: "I'd use it every day" is never a "no").
SUPPORT_REASONS = {
    "yes": (
        "I have exactly this problem every week.",
        "Simple and useful, nothing like it in the shops.",
        "I'd use it every day.",
        "Bought a worse version that broke; I'd pay for a good one.",
        "Saves time in the morning rush.",
        "毎日使うと思います。",
        "こういう商品を待っていました。",
    ),
    "maybe": (
        "My partner would love this; it depends on the price.",
        "I'd want to try it in a shop first.",
        "For my parents, if it is easy enough to use.",
        "値段次第で買いたいです。",
        "家族みんなが助かりそうなので、実物を見てみたいです。",
    ),
    "no": (
        "Not for me, but my sister has exactly this problem.",
        "I wouldn't buy it myself, but the idea deserves a chance.",
        "自分では使いませんが、友人がとても困っているのでサポートしました。",
    ),
}
SUPPORT_REASONS["unanswered"] = SUPPORT_REASONS["maybe"]

RATIONALES = {
    "customer_value": {
        3: "Solves a frequent, strongly felt problem; supporters' reasons are consistent.",
        2: "Clear value for a specific group, weaker for everyone else.",
        1: "The value is unclear beyond the creator's own situation.",
    },
    "uniqueness": {
        3: "We found nothing comparable from competitors.",
        2: "Partly unique: the combination is new, the parts exist.",
        1: "Similar products exist at a comparable price.",
    },
    "feasibility": {
        3: "Feasible with our current suppliers and tooling.",
        2: "Feasible with a new mould and a supplier we still need to qualify.",
        1: "Hard to realise at the target price.",
    },
    "marketability": {
        3: "Large market: fits our main channels and several seasons.",
        2: "A medium market, mainly one channel.",
        1: "A limited niche market.",
    },
}
DECISION_MESSAGES = {
    "approved": "Congratulations! The panel found strong customer value and a clear path to "
                "production. Our product team will contact you about the next steps.",
    "not_approved": "Thank you for a well-argued idea. Similar products already exist at a "
                    "comparable price, so we cannot make it a priority now. The scores show "
                    "where it was strong.",
    "on_hold": "Promising, but feasibility depends on a supplier we are still evaluating. We "
               "carry the idea into the next review batch.",
}
# Per decision: the two reviewers' scores (customer_value, uniqueness, feasibility, marketability).
DECISION_SCORES = {
    "approved": ((3, 3, 2, 3), (3, 2, 3, 3)),
    "not_approved": ((2, 1, 2, 1), (1, 2, 2, 2)),
    "on_hold": ((3, 2, 1, 2), (2, 2, 2, 2)),
}

FIRST_NAMES = ("Yui", "Haruto", "Sota", "Aoi", "Riku", "Mei", "Kaito", "Sakura", "Ren", "Hina",
               "Emma", "Liam", "Olivia", "Noah", "Mia", "Lucas", "Chloe", "Ethan", "Sofia",
               "Daniel", "Mina", "Jae", "Priya", "Arjun", "Lena", "Tomas", "Ana", "Marco")
LAST_NAMES = ("Sato", "Suzuki", "Takahashi", "Tanaka", "Ito", "Nakamura", "Kobayashi", "Kato",
              "Yoshida", "Yamada", "Smith", "Garcia", "Kim", "Lee", "Rossi", "Novak", "Silva",
              "Müller", "Martin", "Patel")

AGREEMENT_TITLE = "Kyoso creator agreement"


def agreement_text(royalty_rate_bps: int) -> str:
    """Version 1 of the creator agreement, with the royalty rate in force."""
    percent = f"{royalty_rate_bps / 100:g}"
    return f"""# Kyoso creator agreement — version 1

This agreement is between you (the **creator**, and each co-creator of the same idea) and the
company operating Kyoso (**we**). You accept it, for one idea, when you submit that idea or
accept an invitation to co-create it. Your consent is recorded with this version's SHA-256
digest, the idea, the time, your IP address and your agreed share.

## 1. Who the idea belongs to

1.1 You keep the credit for your idea. We will always name its creators on the idea's page and,
where practical, on the packaging or product page of a product made from it.

1.2 By submitting an idea you assign to us the rights needed to develop, manufacture and sell
products based on it, including any intellectual property rights in the idea as described on
Kyoso (text, images and the N=1 insight). You confirm the idea is your own (or your and your
co-creators' own) and does not copy someone else's product, design or trademark.

1.3 If the idea is not approved, is withdrawn or expires, the rights assigned in 1.2 return to
you, except that the idea's page stays public as a record of the community's discussion.

## 2. Improving and deriving

2.1 We may change, improve, combine and adapt the idea during development (for example its
size, materials, price or name), and we may make derived versions (colours, sizes, editions).

2.2 Suggestions made by other members in comments or support answers are made freely to improve
the idea and give them no share in the revenue.

## 3. Revenue share

3.1 For every product made from your idea, the creators together receive **{percent}% of net
sales** ({royalty_rate_bps} basis points), for as long as we sell the product and its derived
versions.

3.2 *Net sales* are the amounts we invoice for the product, less value-added or consumption tax,
returns, refunds and trade discounts. Returns are recorded as negative sales.

3.3 The creators' part is split among the co-creators by the shares they agreed, in basis points
summing to 10,000. For each sale: royalty = net sales × {royalty_rate_bps} / 10,000, rounded to
the currency's minor unit (half to even); the royalty is then divided by the agreed shares using
the largest-remainder method, so the parts always add up to the whole.

3.4 Every royalty is posted to an append-only ledger that you can inspect at any time, with a
statement per product and period. We pay out your balance on request once it is above the payout
minimum published on Kyoso.

## 4. Exclusivity

4.1 While the idea is gathering support or in review, and, if it is approved, for as long as we
sell a product made from it, you agree not to offer the same idea to another company or sell it
yourself.

4.2 If the idea is not approved, expires or is withdrawn, this exclusivity ends at once and you
are free to take the idea elsewhere.

## 5. Other points

5.1 Do not submit confidential information of anyone else, including your employer.

5.2 We may publish a new version of this agreement. It applies only to ideas submitted or
consents given after its publication; ideas you already submitted stay under the version you
accepted.

5.3 This agreement is governed by the laws of Japan. 日本語の要約は Kyoso のヘルプページに掲載します。
"""


#: The rest of the guided insight for some demo ideas (by title): own words, how a prototype is
#: judged, three whys and the core in one line (app.services.insight).
GUIDED = {
    "Umbrella sleeve for crowded trains": {
        "own_words": "“I spend the whole ride apologising to the man next to me.”",
        "judged_by": "If she can put the umbrella away with one hand while holding the strap, and "
                     "nobody's trousers get wet, she would say yes.",
        "why_1": "Because the drips make her the person everybody avoids on the train.",
        "why_2": "Because she starts every rainy workday feeling guilty before she arrives.",
        "why_3": "Because she wants to be a considerate commuter without it costing her calm.",
        "core": "For commuters on packed trains, when it rains, who want to arrive calm "
                "without bothering anyone, this sleeve swallows a wet umbrella in one move.",
    },
    "玄関に置ける傘の水切りスタンド": {
        "own_words": "「雨の日は玄関を見られたくないんです」",
        "judged_by": "狭い玄関に置いても邪魔にならず、一晩で床が乾いていれば「これだ」と言うはず。",
        "why_1": "玄関が濡れていると、家に帰ってもほっとできないから。",
        "why_2": "狭い家だからこそ、玄関の印象が暮らし全体の気分を左右するから。",
        "why_3": "小さな家でも、ちゃんと整った暮らしをしていると感じたいから。",
        "core": "雨の日に、狭い玄関でも気持ちよく出入りしたい都会の共働き夫婦にとって、"
                "このスリムなスタンドは玄関を乾いたまま整えてくれる。",
    },
}
