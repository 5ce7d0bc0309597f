import DTLS
import Glibc
import ICE
import STUN
import Synchronization

public enum TransportServerError: Error, Sendable, CustomStringConvertible {
    case badAddress(String)
    case socket(UDPSocketError)
    case dtls(String)

    public var description: String {
        switch self {
        case .badAddress(let a): return "not a numeric IP address: \(a)"
        case .socket(let e): return e.message
        case .dtls(let m): return "DTLS: \(m)"
        }
    }
}

/// Every WebRTC transport of the process on one UDP port per address family. Demultiplexes
/// datagrams (RFC 7983): STUN by the local ufrag in USERNAME, everything else by remote address.
///
/// Threading: `makeTransport`, `register`, `execute` and the read-only properties are safe from
/// any thread; the routing tables and transports live on the media loop.
public final class TransportServer: DatagramHandler, @unchecked Sendable {
    public let configuration: TransportConfiguration
    public let dtlsContext: DTLSContext
    public let candidates: [ICECandidate]
    /// The bound socket addresses (port resolved when 0 was asked for).
    public let localAddresses: [UDPAddress]
    let loop: MediaLoop

    private let nextID = Atomic<Int>(1)
    private let publishedDrops = Mutex(DropCounters())
    private let transportCount = Atomic<Int>(0)

    // Media loop state.
    /// Transports by local ufrag. Behind a lock (taken per STUN check, never per media packet) so
    /// that `register` can publish a transport without waiting for the media thread.
    private let byUfrag = Mutex<[String: WebRTCTransport]>([:])
    private var byAddress: [UDPAddress: WebRTCTransport] = [:]
    private var transports: [Int: WebRTCTransport] = [:]
    private var drops = DropCounters()

    public init(configuration: TransportConfiguration) throws(TransportServerError) {
        self.configuration = configuration
        let certificate: DTLSCertificate
        do {
            certificate = try configuration.certificate ?? DTLSCertificate.generateSelfSigned()
            dtlsContext = try DTLSContext(certificate: certificate, srtpProfiles: configuration.srtpProfiles)
        } catch {
            throw .dtls("\(error)")
        }
        var sockets: [UDPSocket] = []
        for host in configuration.bindAddresses {
            guard let address = UDPAddress(host: host, port: configuration.udpPort) else { throw .badAddress(host) }
            guard !sockets.contains(where: { $0.isIPv6 == address.isIPv6 }) else { continue }
            do { sockets.append(try UDPSocket(bindTo: address)) } catch { throw .socket(error) }
        }
        guard !sockets.isEmpty else { throw .badAddress("no bind address") }
        localAddresses = sockets.map(\.localAddress)
        candidates = try TransportServer.hostCandidates(nodeIPs: configuration.nodeIPs, sockets: sockets)
        do { loop = try MediaLoop(sockets: sockets, realtimePriority: configuration.realtimePriority) } catch { throw .socket(error) }
        loop.handler = self
    }

    /// Starts the media thread; returns why its real-time priority could not be set, if it could not.
    @discardableResult
    public func start() -> String? { loop.start() }

    /// Closes every transport (sending close_notify) and stops the media thread.
    public func stop() {
        loop.executeAndWait { [self] in
            for transport in Array(transports.values) { transport.close() }
        }
        loop.stop()
    }

    /// Whether the caller is on the media loop thread.
    public var isCurrent: Bool { loop.isCurrent }

    /// Runs `work` on the media loop thread.
    public func execute(_ work: @escaping @Sendable () -> Void) { loop.execute(work) }

    /// Makes a transport with fresh ICE credentials. It receives nothing until `register`.
    public func makeTransport(remoteICE: ICECredentials? = nil, remoteFingerprint: DTLSFingerprint? = nil,
                              dtlsRole: DTLSEndpoint.Role = .server) throws(TransportServerError) -> WebRTCTransport {
        do {
            return try WebRTCTransport(id: nextID.add(1, ordering: .relaxed).oldValue, server: self,
                                       ice: .random(), remoteICE: remoteICE, remoteFingerprint: remoteFingerprint,
                                       dtlsRole: dtlsRole, consentTimeout: configuration.consentTimeout)
        } catch {
            throw .dtls("\(error)")
        }
    }

    /// Makes the transport reachable: its ufrag routes connectivity checks to it once this
    /// returns, so the SDP carrying its credentials can be sent right after. It does not wait for
    /// the media thread (a join used to hold a cooperative thread here); the rest of the set-up
    /// is queued to the loop ahead of anything the peer could send after reading the SDP.
    public func register(_ transport: WebRTCTransport) {
        byUfrag.withLock { $0[transport.parameters.ice.ufrag] = transport }
        loop.execute { [self] in
            transports[transport.id] = transport
            transportCount.store(transports.count, ordering: .relaxed)
            transport.start()
        }
    }

    /// Drops by reason, as of the last media loop tick.
    public var dropCounters: DropCounters { publishedDrops.withLock { $0 } }
    public var activeTransports: Int { transportCount.load(ordering: .relaxed) }
    public var loopCounters: MediaLoop.Counters { loop.snapshot }
    /// Socket arrival -> send of forwarded RTP, as of the last media loop tick.
    public var forwardLatency: LatencyHistogram { loop.forwardLatencySnapshot }
    /// When the datagram being handled arrived (monotonic ns); media loop only.
    public var currentArrival: Int64 { loop.currentArrival }

    // MARK: Media loop

    func handleDatagram(_ packet: UnsafeMutableRawBufferPointer, from address: UDPAddress, socket: Int) {
        guard let first = packet.first else { return drops.count(.truncated) }
        switch DatagramKind(firstByte: first) {
        case .srtp:
            guard let transport = byAddress[address] else { return drops.count(.srtpUnknownAddress) }
            if let reason = transport.handleSRTP(packet) { drops.count(reason) }
        case .stun:
            handleSTUN(Array(packet), from: address)
        case .dtls:
            guard let transport = byAddress[address] else { return drops.count(.dtlsUnknownAddress) }
            transport.handleDTLS(Array(packet), from: address)
        case .unknown:
            drops.count(.unknownFirstByte)
        }
    }

    private func handleSTUN(_ raw: [UInt8], from address: UDPAddress) {
        guard let message = try? STUNMessage(parsing: raw) else { return drops.count(.stunMalformed) }
        guard message.messageType == .bindingRequest else {
            // Binding indications are keepalives; responses are not expected by a lite agent.
            if message.messageType != .bindingIndication { drops.count(.stunNotRequest) }
            return
        }
        guard let username = message.username, let ufrag = ICELiteAgent.localUfrag(inUsername: username),
              let transport = byUfrag.withLock({ $0[String(ufrag)] }) else {
            return drops.count(.stunUnknownUfrag)
        }
        if !transport.handleSTUN(message, raw: raw, from: address, now: .now) { drops.count(.stunRejected) }
    }

    func tick(now: ContinuousClock.Instant) {
        for transport in Array(transports.values) { transport.tick(now: now) }
        let snapshot = drops
        publishedDrops.withLock { $0 = snapshot }
    }

    /// A check from `address` passed for `transport`: route that address's DTLS and SRTP to it.
    func learn(_ address: UDPAddress, for transport: WebRTCTransport) {
        if byAddress[address] !== transport {
            byAddress[address] = transport
            // Keep the table bounded by what the agent still considers valid.
            let valid = Set(transport.agent.validatedAddresses.compactMap { UDPAddress(addressBytes: $0.addressBytes, port: $0.port) })
            for (a, t) in byAddress where t === transport && !valid.contains(a) { byAddress[a] = nil }
        }
    }

    func forget(_ transport: WebRTCTransport) {
        transports[transport.id] = nil
        byUfrag.withLock { $0[transport.parameters.ice.ufrag] = nil }
        for (a, t) in byAddress where t === transport { byAddress[a] = nil }
        transportCount.store(transports.count, ordering: .relaxed)
    }

    // MARK: Candidates

    private static func hostCandidates(nodeIPs: [String], sockets: [UDPSocket]) throws(TransportServerError) -> [ICECandidate] {
        var result: [ICECandidate] = []
        for socket in sockets {
            let family = socket.isIPv6
            let announced: [String]
            let configured = nodeIPs.filter { UDPAddress(host: $0, port: 0)?.isIPv6 == family }
            if !configured.isEmpty {
                announced = [configured[0]]
            } else if !socket.localAddress.isWildcard {
                announced = [socket.localAddress.host]
            } else {
                announced = InterfaceAddresses.first(isIPv6: family).map { [$0] } ?? []
            }
            for host in announced {
                result.append(ICECandidate(host: host, port: socket.localAddress.port, isIPv6: family))
            }
        }
        for ip in nodeIPs where UDPAddress(host: ip, port: 0) == nil { throw .badAddress(ip) }
        return result
    }
}

extension UDPAddress {
    var isWildcard: Bool { high == 0 && low == 0 }
}

/// The machine's own addresses, for announcing when bound to a wildcard without --node-ip.
enum InterfaceAddresses {
    static func first(isIPv6: Bool) -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let head = list else { return nil }
        defer { freeifaddrs(list) }
        var fallback: String?
        var cursor: UnsafeMutablePointer<ifaddrs>? = head
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let sa = entry.pointee.ifa_addr else { continue }
            let family = Int32(sa.pointee.sa_family)
            guard family == (isIPv6 ? AF_INET6 : AF_INET),
                  let address = UDPAddress(storage: UnsafeRawPointer(sa)) else { continue }
            let loopback = entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) != 0
            // Skip link-local IPv6 (fe80::/10): it needs a scope id candidates cannot carry.
            if isIPv6 && (address.high >> 54) == 0x3FA { continue }
            if loopback { fallback = fallback ?? address.host; continue }
            return address.host
        }
        return fallback
    }
}
