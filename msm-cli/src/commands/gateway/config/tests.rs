use std::time::Duration;

use super::*;

const MAP: &str = "[memory]\nholding_registers = 4\n[vars]\nT = { area = \"holding\", address = 0, type = \"u16\" }\n";

/// A folder of its own with the maps in it, removed when dropped.
fn dir_with_map(test: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(&format!("msm-gw-{test}-"))
        .tempdir()
        .expect("temp dir");
    std::fs::write(dir.path().join("m.toml"), MAP).expect("map");
    let slash = MAP.replace("T = ", "\"A/B\" = ");
    std::fs::write(dir.path().join("slash.toml"), slash).expect("map");
    dir
}

fn errors(text: &str) -> String {
    match Config::parse(text, "gw.toml", dir_with_map("errors").path()) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_complete_file_is_read_with_its_defaults() {
    let text = "[mqtt]\nurl = \"mqtt://u:p@127.0.0.1:1999\"\n[serve]\nlisten = \"127.0.0.1:0\"\n\
                [[device]]\nname = \"boiler\"\nmap = \"m.toml\"\nconnect = \"127.0.0.1:5021\"\nunit_id = 3\n";
    let c = Config::parse(text, "gw.toml", dir_with_map("complete").path()).expect("valid");
    assert_eq!(
        (c.mqtt.broker.host(), c.mqtt.broker.port()),
        ("127.0.0.1", 1999)
    );
    let shown = format!("{:?}", c.mqtt.broker);
    assert!(
        shown.contains("username: Some(\"u\")") && !shown.contains("\"p\""),
        "{shown}"
    );
    assert!(shown.contains("client_id: \"msm-gateway-"), "{shown}");
    assert!(shown.contains("protocol: V5"), "{shown}");
    assert_eq!(c.mqtt.prefix, "msm");
    assert_eq!(c.mqtt.set_max_age, Some(Duration::from_secs(60)));
    let serve = c.serve.expect("[serve]");
    assert_eq!(
        (serve.listen.as_str(), serve.offline),
        ("127.0.0.1:0", Offline::Exception)
    );
    let d = &c.devices[0];
    assert_eq!(
        (d.unit, d.period, d.unit_id),
        (1, Duration::from_secs(1), Some(3))
    );
    assert!(matches!(&d.link, DeviceLink::Tcp(a) if a == "127.0.0.1:5021"));
}

#[test]
fn the_new_keys_are_read() {
    let text = "[mqtt]\nurl = \"mqtt://127.0.0.1\"\nprotocol = \"3.1.1\"\nset_max_age = \"off\"\n\
                [serve]\nlisten = \"127.0.0.1:0\"\noffline = \"cached\"\n\
                [[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n";
    let c = Config::parse(text, "gw.toml", dir_with_map("new").path()).expect("valid");
    assert!(format!("{:?}", c.mqtt.broker).contains("V3_1_1"));
    assert_eq!(c.mqtt.set_max_age, None);
    assert_eq!(c.serve.map(|s| s.offline), Some(Offline::Cached));
}

#[test]
fn errors_name_the_line_the_problem_and_the_fix() {
    let head = "[mqtt]\nurl = \"mqtt://127.0.0.1\"\n";
    let cases = [
        (format!("{head}[[device]]\nname = \"a/b\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n"), "gw.toml:4:8: device name \"a/b\"", "letters, digits"),
        (format!("{head}[[device]]\nname = \"a\"\nmap = \"m.toml\"\n"), "gw.toml:4:8: device a: no connect", "say where"),
        (format!("{head}[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\nperiod = \"soon\"\n"), "gw.toml:7:10: period \"soon\"", "100ms"),
        (format!("{head}[[device]]\nname = \"a\"\nmap = \"nope.toml\"\nconnect = \"x:1\"\n"), "gw.toml:5: device a: ", "nope.toml"),
        (format!("{head}[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\ncolour = 1\n"), "gw.toml:7:1: unknown key `colour` in [[device]]", "the keys are name, map"),
        (format!("{head}[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\nunit_id = 1\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\nunit_id = 1\n"), "a second device named \"a\" (the first is on line 3)", "unit_id 1 is also device \"a\"'s"),
        ("[mqtt]\nurl = \"http://h\"\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n".to_string(), "gw.toml:2:7: broker url \"http://h\": the scheme \"http\" is not MQTT", "mqtt://host:port"),
        (head.to_string(), "no [[device]]", "add one"),
        (format!("{head}[[device]]\nname = \"a\"\nmap = \"m.toml\"\nserial = \"/dev/ttyUSB0\"\nunit = 0\n"), "gw.toml:7:8: unit 0 does not exist on a serial line", "1..=247"),
        (format!("{head}[[device]]\nname = \"a\"\nmap = \"slash.toml\"\nconnect = \"x:1\"\n"), "gw.toml:5:7: device a: variable \"A/B\" of ", "without /, + or #"),
        (format!("{head}ca = \"m.toml\"\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n"), "gw.toml:3:6: ca, cert and key are for TLS", "mqtts://"),
        ("[mqtt]\nurl = \"mqtts://h\"\nca = \"no.pem\"\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n".to_string(), "gw.toml:3:6: cannot read ", "no.pem"),
        ("[mqtt]\nurl = \"mqtts://h\"\nca = \"m.toml\"\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n".to_string(), "is not a PEM file", "PEM form"),
        ("[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n".to_string(), "no [mqtt]", "docs/gateway.md"),
        (format!("{head}set_max_age = \"soon\"\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n"), "gw.toml:3:15: set_max_age \"soon\"", "or \"off\""),
        (format!("{head}protocol = \"6\"\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n"), "gw.toml:3:12: MQTT protocol \"6\"", "\"3.1.1\""),
        (format!("{head}[serve]\nlisten = \"x:1\"\noffline = \"stale\"\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n"), "gw.toml:5:11: offline = \"stale\" is not a policy", "\"cached\""),
        (format!("{head}[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\nunit = \"1\"\n"), "gw.toml:7:8: `unit` is a string", "an integer in 0..=255"),
    ];
    for (text, start, fix) in cases {
        let e = errors(&text);
        assert!(
            e.contains(start) && e.contains(fix),
            "{e}\nwanted {start:?} and {fix:?}"
        );
    }
}

#[test]
fn every_problem_is_reported_in_file_order_with_suggestions() {
    // Issue 26's file: a misspelt key and, in the same file, a missing map.
    let text = "[mqtt]\nurl = \"mqtt://127.0.0.1\"\nclinet_id = \"gw\"\n\
                [[device]]\nname = \"a\"\nmap = \"missing.toml\"\nconnect = \"x:1\"\nperod = \"1s\"\n\
                [[device]]\nname = \"b\"\nmap = \"m.toml\"\nconnect = \"x:1\"\nunit_id = 0\n";
    let e = errors(text);
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 4, "{e}");
    assert!(
        lines[0].starts_with(
            "gw.toml:3:1: unknown key `clinet_id` in [mqtt] (did you mean client_id?)"
        ),
        "{e}"
    );
    assert!(
        lines[1].starts_with("gw.toml:6: device a: ") && lines[1].contains("missing.toml"),
        "{e}"
    );
    assert!(
        lines[2]
            .starts_with("gw.toml:8:1: unknown key `perod` in [[device]] (did you mean period?)"),
        "{e}"
    );
    assert!(
        lines[3].starts_with("gw.toml:13:11: unit_id 0 is the broadcast address"),
        "{e}"
    );
}

#[test]
fn syntax_errors_are_each_reported() {
    let e = errors("[mqtt]\nurl = \n");
    assert!(e.starts_with("gw.toml:2:"), "{e}");
    assert!(e.contains("docs/gateway.md"), "{e}");
}
