import DataChannel
import Foundation
import SCTP
import Synchronization
import XCTest

/// A test thread that owns two associations wired back to back: what one sends, the other
/// receives (optionally losing some), as two WebRTC stacks over DTLS would.
private final class Wire: SCTPOwnerThread, @unchecked Sendable {
    private let queue = DispatchQueue(label: "sctp-test")
    private let key = DispatchSpecificKey<Bool>()
    init() { queue.setSpecific(key: key, value: true) }
    var isCurrent: Bool { DispatchQueue.getSpecific(key: key) == true }
    func execute(_ work: @escaping @Sendable () -> Void) { queue.async(execute: work) }
    func sync<T>(_ work: () throws -> T) rethrows -> T { try queue.sync(execute: work) }
}

private final class Pair: @unchecked Sendable {
    let wire = Wire()
    var client: DataChannelEndpoint!
    var server: DataChannelEndpoint!
    /// Drops every n-th packet from the server towards the client (0: none).
    var dropEvery = 0
    private var count = 0
    var opened: [String] = []
    var received: [(String, Bool, [UInt8])] = []
    var closed: [String] = []
    private var timer: (any DispatchSourceTimer)?

    /// serverMaxMessageSize: what the server side accepts (default: the same as the client).
    init(maxMessageSize: Int = 262_144, serverMaxMessageSize: Int? = nil, sendBuffer: Int = 1 << 20) throws {
        try wire.sync {
            var a: SCTPAssociation!, b: SCTPAssociation!
            // Delivered later, never from inside the sender's usrsctp call (a network would not
            // re-enter it either, and usrsctp's locks are not recursive).
            let wire = self.wire
            a = try SCTPAssociation(owner: wire, maxMessageSize: maxMessageSize, sendBufferSize: sendBuffer) { [weak self] packet in
                wire.execute { [weak self] in self?.server?.association.receive(packet) }
            }
            b = try SCTPAssociation(owner: wire, maxMessageSize: serverMaxMessageSize ?? maxMessageSize,
                                    sendBufferSize: sendBuffer) { [weak self] packet in
                guard let self else { return }
                count += 1
                if dropEvery > 0 && count % dropEvery == 0 { return }
                wire.execute { [weak self] in self?.client?.association.receive(packet) }
            }
            client = DataChannelEndpoint(association: a, isDTLSClient: true)
            server = DataChannelEndpoint(association: b, isDTLSClient: false)
            for (name, endpoint) in [("client", client!), ("server", server!)] {
                endpoint.onChannelOpen = { [unowned self] in opened.append("\(name):\($0.parameters.label)#\($0.id)") }
                endpoint.onMessage = { [unowned self] channel, binary, bytes in received.append(("\(name):\(channel.parameters.label)", binary, bytes)) }
                endpoint.onChannelClose = { [unowned self] in closed.append("\(name):\($0.parameters.label)") }
            }
            a.connect()
            b.connect()
        }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        timer.schedule(deadline: .now(), repeating: .milliseconds(10))
        let owner = wire
        timer.setEventHandler { owner.execute { SCTPAssociation.handleTimers() } }
        timer.resume()
        self.timer = timer
    }

    func close() {
        timer?.cancel()
        wire.sync {
            client.association.close()
            server.association.close()
        }
    }
}

final class DataChannelEndpointTests: XCTestCase {
    private func waitFor(_ pair: Pair, _ what: String, timeout: TimeInterval = 10, _ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if pair.wire.sync(condition) { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTFail("timed out waiting for \(what)")
    }

    func testAssociationOpensChannelsBothWaysAndCarriesMessages() throws {
        let pair = try Pair()
        defer { pair.close() }
        waitFor(pair, "both associations established") {
            pair.client.association.state == .established && pair.server.association.state == .established
        }
        pair.wire.sync {
            XCTAssertEqual(pair.client.open(DataChannelParameters(label: "_reliable"))?.id, 0)
            XCTAssertEqual(pair.client.open(DataChannelParameters(label: "_lossy", reliability: .maxRetransmits(0, ordered: false)))?.id, 2)
            XCTAssertEqual(pair.server.open(DataChannelParameters(label: "_reliable"))?.id, 1)
        }
        waitFor(pair, "three channels open on each side") { pair.opened.count == 6 }
        pair.wire.sync {
            XCTAssertEqual(Set(pair.opened), ["server:_reliable#0", "server:_lossy#2", "client:_reliable#1",
                                              "client:_reliable#0", "client:_lossy#2", "server:_reliable#1"])
            XCTAssertEqual(pair.server.channel(label: "_lossy")?.parameters.reliability, .maxRetransmits(0, ordered: false))
            XCTAssertEqual(pair.client.send(Array("hello".utf8), binary: false, on: 0), .sent)
            XCTAssertEqual(pair.client.send([], binary: true, on: 2), .sent)
            XCTAssertEqual(pair.server.send([1, 2, 3], on: 1), .sent)
        }
        waitFor(pair, "three messages") { pair.received.count == 3 }
        pair.wire.sync {
            let got = Dictionary(uniqueKeysWithValues: pair.received.map { ($0.0, ($0.1, $0.2)) })
            XCTAssertEqual(got["server:_reliable"]?.0, false)
            XCTAssertEqual(got["server:_reliable"]?.1, Array("hello".utf8))
            XCTAssertEqual(got["server:_lossy"]?.1, [])
            XCTAssertEqual(got["client:_reliable"]?.1, [1, 2, 3])
            pair.client.close(0)
        }
        waitFor(pair, "the closed channel reported by the peer") { pair.closed.contains("server:_reliable") }
        pair.wire.sync { XCTAssertNil(pair.server.channels[0]) }
    }

    /// A 200 kB message (many fragments) arrives whole and in order with its neighbours, even
    /// when the path loses packets: SCTP retransmits.
    func testLargeReliableMessagesSurviveLoss() throws {
        let pair = try Pair()
        defer { pair.close() }
        waitFor(pair, "established") { pair.server.association.state == .established && pair.client.association.state == .established }
        pair.wire.sync {
            pair.dropEvery = 7
            _ = pair.server.open(DataChannelParameters(label: "bulk"))
        }
        waitFor(pair, "open") { pair.client.channel(label: "bulk") != nil }
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        pair.wire.sync {
            let id = pair.server.channel(label: "bulk")!.id
            XCTAssertEqual(pair.server.send([1], on: id), .sent)
            XCTAssertEqual(pair.server.send(big, on: id), .sent)
            XCTAssertEqual(pair.server.send([2], on: id), .sent)
        }
        waitFor(pair, "three messages through a lossy path", timeout: 20) { pair.received.count == 3 }
        pair.wire.sync {
            XCTAssertEqual(pair.received.map(\.2.count), [1, 200_000, 1])
            XCTAssertEqual(pair.received[1].2, big)
        }
    }

    func testOversizedAndUnknownTrafficIsCountedNotDelivered() throws {
        let pair = try Pair(maxMessageSize: 1000)
        defer { pair.close() }
        waitFor(pair, "established") { pair.server.association.state == .established && pair.client.association.state == .established }
        pair.wire.sync {
            _ = pair.client.open(DataChannelParameters(label: "x"))
            // Data on a stream nobody opened, a DCEP message that does not parse, a bad PPID.
            _ = pair.client.association.send(streamID: 40, ppid: 53, ordered: true, [9])
            _ = pair.client.association.send(streamID: 42, ppid: 50, ordered: true, [0x03, 0x00])
            _ = pair.client.association.send(streamID: 44, ppid: 99, ordered: true, [9])
            XCTAssertEqual(pair.client.send(Array(repeating: 0, count: 1001), on: 0), .tooLarge)
        }
        waitFor(pair, "the drops counted") {
            let c = pair.server.counters
            return c.malformedDCEP == 1 && c.unknownStream == 1 && c.unknownPPID == 1
        }
        pair.wire.sync { XCTAssertTrue(pair.received.isEmpty) }
    }

    /// A message larger than we take arrives in parts (partial delivery): all of it is dropped
    /// and counted once; the messages around it arrive.
    func testOversizedIncomingMessageIsDroppedWhole() throws {
        let pair = try Pair(maxMessageSize: 262_144, serverMaxMessageSize: 4096)
        defer { pair.close() }
        waitFor(pair, "established") { pair.server.association.state == .established && pair.client.association.state == .established }
        pair.wire.sync { _ = pair.client.open(DataChannelParameters(label: "x")) }
        waitFor(pair, "open") { pair.server.channel(label: "x") != nil }
        pair.wire.sync {
            XCTAssertEqual(pair.client.send([1], on: 0), .sent)
            XCTAssertEqual(pair.client.send(Array(repeating: 9, count: 100_000), on: 0), .sent)
            XCTAssertEqual(pair.client.send([2], on: 0), .sent)
        }
        waitFor(pair, "the two small messages") { pair.received.count == 2 }
        pair.wire.sync {
            XCTAssertEqual(pair.received.map(\.2), [[1], [2]])
            XCTAssertEqual(pair.server.association.oversizedDropped, 1)
        }
    }

    /// Garbage where SCTP packets should be: dropped by usrsctp and counted, nothing delivered,
    /// the association still works afterwards.
    func testMalformedSCTPInputIsDroppedAndCounted() throws {
        let pair = try Pair()
        defer { pair.close() }
        waitFor(pair, "established") { pair.server.association.state == .established && pair.client.association.state == .established }
        let before = SCTPStack.inputDropped
        var generator = SystemRandomNumberGenerator()
        pair.wire.sync {
            pair.server.association.receive([0x13, 0x88])  // shorter than a common header
            pair.server.association.receive([0x13, 0x88, 0x13, 0x88, 0, 0, 0, 1, 0xDE, 0xAD, 0xBE, 0xEF])  // bad checksum
            for _ in 0..<200 {
                pair.server.association.receive((0..<Int.random(in: 12...1200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            }
        }
        waitFor(pair, "the drops counted") { SCTPStack.inputDropped >= before + 202 }
        pair.wire.sync {
            XCTAssertEqual(pair.server.association.state, .established)
            _ = pair.client.open(DataChannelParameters(label: "after"))
        }
        waitFor(pair, "a channel opened after the garbage") { pair.server.channel(label: "after") != nil }
        pair.wire.sync { XCTAssertTrue(pair.received.isEmpty) }
    }

    /// A peer that stops reading: the bounded send buffer fills and sends fail with bufferFull
    /// rather than queueing without limit.
    func testSendBufferIsBounded() throws {
        let pair = try Pair(sendBuffer: 64 * 1024)
        defer { pair.close() }
        waitFor(pair, "established") { pair.server.association.state == .established && pair.client.association.state == .established }
        pair.wire.sync {
            pair.dropEvery = 1  // the client hears nothing more: no SACKs come back
            _ = pair.server.open(DataChannelParameters(label: "r"))
            let id = pair.server.channel(label: "r")!.id
            var results: [SCTPAssociation.SendResult] = []
            for _ in 0..<100 { results.append(pair.server.send(Array(repeating: 7, count: 4096), on: id)) }
            XCTAssertTrue(results.contains(.bufferFull), "\(results)")
            XCTAssertEqual(results.first, .sent)
        }
    }
}
