import ConnectionQuality
import Foundation
import LiveKitProtocol
import Logging
import Store

/// All open rooms of this server, by name. Creates rooms on join (or through the API), closes
/// them after their empty/departure timeout, and records both in the store.
public actor RoomManager {
    public nonisolated let context: SFUContext
    private var rooms: [String: Room] = [:]
    private var sweeper: Task<Void, Never>?
    private var speakerTimer: Task<Void, Never>?
    private var qualityTimer: Task<Void, Never>?
    /// Set when the server starts shutting down: no room is created or joined any more.
    public private(set) var draining = false

    public init(context: SFUContext) {
        self.context = context
    }

    /// Closes rooms and sessions a previous process left open (crash, kill -9), then starts the
    /// timer that closes expired rooms.
    public func start() {
        if let report = try? context.store.markUnfinishedClosed(reason: "server_restart"),
           report.roomsClosed + report.sessionsClosed > 0 {
            context.logger.notice("store: closed \(report.roomsClosed) room(s), \(report.sessionsClosed) session(s) left open by a previous run")
        }
        sweeper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await self?.sweep(now: Date())
            }
        }
        let interval = context.speakerUpdateInterval
        speakerTimer = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let rooms = await self?.openRooms else { return }
                for room in rooms { await room.updateActiveSpeakers() }
            }
        }
        let qualityInterval = context.qualityUpdateInterval
        let counts = context.qualityCounts
        qualityTimer = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: qualityInterval)
                guard let rooms = await self?.openRooms else { return }
                var levels: [QualityLevel: Int] = [:]
                for room in rooms {
                    await room.updateConnectionQuality()
                    for (level, n) in await room.qualityLevels { levels[level, default: 0] += n }
                }
                counts.store(levels)
            }
        }
    }

    public func stop(reason: Livekit_DisconnectReason = .serverShutdown) async {
        draining = true
        sweeper?.cancel()
        speakerTimer?.cancel()
        qualityTimer?.cancel()
        for room in rooms.values {
            await room.close(reason: reason)
            context.journal.closeRoom(sid: room.sid, reason: reason.storeReason)
        }
        rooms.removeAll()
        context.journal.drain()
    }

    public func room(named name: String) -> Room? { rooms[name] }

    public var openRooms: [Room] { Array(rooms.values) }

    /// The room a join goes to: existing, or created if the server allows joins to create rooms.
    public func roomForJoin(named name: String) throws(JoinError) -> Room {
        guard !draining else { throw .roomClosed }
        if let room = rooms[name] { return room }
        guard context.roomDefaults.autoCreate else { throw .roomNotFound }
        return try create(name: name, emptyTimeout: nil, departureTimeout: nil, maxParticipants: nil,
                          metadata: "", autoRecord: nil, reason: "join")
    }

    /// Creates a room (API `CreateRoom`); returns the existing one if it is already open.
    /// `autoRecord` nil takes the server's `room.auto_record`.
    public func createRoom(name: String, emptyTimeout: UInt32?, departureTimeout: UInt32?, maxParticipants: UInt32?,
                           metadata: String, autoRecord: Bool? = nil) throws(JoinError) -> Room {
        guard !draining else { throw .roomClosed }
        if let room = rooms[name] { return room }
        return try create(name: name, emptyTimeout: emptyTimeout, departureTimeout: departureTimeout,
                          maxParticipants: maxParticipants, metadata: metadata, autoRecord: autoRecord, reason: "api")
    }

    private func create(name: String, emptyTimeout: UInt32?, departureTimeout: UInt32?, maxParticipants: UInt32?,
                        metadata: String, autoRecord: Bool?, reason: String) throws(JoinError) -> Room {
        let defaults = context.roomDefaults
        let record: RoomRecord
        do {
            record = try context.store.createRoom(name: name, emptyTimeout: Int(emptyTimeout ?? defaults.emptyTimeout),
                                                  departureTimeout: Int(departureTimeout ?? defaults.departureTimeout),
                                                  maxParticipants: Int(maxParticipants ?? defaults.maxParticipants),
                                                  metadata: metadata, creationReason: reason)
        } catch {
            throw .internalError("store: \(error)")
        }
        let room = Room(record: record, context: context, autoRecord: autoRecord ?? defaults.autoRecord)
        rooms[name] = room
        room.emitRoomStarted(metadata: record.metadata)
        context.logger.info("room created", metadata: ["room": "\(name)", "sid": "\(record.sid)", "by": "\(reason)"])
        return room
    }

    /// Deletes a room (API `DeleteRoom`): everyone is disconnected with ROOM_DELETED.
    @discardableResult
    public func deleteRoom(named name: String) async -> Bool {
        guard let room = rooms.removeValue(forKey: name) else { return false }
        await room.close(reason: .roomDeleted)
        context.journal.closeRoom(sid: room.sid, reason: StoreReason.roomDeleted)
        context.logger.info("room deleted", metadata: ["room": "\(name)"])
        return true
    }

    func sweep(now: Date) async {
        for (name, room) in rooms {
            await room.sweep(now: now)
            if await room.isExpired(now: now) {
                rooms[name] = nil
                await room.close(reason: .roomClosed)
                context.journal.closeRoom(sid: room.sid, reason: await room.expiryReason)
                context.logger.info("room closed (empty)", metadata: ["room": "\(name)"])
            }
        }
    }
}

/// What `/metrics` reports about rooms: gauges taken when it is scraped.
public struct RoomCensus: Sendable {
    public var rooms = 0
    public var participants = 0
    /// Published tracks by kind ("audio", "video").
    public var tracks: [String: Int] = ["audio": 0, "video": 0]
    /// Participants without a signalling connection, by kind ("whip", "whep").
    public var httpSessions: [String: Int] = ["whip": 0, "whep": 0]
}

extension RoomManager {
    public func census() async -> RoomCensus {
        var census = RoomCensus()
        for room in rooms.values {
            census.rooms += 1
            await room.count(into: &census)
        }
        return census
    }
}

extension Room {
    func count(into census: inout RoomCensus) {
        census.participants += participants.count
        for participant in participants.values {
            for track in participant.tracks.values where track.isNegotiated {
                census.tracks[track.kind == .audio ? "audio" : "video", default: 0] += 1
            }
            if let kind = participant.httpSession { census.httpSessions[kind.rawValue, default: 0] += 1 }
        }
    }
}
