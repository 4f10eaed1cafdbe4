//! Recipe names: canonical form, round trips, suggestions and parse errors.

use edgebench_kernels::model::TensorRole;
use edgebench_kernels::recipe::{OVERRIDE_CLASSES, Recipe, RecipeError, Scheme};

fn parse(s: &str) -> Result<Recipe, RecipeError> {
    s.parse()
}

#[test]
fn canonical_names_round_trip() {
    for name in [
        "f32",
        "f16",
        "bf16",
        "q8_0",
        "q4_0",
        "q4_1",
        "q4_0+heads25",
        "q8_0+sparse50",
        "q4_0+ffn25",
        "q4_0+token_embd=q8_0+output=q8_0",
        "q4_1+heads50+ffn25+sparse30+attn_v=q8_0+ffn_down=f16",
    ] {
        let r = parse(name).unwrap();
        assert_eq!(r.to_string(), name);
        assert_eq!(parse(&r.to_string()).unwrap(), r);
    }
}

#[test]
fn every_combination_round_trips() {
    for scheme in Scheme::ALL {
        for (i, class) in OVERRIDE_CLASSES.into_iter().enumerate() {
            let other = Scheme::ALL[(i + 1) % Scheme::ALL.len()];
            let r = Recipe::new(scheme)
                .with_head_pruning(i as u32 * 11)
                .unwrap()
                .with_ffn_pruning(99 - i as u32)
                .unwrap()
                .with_sparsity(i as u32 * 7)
                .unwrap()
                .with_override(class, other)
                .unwrap();
            let back = parse(&r.to_string()).unwrap();
            assert_eq!(back, r, "{r}");
            assert_eq!(back.to_string(), r.to_string());
        }
    }
}

#[test]
fn other_spellings_canonicalize() {
    for (given, canonical) in [
        ("Q4_0", "q4_0"),
        ("  q8_0 ", "q8_0"),
        ("q4_0+output=q8_0+heads25", "q4_0+heads25+output=q8_0"),
        ("q4_0+sparse10+ffn20+HEADS30", "q4_0+heads30+ffn20+sparse10"),
        (
            "q4_0+ffn_down=q8_0+token_embd=f16",
            "q4_0+token_embd=f16+ffn_down=q8_0",
        ),
        ("q4_0+sparse0+heads0", "q4_0"),
        ("q4_0+attn_q=q4_0", "q4_0"),
        ("q8_0+sparse050", "q8_0+sparse50"),
    ] {
        assert_eq!(parse(given).unwrap().to_string(), canonical, "{given}");
    }
}

#[test]
fn accessors() {
    let r = parse("q4_0+heads25+sparse50+output=q8_0").unwrap();
    assert_eq!(r.scheme(), Scheme::Q4_0);
    assert_eq!(
        (r.head_pruning(), r.ffn_pruning(), r.sparsity()),
        (25, 0, 50)
    );
    assert_eq!(r.scheme_for(TensorRole::Output), Scheme::Q8_0);
    assert_eq!(r.scheme_for(TensorRole::AttnQ), Scheme::Q4_0);
    assert!(r.prunes());
    assert!(!parse("q4_0+output=f32").unwrap().prunes());
    let ftypes: Vec<u32> = Scheme::ALL.iter().map(|s| s.file_type()).collect();
    assert_eq!(ftypes, [0, 1, 32, 7, 2, 3]);
}

#[test]
fn typos_get_the_nearest_valid_name() {
    for (given, suggestion) in [
        ("q4_O", "q4_0"),
        ("fp16", "f16"),
        ("q8", "q8_0"),
        ("q4_0+head25", "q4_0+heads25"),
        ("q4_0+spars50", "q4_0+sparse50"),
        ("q4_0+fnn25", "q4_0+ffn25"),
        ("q4_0+outptu=q8_0", "q4_0+output=q8_0"),
        ("q4_0+attn_outptu=q8_0", "q4_0+attn_output=q8_0"),
        ("q4_0+output=q8", "q4_0+output=q8_0"),
        ("q4_0++heads25", "q4_0+heads25"),
    ] {
        let e = parse(given).unwrap_err();
        assert_eq!(e.suggestion(), Some(suggestion), "{given}: {e}");
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("did you mean '{suggestion}'")),
            "{msg}"
        );
    }
    let e = parse("gptq").unwrap_err();
    assert_eq!(e.suggestion(), None);
    assert_eq!(
        e.to_string(),
        "unknown scheme 'gptq' in recipe 'gptq'; valid schemes: f32, f16, bf16, q8_0, q4_0, q4_1"
    );
}

#[test]
fn errors_name_the_problem_and_the_valid_choices() {
    let e = parse("").unwrap_err();
    assert!(matches!(e, RecipeError::Empty { .. }), "{e}");
    assert!(e.to_string().contains("q4_0"), "{e}");

    let e = parse("q4_0+prune25").unwrap_err();
    assert!(matches!(e, RecipeError::UnknownModifier { .. }), "{e}");
    assert!(e.to_string().contains("headsN, ffnN, sparseN"), "{e}");

    let e = parse("q4_0+attn_norm=q8_0").unwrap_err();
    assert!(matches!(e, RecipeError::UnknownClass { .. }), "{e}");
    assert!(e.to_string().contains("token_embd, output, attn_q"), "{e}");

    let e = parse("q4_0+output=q6_K").unwrap_err();
    assert!(
        matches!(e, RecipeError::UnknownScheme { ref found, .. } if found == "q6_K"),
        "{e}"
    );

    for bad in [
        "q4_0+heads",
        "q4_0+sparse12.5",
        "q4_0+ffn-5",
        "q4_0+heads25x",
    ] {
        let e = parse(bad).unwrap_err();
        assert!(matches!(e, RecipeError::BadPercent { .. }), "{bad}: {e}");
    }
    for (bad, what, percent) in [
        ("q4_0+heads100", "heads", 100),
        ("q4_0+ffn250", "ffn", 250),
        ("q4_0+sparse99999999999", "sparse", u32::MAX),
    ] {
        let e = parse(bad).unwrap_err();
        assert!(
            matches!(e, RecipeError::RatioOutOfRange { what: w, percent: p } if w == what && p == percent),
            "{bad}: {e}"
        );
    }
    for (bad, modifier) in [
        ("q4_0+heads25+heads50", "heads"),
        ("q4_0+output=q8_0+output=f16", "output"),
        ("q4_0+attn_q=q4_0+attn_q=q8_0", "attn_q"),
    ] {
        let e = parse(bad).unwrap_err();
        assert!(
            matches!(e, RecipeError::Duplicate { modifier: ref m, .. } if m == modifier),
            "{bad}: {e}"
        );
    }
}

#[test]
fn builder_errors() {
    let r = Recipe::new(Scheme::Q4_0);
    assert!(matches!(
        r.clone().with_sparsity(100),
        Err(RecipeError::RatioOutOfRange {
            what: "sparse",
            percent: 100
        })
    ));
    assert!(r.clone().with_head_pruning(99).is_ok());
    assert!(r.clone().with_ffn_pruning(100).is_err());
    let e = r
        .with_override(TensorRole::AttnNorm, Scheme::Q8_0)
        .unwrap_err();
    assert!(
        matches!(e, RecipeError::UnknownClass { ref found, .. } if found == "attn_norm.weight"),
        "{e}"
    );
}
