//! The Ukrainian of the notes the engines write in English beside their figures: why a
//! strategy cancels, surveys or clears a hazard's land, what a priority criterion measured, why
//! an SHA should become a CHA, where a residual estimate's prior came from. The engines keep
//! their notes in English (JSON carries them as they are); the command line translates each
//! `; `-separated part by [`super::tr_note`], matching these templates, whose `{}` are the
//! figures and names the engine filled in.

/// English note template → Ukrainian.
pub(super) const UK_NOTES: &[(&str, &str)] = &[
    // Strategies (`demine_strategy`): what a strategy does with a hazard, and why.
    ("clear all {} ha", "очистити всі {} га"),
    (
        "fixed shares: NTS cancels {} %, TS reduces {} % of the rest, clear the remainder ({} ha)",
        "фіксовані частки: NTS скасовує {} %, TS зменшує {} % решти, решту очистити ({} га)",
    ),
    (
        "cancel {} ha in {} cell(s) (no evidence, expected items below the threshold)",
        "скасувати {} га у комірках: {} (доказів немає, очікувана кількість предметів нижча за поріг)",
    ),
    (
        "survey {} ha in {} cell(s) (uncertain), clear around what TS finds",
        "обстежити {} га у комірках: {} (невизначено), очистити навколо того, що знайде TS",
    ),
    (
        "clear {} ha in {} cell(s) ({} ha around finds or accidents, the rest high risk)",
        "очистити {} га у комірках: {} ({} га навколо знахідок або нещасних випадків, решта — високий ризик)",
    ),
    // Strategies: what the comparison had to do.
    ("{} group(s) of overlapping hazards: the plan's tasks hold {} ha still to release where `demine release` counts {} ha (the shared land once); the {} ha they share is planned in each (`demine check` lists them)", "груп ділянок, що перекриваються: {}; завдання плану містять {} га до звільнення, тоді як `demine release` рахує {} га (спільну землю один раз); спільні {} га сплановано в кожній ділянці (`demine check` їх показує)"),
    ("{} team(s) work past their end date ({}); the dates assume they stay on: extend their contracts, or add teams", "груп, що працюють після дати завершення: {} ({}); дати припускають, що вони залишаться: продовжте їхні контракти або додайте групи"),
    ("{} of {} teams have no cost_per_day; costs price them at a default rate per day by kind ({}): give each team's cost_per_day, in one currency, to plan a budget", "{} з {} груп не мають cost_per_day; вартість для них рахується за типовою ставкою на день за видом ({}): вкажіть cost_per_day кожної групи в одній валюті, щоб планувати бюджет"),
    ("no evidence-led thresholds finish by {} at {} % confidence", "жодні пороги стратегії evidence-led не дають завершити до {} з упевненістю {} %"),
    ("the earliest at this confidence is {} (the fastest: only the land around finds and accidents cleared)", "найраніше з цією впевненістю — {} (найшвидше: очищено лише землю навколо знахідок і нещасних випадків)"),
    ("evidence-led below is that fastest", "evidence-led нижче — саме цей найшвидший варіант"),
    ("the contamination model was fitted now (build the risk map again to keep it and answer faster)", "модель забруднення підібрано щойно (побудуйте карту ризику знову, щоб зберегти її й відповідати швидше)"),
    ("no risk map: today's chain with learned shares (build one with `demine risk build` for evidence-led plans)", "карти ризику немає: нинішній ланцюг із частками, вивченими з реєстру (побудуйте її командою `demine risk build` для планів evidence-led)"),
    // Plans: where the tasks came from and how the plan was found.
    ("registry {}", "реєстр {}"),
    ("registry {} (activities)", "реєстр {} (заходи)"),
    ("heuristic", "евристичний пошук"),
    ("exact", "точний розв’язок"),
    // Residual risk (`demine residual`): where the prior density came from.
    ("class default for {}", "типове значення для класу {}"),
    (
        "risk map: P(any item) = {} over {} m², λ = −ln(1 − P)/A",
        "карта ризику: P(хоч один предмет) = {} на {} м², λ = −ln(1 − P)/A",
    ),
    ("given (--density-per-m2)", "задано (--density-per-m2)"),
    // Priorities (`demine_priority`): what each criterion measured.
    ("P(any item), risk map", "P(хоч один предмет), карта ризику"),
    (
        "no risk map: CHA default",
        "карти ризику немає: типове значення для CHA",
    ),
    (
        "no risk map: SHA default",
        "карти ризику немає: типове значення для SHA",
    ),
    ("land use not recorded", "землекористування не записано"),
    ("land use {}", "землекористування: {}"),
    ("the hazard is on a road", "ділянка лежить на дорозі"),
    (
        "distance to the nearest `{}` feature",
        "відстань до найближчого об’єкта шару `{}`",
    ),
    ("no road within {} km", "немає дороги в межах {} км"),
    (
        "no `{}` layer: import one to score roads",
        "немає шару `{}`: імпортуйте його, щоб оцінити дороги",
    ),
    (
        "Σ population · e^(−d/{} m) within {} km",
        "Σ населення · e^(−d/{} м) у межах {} км",
    ),
    ("no `{}` layer with `{}`", "немає шару `{}` з атрибутом `{}`"),
    ("not recorded", "не записано"),
    ("{} households × {} persons", "домогосподарств: {} × осіб у кожному: {}"),
    ("attribute `beneficiaries`", "атрибут `beneficiaries`"),
    ("inside or within {} m", "усередині або в межах {} м"),
    // The units of what a criterion measured.
    ("people", "осіб"),
    ("people (distance-weighted)", "осіб (зважено за відстанню)"),
    // The data-quality report (`demine check`).
    ("invalid polygon: {}", "недійсний полігон: {}"),
    ("consecutive vertices {} km apart (more than {} km): a missing vertex or a typo?", "сусідні вершини на відстані {} км (більше ніж {} км): пропущена вершина чи помилка введення?"),
    ("spike: edges meet at {}° (less than {}°) at vertex ({}, {})", "шпичак: ребра сходяться під кутом {}° (менше ніж {}°) у вершині ({}, {})"),
    ("overlaps hazard {} by {} m² ({} % of {}): the same land recorded twice? National totals count it once", "перекриває ділянку {} на {} м² ({} % від {}): ту саму землю записано двічі? Національні підсумки враховують її один раз"),
    ("a {} activity recorded as '{}'", "захід {} записано з результатом '{}'"),
    ("expected {}", "очікувалося: {}"),
    ("{} m² ({} %) lies outside its hazard {}", "{} м² ({} %) лежить поза своєю ділянкою {}"),
    ("only the part inside counts as released", "звільненою вважається лише частина всередині"),
    ("{} find at ({}, {}) lies outside every recorded hazard: survey the area and record a new SHA?", "знахідка {} у точці ({}, {}) лежить поза всіма записаними ділянками: обстежте місцевість і запишіть нову SHA?"),
    // SHA → CHA from evidence: the reason.
    (
        "direct evidence ({} finds, {} accidents inside): reclassify as CHA (evidence {} ≥ {})",
        "прямі докази (усередині знахідок: {}, нещасних випадків: {}): перекласифікувати як CHA (докази {} ≥ {})",
    ),
    (
        "indirect evidence only ({} ≥ {}): technical survey to confirm, then CHA",
        "лише непрямі докази ({} ≥ {}): технічне обстеження для підтвердження, потім CHA",
    ),
    (
        "evidence {} < {}: stays SHA (non-technical survey may cancel it)",
        "докази {} < {}: залишається SHA (нетехнічне обстеження може її скасувати)",
    ),
    ("CHA with direct evidence", "CHA з прямими доказами"),
    (
        "CHA without recorded direct evidence inside: check the evidence behind it",
        "CHA без записаних прямих доказів усередині: перевірте, на чому вона ґрунтується",
    ),
];
