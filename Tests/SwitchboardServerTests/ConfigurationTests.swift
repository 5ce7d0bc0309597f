import SFU
import XCTest
@testable import SwitchboardServer

final class ConfigurationTests: XCTestCase {
    func testYAMLWithLiveKitKeyNames() throws {
        var config = ServerConfiguration()
        try ConfigurationFile.apply(yaml: """
            port: 7990
            bind_addresses: ["127.0.0.1", "::1"]
            rtc:
              udp_port: 7992
              node_ip: 192.0.2.10
              consent_timeout: 10s
              srtp_profiles: [aes128_cm_sha1_80]
            keys:
              prodkey: 0123456789abcdef0123456789abcdef
            logging:
              level: debug
            """, to: &config)
        XCTAssertEqual(config.port, 7990)
        XCTAssertEqual(config.bindAddresses, ["127.0.0.1", "::1"])
        XCTAssertEqual(config.udpPort, 7992)
        XCTAssertEqual(config.nodeIPs, ["192.0.2.10"])
        XCTAssertEqual(config.consentTimeoutSeconds, 10)
        XCTAssertEqual(config.srtpProfiles, [.aes128CmHmacSha1_80])
        XCTAssertEqual(config.keys, ["prodkey": "0123456789abcdef0123456789abcdef"])
        XCTAssertEqual(config.logLevel, "debug")
        XCTAssertNoThrow(try config.validate())
    }

    func testRecordingSettings() throws {
        var config = ServerConfiguration()
        config.dataDirectory = "/srv/sb"
        XCTAssertFalse(config.autoRecord)
        XCTAssertEqual(config.effectiveRecordingsDirectory, "/srv/sb/recordings")
        try ConfigurationFile.apply(yaml: """
            room:
              auto_record: true
            recording:
              directory: /mnt/calls
              buffer_packets: 2048
            """, to: &config)
        XCTAssertTrue(config.autoRecord)
        XCTAssertEqual(config.effectiveRecordingsDirectory, "/mnt/calls")
        XCTAssertEqual(config.recordingBufferPackets, 2048)
        XCTAssertThrowsError(try ConfigurationFile.apply(yaml: "recording:\n  dir: x\n", to: &config)) {
            XCTAssertEqual($0 as? ConfigurationError, .unknownKey("recording.dir"))
        }
        config.recordingBufferPackets = 4
        config.applyDevelopmentDefaults(bindExplicit: false)
        XCTAssertThrowsError(try config.validate()) {
            XCTAssertTrue("\($0)".contains("recording.buffer_packets"), "\($0)")
        }
    }

    func testChatHistorySetting() throws {
        var config = ServerConfiguration()
        XCTAssertEqual(config.chatHistory, 50)
        try ConfigurationFile.apply(yaml: "room:\n  chat_history: 0\n", to: &config)
        XCTAssertEqual(config.chatHistory, 0)
        XCTAssertThrowsError(try ConfigurationFile.apply(yaml: "room:\n  chat_history: 5000\n", to: &config)) {
            XCTAssertTrue("\($0)".contains("room.chat_history"), "\($0)")
        }
    }

    func testMaxSubscriberBitrateSetting() throws {
        var config = ServerConfiguration()
        XCTAssertEqual(config.maxSubscriberBitrate, 8_000_000)
        try ConfigurationFile.apply(yaml: "rtc:\n  max_subscriber_bitrate: 2500000\n", to: &config)
        XCTAssertEqual(config.maxSubscriberBitrate, 2_500_000)
        for bad in ["1000", "fast", "-5"] {
            XCTAssertThrowsError(try ConfigurationFile.apply(yaml: "rtc:\n  max_subscriber_bitrate: \(bad)\n", to: &config)) {
                XCTAssertTrue("\($0)".contains("rtc.max_subscriber_bitrate"), "\($0)")
            }
        }
    }

    func testICEServerSettings() throws {
        var config = ServerConfiguration()
        XCTAssertEqual(config.iceServers, [])
        try ConfigurationFile.apply(yaml: """
            rtc:
              stun_servers: [stun.example.net:3478, "[2001:db8::1]:19302"]
              turn_servers:
                - host: turn.example.net
                  port: 443
                  protocol: tls
                  username: user
                  credential: secret
                - host: 203.0.113.5
                - {host: "2001:db8::2", port: 3478, protocol: tcp}
                - {host: "[2001:db8::3]", port: 3478}
            """, to: &config)
        XCTAssertEqual(config.iceServers, [
            ICEServer(urls: ["stun:stun.example.net:3478", "stun:[2001:db8::1]:19302"]),
            ICEServer(urls: ["turns:turn.example.net:443?transport=tcp"], username: "user", credential: "secret"),
            ICEServer(urls: ["turn:203.0.113.5:3478?transport=udp"]),
            ICEServer(urls: ["turn:[2001:db8::2]:3478?transport=tcp"]),
            ICEServer(urls: ["turn:[2001:db8::3]:3478?transport=udp"]),
        ])
        let bad: [(String, String)] = [
            ("rtc:\n  stun_servers: [stun.example.net]\n", "rtc.stun_servers"),
            ("rtc:\n  stun_servers: [\"2001:db8::1:3478\"]\n", "rtc.stun_servers"),
            ("rtc:\n  turn_servers: [{host: t.example, protocol: sctp}]\n", "rtc.turn_servers[0].protocol"),
            ("rtc:\n  turn_servers: [{port: 3478}]\n", "rtc.turn_servers[0].host"),
            ("rtc:\n  turn_servers: [{host: t.example, credential: 'a\"b'}]\n", "rtc.turn_servers[0].credential"),
            ("rtc:\n  turn_servers: [{host: t.example, secret: x}]\n", "rtc.turn_servers[0].secret"),
            ("rtc:\n  turn_servers: t.example\n", "rtc.turn_servers"),
        ]
        for (yaml, key) in bad {
            var fresh = ServerConfiguration()
            XCTAssertThrowsError(try ConfigurationFile.apply(yaml: yaml, to: &fresh), yaml) {
                XCTAssertTrue("\($0)".contains(key), "\($0) should name \(key)")
            }
        }
    }

    func testRealtimePrioritySetting() throws {
        var config = ServerConfiguration()
        XCTAssertNil(config.realtimePriority, "normal scheduling unless asked")
        try ConfigurationFile.apply(yaml: "rtc:\n  realtime_priority: 10\n", to: &config)
        XCTAssertEqual(config.realtimePriority, 10)
        try ConfigurationFile.apply(yaml: "rtc:\n  realtime_priority: 0\n", to: &config)
        XCTAssertNil(config.realtimePriority)
        for bad in ["100", "-1", "high"] {
            XCTAssertThrowsError(try ConfigurationFile.apply(yaml: "rtc:\n  realtime_priority: \(bad)\n", to: &config)) {
                XCTAssertTrue("\($0)".contains("rtc.realtime_priority"), "\($0)")
            }
        }
    }

    func testTLSAndCORSSettings() throws {
        var config = ServerConfiguration()
        config.development = true
        try ConfigurationFile.apply(yaml: "tls:\n  cert_file: /etc/sb/cert.pem\n  key_file: /etc/sb/key.pem\ncors:\n  allowed_origins: [https://app.example.com, '*']\n",
                                    to: &config)
        XCTAssertEqual(config.tlsCertificateFile, "/etc/sb/cert.pem")
        XCTAssertEqual(config.tlsKeyFile, "/etc/sb/key.pem")
        XCTAssertEqual(config.corsAllowedOrigins, ["https://app.example.com", "*"])
        XCTAssertNoThrow(try config.validate())
        config.tlsKeyFile = nil
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("tls"), "\($0)") }
        config.tlsKeyFile = "/etc/sb/key.pem"
        config.corsAllowedOrigins = ["app.example.com"]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("cors.allowed_origins"), "\($0)") }
        XCTAssertThrowsError(try ConfigurationFile.apply(yaml: "tls:\n  cert: x\n", to: &config)) {
            XCTAssertEqual($0 as? ConfigurationError, .unknownKey("tls.cert"))
        }
    }

    func testUnknownKeyIsNamed() {
        var config = ServerConfiguration()
        XCTAssertThrowsError(try ConfigurationFile.apply(yaml: "rtc:\n  udp_prot: 1\n", to: &config)) {
            XCTAssertEqual($0 as? ConfigurationError, .unknownKey("rtc.udp_prot"))
        }
        XCTAssertThrowsError(try ConfigurationFile.apply(yaml: "prot: 1\n", to: &config)) {
            XCTAssertEqual($0 as? ConfigurationError, .unknownKey("prot"))
        }
        XCTAssertThrowsError(try ConfigurationFile.apply(yaml: "port: seventy\n", to: &config)) {
            XCTAssertEqual(($0 as? ConfigurationError).map { "\($0)" }, "config: port: expected a port number")
        }
        XCTAssertThrowsError(try ConfigurationFile.apply(yaml: "port: [1\n", to: &config))
    }

    func testShortSecretsOnlyInDevelopment() throws {
        var config = ServerConfiguration()
        config.keys = ["k": "short"]
        XCTAssertThrowsError(try config.validate()) {
            XCTAssertTrue("\($0)".contains("shorter than 32 bytes"), "\($0)")
        }
        config.applyDevelopmentDefaults(bindExplicit: false)
        XCTAssertNoThrow(try config.validate())
        XCTAssertEqual(config.bindAddresses, ["127.0.0.1"])
        XCTAssertEqual(config.keys, ["k": "short"], "explicit keys win over dev keys")
    }

    func testNoKeysOutsideDevelopmentIsRefused() {
        XCTAssertThrowsError(try ServerConfiguration().validate()) { XCTAssertTrue("\($0)".contains("no API keys")) }
        var dev = ServerConfiguration()
        dev.applyDevelopmentDefaults(bindExplicit: false)
        XCTAssertEqual(dev.keys, ["devkey": "secret"])
    }

    func testBadAddressesAndValues() {
        var config = ServerConfiguration()
        config.applyDevelopmentDefaults(bindExplicit: false)
        config.bindAddresses = ["localhost"]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("bind_addresses")) }
        config.bindAddresses = ["127.0.0.1"]
        config.nodeIPs = ["example.com"]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("rtc.node_ip")) }
        config.nodeIPs = []
        config.logLevel = "loud"
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("logging.level")) }
        XCTAssertThrowsError(try config.setSRTPProfiles(commaSeparated: "gcm,rot13"))
    }

    func testKeyListAndDurations() throws {
        XCTAssertEqual(try parseKeyList("a: one, b:two\nc : three"), ["a": "one", "b": "two", "c": "three"])
        XCTAssertThrowsError(try parseKeyList("nocolon"))
        XCTAssertEqual(parseDuration("6h"), 21_600)
        XCTAssertEqual(parseDuration("500ms"), 0.5)
        XCTAssertEqual(parseDuration("2m"), 120)
        XCTAssertEqual(parseDuration("15"), 15)
        XCTAssertNil(parseDuration("soon"))
    }
}
