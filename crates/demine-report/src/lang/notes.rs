//! The Ukrainian of the notes the engines write in English beside their figures: why a
//! strategy cancels, surveys or clears a hazard's land, what a priority criterion measured, why
//! an SHA should become a CHA, where a residual estimate's prior came from. The engines keep
//! their notes in English (JSON carries them as they are); the command line translates each
//! `; `-separated part by [`super::tr_note`], matching these templates, whose `{}` are the
//! figures and names the engine filled in.

/// English note template → Ukrainian.
pub(super) const UK_NOTES: &[(&str, &str)] = &[
    // Strategies (`demine_strategy`): what a strategy does with a hazard, and why.
    ("clear all {} ha", "очистити всі {} ha"),
    (
        "fixed shares: NTS cancels {} %, TS reduces {} % of the rest, clear the remainder ({} ha)",
        "фіксовані частки: NTS скасовує {} %, TS зменшує {} % решти, решту очистити ({} ha)",
    ),
    (
        "cancel {} ha in {} cell(s) (no evidence, expected items below the threshold)",
        "скасувати {} ha у комірках: {} (доказів немає, очікувана кількість предметів нижча за поріг)",
    ),
    (
        "survey {} ha in {} cell(s) (uncertain), clear around what TS finds",
        "обстежити {} ha у комірках: {} (невизначено), очистити навколо того, що знайде TS",
    ),
    (
        "clear {} ha in {} cell(s) ({} ha around finds or accidents, the rest high risk)",
        "очистити {} ha у комірках: {} ({} ha навколо знахідок або нещасних випадків, решта — високий ризик)",
    ),
    // Residual risk (`demine residual`): where the prior density came from.
    ("class default for {}", "типове значення для класу {}"),
    (
        "risk map: P(any item) = {} over {} m², λ = −ln(1 − P)/A",
        "карта ризику: P(хоч один предмет) = {} на {} m², λ = −ln(1 − P)/A",
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
    ("no road within {} km", "немає дороги в межах {} km"),
    (
        "no `{}` layer: import one to score roads",
        "немає шару `{}`: імпортуйте його, щоб оцінити дороги",
    ),
    (
        "Σ population · e^(−d/{} m) within {} km",
        "Σ населення · e^(−d/{} m) у межах {} km",
    ),
    ("no `{}` layer with `{}`", "немає шару `{}` з атрибутом `{}`"),
    ("not recorded", "не записано"),
    ("{} households × {} persons", "домогосподарств: {} × осіб у кожному: {}"),
    ("attribute `beneficiaries`", "атрибут `beneficiaries`"),
    ("inside or within {} m", "усередині або в межах {} m"),
    // The units of what a criterion measured.
    ("people", "осіб"),
    ("people (distance-weighted)", "осіб (зважено за відстанню)"),
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
