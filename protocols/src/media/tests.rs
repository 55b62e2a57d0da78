use super::*;

#[test]
fn paths_must_stay_inside_the_bundle() {
    assert!(path_problem("cards/a.svg").is_none());
    for bad in [
        "../a.svg",
        "/etc/a.svg",
        "cards//a.svg",
        "cards\\a.svg",
        "cards/./a.svg",
        "carte é.svg",
        "",
    ] {
        assert!(path_problem(bad).is_some(), "{bad}");
    }
}

#[test]
fn a_media_ref_falls_back_to_some_language() {
    let per = MediaRef::PerLanguage(BTreeMap::from([
        ("en".to_owned(), "a-en.svg".to_owned()),
        ("fr".to_owned(), "a-fr.svg".to_owned()),
    ]));
    assert_eq!(per.for_language("fr"), "a-fr.svg");
    assert_eq!(per.for_language("sw"), "a-en.svg");
    assert_eq!(MediaRef::All("a.svg".into()).for_language("fr"), "a.svg");
}
