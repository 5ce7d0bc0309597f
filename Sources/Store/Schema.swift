import GRDB

/// Schema history. Migrations are append-only: never edit a shipped one, add "v2", "v3", ...
///
/// Timestamps are TEXT in GRDB's format, "YYYY-MM-DD HH:MM:SS.SSS" in UTC: they sort
/// chronologically as text, and SQLite date functions read them, e.g.
/// `(julianday(left_at) - julianday(joined_at)) * 86400` is a duration in seconds.
enum Schema {
    static let v1 = "v1"
    /// Server-side recordings (egress).
    static let v2 = "v2"
    /// The webhook outbox.
    static let v3 = "v3"
    /// Chat history and read receipts.
    static let v4 = "v4"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(v1) { db in
            try db.execute(sql: """
                CREATE TABLE room (
                    sid               TEXT PRIMARY KEY NOT NULL CHECK (sid LIKE 'RM\\_%' ESCAPE '\\'),
                    name              TEXT NOT NULL CHECK (length(name) > 0),
                    created_at        TEXT NOT NULL,
                    closed_at         TEXT,
                    empty_timeout     INTEGER NOT NULL DEFAULT 0 CHECK (empty_timeout >= 0),
                    departure_timeout INTEGER NOT NULL DEFAULT 0 CHECK (departure_timeout >= 0),
                    max_participants  INTEGER NOT NULL DEFAULT 0 CHECK (max_participants >= 0),
                    metadata          TEXT NOT NULL DEFAULT '',
                    creation_reason   TEXT NOT NULL DEFAULT '',
                    close_reason      TEXT,
                    CHECK (closed_at IS NULL OR closed_at >= created_at)
                );

                -- A name is unique among open rooms only: closed rooms keep their name in
                -- history and a new room (new sid) may take it. Also serves "open room by name".
                CREATE UNIQUE INDEX room_open_name ON room(name) WHERE closed_at IS NULL;
                -- History of every incarnation of a name.
                CREATE INDEX room_name_created_at ON room(name, created_at);
                -- Time-range reports and retention purges.
                CREATE INDEX room_created_at ON room(created_at);

                CREATE TABLE participant_session (
                    sid          TEXT PRIMARY KEY NOT NULL CHECK (sid LIKE 'PA\\_%' ESCAPE '\\'),
                    room_sid     TEXT NOT NULL REFERENCES room(sid) ON DELETE CASCADE,
                    identity     TEXT NOT NULL CHECK (length(identity) > 0),
                    name         TEXT NOT NULL DEFAULT '',
                    metadata     TEXT NOT NULL DEFAULT '',
                    joined_at    TEXT NOT NULL,
                    left_at      TEXT,
                    leave_reason TEXT,
                    client_info  TEXT CHECK (client_info IS NULL OR json_valid(client_info)),
                    CHECK (left_at IS NULL OR left_at >= joined_at)
                );

                -- "Who was in room X" (also the FK index for ON DELETE CASCADE).
                CREATE INDEX participant_session_room ON participant_session(room_sid, joined_at);
                -- "Where has identity Y been".
                CREATE INDEX participant_session_identity ON participant_session(identity, joined_at);
                -- One live session per identity per room (LiveKit kicks the older one with
                -- DUPLICATE_IDENTITY); also makes "active sessions" and crash recovery cheap.
                CREATE UNIQUE INDEX participant_session_active
                    ON participant_session(room_sid, identity) WHERE left_at IS NULL;

                -- Operator report: one row per session with room name and duration in seconds
                -- (NULL duration_seconds = still connected).
                CREATE VIEW participant_session_report AS
                SELECT s.sid, s.room_sid, r.name AS room_name, s.identity, s.name,
                       s.joined_at, s.left_at, s.leave_reason,
                       (julianday(s.left_at) - julianday(s.joined_at)) * 86400.0 AS duration_seconds,
                       json_extract(s.client_info, '$.sdk') AS sdk,
                       json_extract(s.client_info, '$.version') AS sdk_version,
                       json_extract(s.client_info, '$.os') AS os
                FROM participant_session s JOIN room r ON r.sid = s.room_sid;
                """)
        }
        migrator.registerMigration(v2) { db in
            try db.execute(sql: """
                -- One row per recording (LiveKit egress). No foreign key to room: a recording's
                -- row and file outlive the room's history (purges, renamed rooms).
                CREATE TABLE recording (
                    id                   TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'EG\\_%' ESCAPE '\\'),
                    room_name            TEXT NOT NULL,
                    room_sid             TEXT NOT NULL DEFAULT '',
                    participant_identity TEXT NOT NULL DEFAULT '',
                    kind                 TEXT NOT NULL CHECK (kind IN ('track', 'participant')),
                    -- JSON array of the track sids recorded so far.
                    tracks               TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tracks)),
                    -- 'opus', 'vp8' or 'vp8+opus'.
                    codec                TEXT NOT NULL,
                    -- Relative to the recordings directory.
                    file_path            TEXT NOT NULL,
                    status               TEXT NOT NULL CHECK (status IN
                                             ('starting', 'active', 'ending', 'complete', 'failed', 'recovered')),
                    started_at           TEXT NOT NULL,
                    ended_at             TEXT,
                    duration_ms          INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
                    bytes                INTEGER CHECK (bytes IS NULL OR bytes >= 0),
                    error                TEXT,
                    -- The start request (protobuf), so ListEgress can return it.
                    request              BLOB,
                    CHECK (ended_at IS NULL OR ended_at >= started_at)
                );

                -- ListEgress by room, in start order.
                CREATE INDEX recording_room ON recording(room_name, started_at);
                -- Unfinished recordings: ListEgress(active) and crash recovery at start-up.
                CREATE INDEX recording_unfinished ON recording(started_at)
                    WHERE status IN ('starting', 'active', 'ending');
                -- A file belongs to one recording.
                CREATE UNIQUE INDEX recording_file ON recording(file_path);
                """)
        }
        migrator.registerMigration(v3) { db in
            try db.execute(sql: """
                -- Webhook events waiting for (or given up on) delivery: one row per event and
                -- endpoint URL. Delivered rows are deleted; rows given up on stay as 'failed'.
                -- `seq` orders delivery within a lane (url, ordering_key), i.e. per endpoint and room.
                CREATE TABLE webhook_outbox (
                    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_id        TEXT NOT NULL CHECK (event_id LIKE 'EV\\_%' ESCAPE '\\'),
                    url             TEXT NOT NULL CHECK (length(url) > 0),
                    -- The room's name ('' for an event without a room): events of one room stay in order.
                    ordering_key    TEXT NOT NULL DEFAULT '',
                    event           TEXT NOT NULL CHECK (length(event) > 0),
                    -- The protobuf JSON body, exactly as it is signed and sent.
                    body            TEXT NOT NULL,
                    created_at      TEXT NOT NULL,
                    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    next_attempt_at TEXT NOT NULL,
                    last_error      TEXT,
                    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'failed')),
                    finished_at     TEXT,
                    CHECK (status = 'pending' OR finished_at IS NOT NULL)
                );

                -- The head of each lane (MIN(seq) per url, ordering_key), and the pending count.
                CREATE INDEX webhook_outbox_lane ON webhook_outbox(url, ordering_key, seq) WHERE status = 'pending';
                """)
        }
        migrator.registerMigration(v4) { db in
            try db.execute(sql: """
                -- Chat messages per room name (a room reopened under the same name keeps its
                -- history). `id` is the client's message id (ChatMessage.id, or the text stream
                -- id of an `lk.chat` stream). Deleted messages keep their row, text cleared.
                CREATE TABLE chat_message (
                    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
                    room            TEXT NOT NULL CHECK (length(room) > 0),
                    id              TEXT NOT NULL CHECK (length(id) > 0),
                    sender_identity TEXT NOT NULL,
                    sender_sid      TEXT NOT NULL,
                    -- 'chat_message' (LiveKit ChatMessage packet) or 'text_stream' (lk.chat stream).
                    format          TEXT NOT NULL CHECK (format IN ('chat_message', 'text_stream')),
                    message         TEXT NOT NULL,
                    sent_at         TEXT NOT NULL,
                    edited_at       TEXT,
                    deleted_at      TEXT,
                    UNIQUE (room, id)
                );
                CREATE INDEX chat_message_room ON chat_message(room, seq);

                -- Files sent as byte streams on the chat topic; the bytes live under the data
                -- directory (`path`, relative to it), checked against `mime_type` when stored.
                CREATE TABLE chat_attachment (
                    room            TEXT NOT NULL CHECK (length(room) > 0),
                    id              TEXT NOT NULL CHECK (length(id) > 0),
                    sender_identity TEXT NOT NULL,
                    name            TEXT NOT NULL,
                    mime_type       TEXT NOT NULL,
                    size            INTEGER NOT NULL CHECK (size >= 0),
                    path            TEXT NOT NULL,
                    sent_at         TEXT NOT NULL,
                    PRIMARY KEY (room, id)
                );

                -- How far each participant has read, per room: the last message id it marked read.
                CREATE TABLE chat_receipt (
                    room        TEXT NOT NULL,
                    identity    TEXT NOT NULL,
                    message_id  TEXT NOT NULL,
                    read_at     TEXT NOT NULL,
                    PRIMARY KEY (room, identity)
                );
                """)
        }
        return migrator
    }
}
